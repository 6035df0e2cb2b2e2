"""The fast path answers exactly as Connexion does, and really answers the hot reads itself.

Two servers built alike (same seed, secret and a frozen clock source, so ids, timestamps and
signatures agree), one with ``fast_path=False``, get the same requests, good and bad; status,
headers and bodies must match once request ids and ``date`` are set aside.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from mockserver.app import MockServer, build_server
from mockserver.cli import add_serve_arguments, bind_socket, build_from_args, uvicorn_server
from mockserver.clock import VirtualClock
from mockserver.fastpath import ROUTE_MEMO, FastPath
from mockserver.signing import SignedUrlSigner
from mockserver.storage import ObjectStore
from mockserver.store import MemoryStore
from specs import API_NAMES

FROZEN = 1_800_000_000.0
URL = re.compile(r"http://127\.0\.0\.1:\d+")
STORAGE_URL = re.compile(r"http://127\.0\.0\.1:\d+/_storage/[^\"\s]+")


@contextmanager
def serving(*, fast_path: bool) -> Iterator[tuple[str, MockServer]]:
    server = build_server(
        API_NAMES, store=MemoryStore(), clock=VirtualClock(lambda: FROZEN), signer=SignedUrlSigner("s3cret"),
        seed=3, fast_path=fast_path,
    )  # fmt: skip
    sock = bind_socket("127.0.0.1", 0)
    uvicorn = uvicorn_server(server.app)
    thread = threading.Thread(target=uvicorn.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not uvicorn.started:
            if not thread.is_alive():
                raise RuntimeError("the mock did not start")
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", server
    finally:
        uvicorn.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[tuple[httpx.Client, MockServer], tuple[httpx.Client, MockServer]]]:
    with (
        serving(fast_path=True) as (fast_url, fast),
        serving(fast_path=False) as (slow_url, slow),
        httpx.Client(base_url=fast_url, timeout=10) as one,
        httpx.Client(base_url=slow_url, timeout=10) as two,
    ):
        yield (one, fast), (two, slow)


def _normalised(response: httpx.Response, server: MockServer) -> tuple[int, list[tuple[str, str]], str]:
    text = response.content.decode("utf-8", "replace")
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    ids = {(r.lifecycle.errors.request_id_header or "").lower() for r in server.runtimes.values()} - {""}
    for name, value in headers:
        if name in ids:
            text = text.replace(value, "<request-id>")
    headers = [(k, "<request-id>" if k in ids else URL.sub("<base>", v)) for k, v in headers]
    text = re.sub(r"<RequestId>[^<]*</RequestId>", "<RequestId/>", text)  # the object store's own ids
    if "x-id=" in text:  # a URL minted fresh per call carries the request id, so its signature differs
        text = re.sub(r"Signature=[0-9a-f]+", "Signature=<signature>", re.sub(r"x-id=[^&\"]+", "x-id=<id>", text))
    return response.status_code, headers, URL.sub("<base>", text)


def _credential_headers(server: MockServer, api: str, tenant: str) -> dict[str, str]:
    runtime = server.runtimes[api]
    schemes: Mapping[str, Any] = runtime.spec["components"]["securitySchemes"]
    headers = {}
    for scheme, value in runtime.tenants[tenant].credentials.items():
        kind = schemes.get(scheme, {})
        if kind.get("type") == "http":
            headers["Authorization"] = f"Bearer {value}"
        elif kind.get("in") == "header":
            headers[str(kind["name"])] = value
    return headers


def _requests(server: MockServer, api: str, job: Mapping[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, headers) of every GET operation, with good and bad variants."""
    good = _credential_headers(server, api, "primary")
    other = _credential_headers(server, api, "secondary")
    runtime = server.runtimes[api]
    found: list[tuple[str, str, dict[str, str]]] = []
    values = {**runtime.tenants["primary"].fixtures, **job["params"]}
    for template, item in runtime.spec["paths"].items():
        if "get" not in item:
            continue
        names = re.findall(r"{([^}]+)}", template)
        if any(n not in values for n in names):
            continue
        path = f"/{api}" + re.sub(r"{([^}]+)}", lambda m: str(values[m.group(1)]), template)
        found += [("GET", path, good), ("GET", path, other), ("GET", path, {}), ("HEAD", path, good)]
        found += [("GET", path + "?limit=5", good), ("GET", path + "?limit=0", good), ("GET", path + "?limit=", good)]
        found += [("GET", path + "?limit=x&limit=2", good), ("GET", path + "?unknown=1", good)]
        found += [("GET", path + "?cursor=bogus", good), ("GET", path + "/", good)]
        found += [
            ("GET", path, {**good, "Authorization": "Bearer wrong"}),
            ("GET", path, {**good, "Authorization": ""}),
        ]
        found += [("GET", path, {**good, "Authorization": "Basic abc"}), ("GET", path, {**good, "Authorization": "x"})]
        found += [("GET", path, {k: v + "x" for k, v in good.items()}), ("POST", path, good)]
        found += [("GET", path, {**good, "If-None-Match": '"abc"'}), ("GET", path, {**good, "Content-Length": "0"})]
        found += [("GET", path, {**good, "X-Padding": "a" * 17_000})]  # over the header limit: Connexion's refusal
        if names:
            last = "/" + str(values[names[-1]])
            found += [
                ("GET", path.replace(last, "/999999999", 1), good),
                ("GET", path.replace(last, "/not-an-id", 1), good),
            ]
    return found


Pair = tuple[tuple[httpx.Client, MockServer], tuple[httpx.Client, MockServer]]


def _compare(pair: Pair, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    answers: list[tuple[httpx.Response, Any]] = []
    for client, server in pair:
        response = client.request(method, path, headers=headers)
        answers.append((response, _normalised(response, server)))
    assert answers[0][1] == answers[1][1], (method, path, headers)
    return answers[0][0]


def _both(pair: Any, method: str, path: str, body: Any = None) -> list[Any]:
    return [client.request(method, path, json=body).json() for client, _ in pair]


@pytest.mark.parametrize("api", API_NAMES)
def test_same_answers_with_and_without_the_fast_path(pair: Any, api: str) -> None:
    server = pair[0][1]
    lifecycle = server.runtimes[api].lifecycle
    for state in (lifecycle.initial, *lifecycle.downloadable):
        for tenant in ("primary", "secondary"):
            jobs = _both(
                pair, "POST", f"/_control/{api}/provider-states", {"state": state, "params": {"tenant": tenant}}
            )
            assert jobs[0] == jobs[1]
        for method, path, headers in _requests(server, api, jobs[0]):
            response = _compare(pair, method, path, headers)
            if "etag" in response.headers and method == "GET":
                _compare(pair, method, path, {**headers, "If-None-Match": response.headers["etag"]})
            for url in {URL.sub("", u) for u in STORAGE_URL.findall(response.text)}:
                _compare(pair, "GET", url, {})
                _compare(pair, "GET", url.replace("=", "=0", 1), {})
                _compare(pair, "HEAD", url, {})
            if "location" in response.headers and "/_storage/" in response.headers["location"]:
                _compare(pair, "GET", URL.sub("", response.headers["location"]), {})


@pytest.mark.parametrize("fault", [{"errorRate": 1.0}, {"latencyMs": 1}, {"violation": "lifecycle"}])
def test_same_answers_under_faults(pair: Any, fault: dict[str, Any]) -> None:
    server = pair[0][1]
    set_faults = _both(pair, "PUT", "/_control/curaeai/faults", fault)
    assert set_faults[0] == set_faults[1]
    try:
        job = _both(pair, "POST", "/_control/curaeai/provider-states", {"state": "RUNNING"})[0]
        for method, path, headers in _requests(server, "curaeai", job)[:4]:
            _compare(pair, method, path, headers)
    finally:
        _both(pair, "DELETE", "/_control/curaeai/faults")


async def _call_fast_path(server: MockServer, path: str, headers: dict[str, str]) -> tuple[bool, int]:
    """Send one request to a ``FastPath`` whose fall-through app records that it was reached."""
    reached: list[bool] = []

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(True)
        await Response(b"", 599)(scope, receive, send)

    async def on_error(request: Request, exc: Exception) -> Response:
        raise AssertionError(f"unexpected error {exc!r}")

    objects = ObjectStore(server.runtimes, server.signer)
    fast = FastPath(fallback, runtimes=server.runtimes, objects=objects, on_error=on_error, header_bytes=16384)
    path, _, query = path.partition("?")
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "t", **headers}.items()],
             "scheme": "http", "server": ("127.0.0.1", 80), "root_path": ""}  # fmt: skip
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await fast(scope, receive, send)
    return bool(reached), int(sent[0]["status"])


@pytest.mark.parametrize("api", API_NAMES)
def test_the_fast_path_answers_every_good_read_itself(pair: Any, api: str) -> None:
    (client, server), _ = pair
    state = server.runtimes[api].lifecycle.downloadable[0]
    job = client.post(f"/_control/{api}/provider-states", json={"state": state}).json()
    reads = [(path, headers) for method, path, headers in _requests(server, api, job)[:1] if method == "GET"]
    operations = server.runtimes[api].lifecycle.operations
    values = {**server.runtimes[api].tenants["primary"].fixtures, **job["params"]}
    assert reads
    for template, item in server.runtimes[api].spec["paths"].items():
        operation_id = item.get("get", {}).get("operationId")
        if operation_id in (operations.status, operations.download):
            path = f"/{api}" + re.sub(r"{([^}]+)}", lambda m: str(values[m.group(1)]), template)
            reads.append((path, reads[0][1]))
    assert len(reads) >= 2
    for path, headers in reads:
        reached, status = asyncio.run(_call_fast_path(server, path, headers))
        assert not reached, path
        assert status in (200, 302), (path, status)


def test_the_fast_path_passes_doubtful_requests_on(pair: Any) -> None:
    (client, server), _ = pair
    job = client.post("/_control/hookbridge/provider-states", json={"state": "completed"}).json()
    good = _credential_headers(server, "hookbridge", "primary")
    status = f"/hookbridge/v1/exports/{job['id']}"
    assert asyncio.run(_call_fast_path(server, status, good)) == (False, 200)
    assert asyncio.run(_call_fast_path(server, "/hookbridge/v1/exports?limit=3", good)) == (False, 200)
    assert asyncio.run(_call_fast_path(server, status, {}))[0]  # no credentials: Connexion's 401
    assert asyncio.run(_call_fast_path(server, status, {"Authorization": "Bearer nope"}))[0]
    assert asyncio.run(_call_fast_path(server, "/hookbridge/v1/exports?limit=0", good))[0]
    assert asyncio.run(_call_fast_path(server, "/hookbridge/v1/exports?x=1", good))[0]
    assert asyncio.run(_call_fast_path(server, "/hookbridge/v1/nowhere", good))[0]
    assert asyncio.run(_call_fast_path(server, status, {**good, "X-Padding": "a" * 17_000}))[0]


def _has_fast_path(server: MockServer) -> bool:
    return any(getattr(m, "func", None) is FastPath for m in server.app.middleware.middlewares)


@pytest.mark.parametrize(("argv", "expected"), [([], True), (["--no-fast-path"], False)])
def test_serve_has_the_fast_path_unless_told_not_to(argv: list[str], expected: bool) -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    server = build_from_args(parser.parse_args([*argv, "--api", "hookbridge"]))
    assert _has_fast_path(server) is expected
    # response validation needs every answer to pass through Connexion
    validating = build_from_args(parser.parse_args([*argv, "--api", "hookbridge", "--validate-responses"]))
    assert not _has_fast_path(validating)


def test_serve_uses_eager_uvloop_and_httptools_without_an_access_log() -> None:
    config = uvicorn_server(None).config
    assert (config.loop, config.http, config.access_log) == (
        "mockserver.eventloop:eager_accept_loop",
        "httptools",
        False,
    )


def test_a_fault_in_the_fast_path_itself_is_answered_by_connexion(
    pair: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (client, server), _ = pair
    job = client.post("/_control/hookbridge/provider-states", json={"state": "completed"}).json()
    status = f"/hookbridge/v1/exports/{job['id']}"
    good = _credential_headers(server, "hookbridge", "primary")

    async def broken(*args: Any) -> None:
        raise RuntimeError("a bug in the fast path")

    monkeypatch.setattr(FastPath, "_answer", broken)
    assert asyncio.run(_call_fast_path(server, status, good)) == (True, 599)  # Connexion's path was taken
    assert "a bug in the fast path" in caplog.text


def test_routes_are_remembered_by_path_within_a_bound(pair: Any) -> None:
    (client, server), _ = pair
    job = client.post("/_control/hookbridge/provider-states", json={"state": "completed"}).json()
    fast = FastPath(None, runtimes=server.runtimes, objects=None, on_error=None, header_bytes=16384)  # type: ignore[arg-type]
    status, nowhere = f"/hookbridge/v1/exports/{job['id']}", "/hookbridge/v1/nowhere"
    headers = [
        (k.lower().encode(), v.encode()) for k, v in _credential_headers(server, "hookbridge", "primary").items()
    ]

    async def answer(path: str) -> int | None:
        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": headers}
        response = await fast._answer(scope, None)  # type: ignore[arg-type]
        return None if response is None else response.status_code

    async def answers() -> list[int | None]:
        return [await answer(path) for path in (status, nowhere, status, nowhere)]  # again: from memory

    assert asyncio.run(answers()) == [200, None, 200, None]
    remembered = fast._resolved[status]
    assert remembered is not None
    assert remembered[0].operation_id == "getExport"
    assert fast._resolved[nowhere] is None

    async def many() -> None:
        for n in range(ROUTE_MEMO + 10):
            await answer(f"/hookbridge/v1/nowhere/{n}")

    asyncio.run(many())
    assert 0 < len(fast._resolved) <= ROUTE_MEMO
