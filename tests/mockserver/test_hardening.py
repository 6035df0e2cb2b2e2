"""Hardening of the mock: signed URLs, request limits, slow clients and rate limits.

Requests the clients would "fix" (dot segments, encoded slashes, declared sizes with no body,
bodies trickled byte by byte) are written on raw sockets.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hmac
import inspect
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

import mockserver
from mockserver.cli import SECRET_ENV, add_serve_arguments, build_from_args, main
from mockserver.clock import compact_utc
from mockserver.errors import ConfigError, StorageError
from mockserver.limits import MIB, Operation, OperationIndex, RequestLimits, refusal_status
from mockserver.ratelimit import RateLimit, WindowQuota
from mockserver.signing import SignedUrlSigner
from mockserver.store import MemoryStore
from mockserver.testing import MockHandle, running_mock
from mockserver.vendors import hookbridge, webadmit
from specs import load_spec
from tests.mockserver.conftest import client_for

NOW = 1_700_000_000.0
EXPORTS = "/v1/exports"  # hookbridge
CREATE_BODY = {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"}
SERVED = ["curaeai", "hookbridge", "spaaza", "webadmit"]
ROOT = Path(__file__).resolve().parents[2]
TOO_BIG = f"the request body exceeds {MIB} bytes"


@pytest.fixture(scope="module")
def mock_session() -> Iterator[MockHandle]:
    with running_mock(SERVED, seed=5) as handle:
        yield handle


@pytest.fixture
def mock(mock_session: MockHandle) -> MockHandle:
    mock_session.reset()
    return mock_session


@pytest.fixture(scope="module")
def web() -> Iterator[httpx.Client]:
    """One client for the module: building one costs more than the requests of a test."""
    with httpx.Client(timeout=10.0) as client:
        yield client


def hookbridge_auth(mock: MockHandle, tenant: str = "primary") -> dict[str, str]:
    return {"Authorization": f"Bearer {hookbridge_token(mock, tenant)}"}


# -- raw HTTP ---------------------------------------------------------------------------------------
class RawAnswer:
    """A response read off a socket: status, lower-cased headers, body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def connect(mock: MockHandle) -> socket.socket:
    host, port = urlsplit(mock.url).netloc.split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def read_answer(sock: socket.socket) -> RawAnswer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return RawAnswer(int(status_line.split()[1]), headers, body[:length])


def raw(mock: MockHandle, request_head: str, body: bytes = b"") -> RawAnswer:
    """Send ``request_head`` (request line and headers, without the blank line) and ``body``."""
    with connect(mock) as sock:
        sock.sendall(request_head.encode("latin-1") + b"\r\nConnection: close\r\n\r\n" + body)
        return read_answer(sock)


def hookbridge_token(mock: MockHandle, tenant: str = "primary") -> str:
    token: str = mock.target("hookbridge")["tenants"][tenant]["credentials"]["apiKey"]
    return token


def create_head(mock: MockHandle, content_length: int, extra: str = "") -> bytes:
    """The request line and headers of a hookbridge create with ``Content-Length: content_length``."""
    return (
        f"POST /hookbridge{EXPORTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {hookbridge_token(mock)}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {content_length}\r\n{extra}\r\n"
    ).encode()


def download_url(mock: MockHandle, web: httpx.Client) -> str:
    job = mock.provider_state("hookbridge", "completed")
    answer = web.get(f"{mock.base_url('hookbridge')}{EXPORTS}/{job['id']}/download", headers=hookbridge_auth(mock))
    assert answer.status_code == 302
    return answer.headers["location"]


# -- signed URLs ------------------------------------------------------------------------------------
def signed_query(signer: SignedUrlSigner, **kwargs: Any) -> dict[str, str]:
    url = signer.sign("http://h", style="s3-sigv4", bucket="b", key="j/f.csv", expires=60, now=NOW, **kwargs)
    return dict(parse_qsl(urlsplit(url).query))


def test_verify_decides_by_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = SignedUrlSigner("s3cret")
    good = signed_query(signer)
    forged = {**good, "X-Amz-Signature": "0" * 64}
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("mockserver.signing.hmac.compare_digest", spy)
    signer.verify(style="s3-sigv4", bucket="b", key="j/f.csv", query=good, now=NOW)
    assert calls == [(good["X-Amz-Signature"], good["X-Amz-Signature"])]
    # The verdict is compare_digest's alone: no other comparison of the signature is made.
    monkeypatch.setattr("mockserver.signing.hmac.compare_digest", lambda a, b: True)
    signer.verify(style="s3-sigv4", bucket="b", key="j/f.csv", query=forged, now=NOW)
    monkeypatch.setattr("mockserver.signing.hmac.compare_digest", lambda a, b: False)
    with pytest.raises(StorageError, match="signature"):
        signer.verify(style="s3-sigv4", bucket="b", key="j/f.csv", query=good, now=NOW)


def test_expiry_is_the_servers_clock_and_cannot_be_extended_by_the_client(mock: MockHandle, web: httpx.Client) -> None:
    url = download_url(mock, web)
    split = urlsplit(url)
    query = dict(parse_qsl(split.query))
    base = f"{split.scheme}://{split.netloc}{split.path}"
    assert web.get(url).status_code == 200
    mock.advance(int(query["X-Amz-Expires"]) + 1)
    assert web.get(url).status_code == 403
    later_date = compact_utc(mock.server.clock.now())
    for changed in ({"X-Amz-Expires": "604800"}, {"X-Amz-Date": later_date}):
        answer = web.get(f"{base}?{urlencode({**query, **changed})}")
        assert answer.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in answer.text


@pytest.mark.parametrize("method", ["HEAD", "PUT", "POST", "DELETE"])
def test_a_get_url_is_refused_for_every_other_method_as_s3_does(
    mock: MockHandle, web: httpx.Client, method: str
) -> None:
    url = download_url(mock, web)
    answer = web.request(method, url)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/xml"
    if method != "HEAD":  # HEAD answers carry no body
        assert "<Code>SignatureDoesNotMatch</Code>" in answer.text
    assert web.get(url).status_code == 200


def test_a_url_signed_for_put_is_bound_to_put_and_the_store_is_read_only(mock: MockHandle, web: httpx.Client) -> None:
    get_url = urlsplit(download_url(mock, web))
    _, _, _, bucket, key = get_url.path.split("/", 4)
    put_url = mock.server.signer.sign(
        mock.url, style="s3-sigv4", bucket=bucket, key=key, expires=60, now=mock.server.clock.now(), method="PUT"
    )
    assert web.get(put_url).status_code == 403
    refused = web.put(put_url, content=b"new bytes")
    assert refused.status_code == 405
    assert "<Code>MethodNotAllowed</Code>" in refused.text
    assert web.get(urlsplit(put_url)._replace(query=get_url.query).geturl()).status_code == 200  # unchanged


@pytest.mark.parametrize(
    "evil",
    ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/x", "%2E%2E%2fx", "a%2Fb", "a%5Cb", "a/./b", "%252e%252e/x"],
)
def test_traversal_and_encoded_slashes_in_keys_are_refused(mock: MockHandle, web: httpx.Client, evil: str) -> None:
    query = urlsplit(download_url(mock, web)).query
    answer = raw(mock, f"GET /_storage/s3/hookbridge/{evil}?{query} HTTP/1.1\r\nHost: 127.0.0.1")
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/xml"
    assert b"<Code>InvalidURI</Code>" in answer.body


def test_a_signed_parameter_given_twice_is_refused(mock: MockHandle, web: httpx.Client) -> None:
    url = download_url(mock, web)
    answer = web.get(url + "&X-Amz-Expires=60")
    assert answer.status_code == 403
    assert "given twice" in answer.text


def serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return parser.parse_args([*argv, "--api", "hookbridge"])


def minted_signature(args: argparse.Namespace) -> str:
    server = build_from_args(args)
    try:
        return signed_query(server.signer)["X-Amz-Signature"]
    finally:
        server.store.close()


def test_two_servers_without_a_secret_get_different_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    assert serve_args().signing_secret is None
    assert minted_signature(serve_args()) != minted_signature(serve_args())
    assert signed_query(SignedUrlSigner()) != signed_query(SignedUrlSigner())


def test_the_secret_comes_from_the_flag_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-env")
    expected_env = signed_query(SignedUrlSigner("from-env"))["X-Amz-Signature"]
    assert minted_signature(serve_args()) == expected_env
    expected_flag = signed_query(SignedUrlSigner("from-flag"))["X-Amz-Signature"]
    assert minted_signature(serve_args("--signing-secret", "from-flag")) == expected_flag


def test_an_empty_secret_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(SECRET_ENV, "")
    assert main(["--port", "0", "--api", "hookbridge"]) == 2
    assert "signing-secret: must not be empty" in capsys.readouterr().err


def _secret_literals(tree: ast.AST) -> list[str]:
    """String constants given as a signing secret: a signer's argument, a secret keyword or default."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "SignedUrlSigner":
            found += [ast.unparse(a) for a in node.args if isinstance(a, ast.Constant) and a.value is not None]
        if isinstance(node, ast.Call | ast.keyword | ast.arguments):
            pairs: list[tuple[str, ast.expr | None]] = []
            if isinstance(node, ast.Call):
                pairs = [(k.arg or "", k.value) for k in node.keywords]
            elif isinstance(node, ast.arguments):
                named = node.args[len(node.args) - len(node.defaults) :]
                pairs = [(a.arg, d) for a, d in zip(named, node.defaults, strict=True)]
                pairs += [(a.arg, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True)]
            found += [
                f"{name}={ast.unparse(value)}"
                for name, value in pairs
                if "secret" in name.lower()
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str | bytes)
                and value.value
            ]
    return found


def test_no_literal_default_secret_exists_in_the_mock_or_the_cli() -> None:
    sources = [*(ROOT / "mockserver").rglob("*.py"), *(ROOT / "tools").rglob("*.py")]
    assert len(sources) > 10
    offenders = {
        str(p.relative_to(ROOT)): found for p in sources if (found := _secret_literals(ast.parse(p.read_text())))
    }
    assert offenders == {}
    assert _secret_literals(ast.parse('SignedUrlSigner("k")\ndef f(signing_secret="x"): ...')) == [
        "'k'",
        "signing_secret='x'",
    ]  # the scan itself finds what it looks for
    assert inspect.signature(SignedUrlSigner).parameters["secret"].default is None
    assert inspect.signature(running_mock).parameters["signing_secret"].default is None


# -- request limits -----------------------------------------------------------------------------------
def test_limits_and_their_status_follow_the_spec() -> None:
    limits = RequestLimits()
    assert (limits.body_bytes, limits.header_bytes) == (MIB, 16 * 1024)
    assert limits.body_limit("carevalidate", "uploadFile") == 32 * MIB
    assert limits.body_limit("carevalidate", "renameFile") == limits.body_limit(None, None) == MIB
    documented = Operation("x", "op", frozenset({200, 400, 413}))
    assert refusal_status(documented, 413) == 413
    assert refusal_status(documented, 431) == 400
    assert refusal_status(Operation("x", "op", frozenset({200, 404})), 431) == 431
    assert refusal_status(None, 408) == 408
    index = OperationIndex({"hookbridge": load_spec("hookbridge")})
    found = index.find("/hookbridge/v1/exports/abc/download", "HEAD")
    assert found is not None
    assert found.operation_id == "downloadExport"
    assert index.find("/hookbridge/v1/nothing", "GET") is None
    for bad in (
        {"body_bytes": 0},
        {"header_bytes": -1},
        {"body_seconds": 0.0},
        {"operation_body_bytes": {"a": {"b": 0}}},
    ):
        with pytest.raises(ConfigError):
            RequestLimits(**bad)


def too_big_json(size: int = MIB + 1) -> bytes:
    return b'{"pad":"' + b"x" * (size - 10) + b'"}'


WEBADMIT_CREATE = "/api/v1/user_identities/{user_identity_id}/exports/{export_id}/export_files"


@pytest.mark.parametrize(
    ("api", "path", "status", "check"),
    [
        ("hookbridge", EXPORTS, 400,
         lambda b: (b["error"]["code"], b["error"]["message"]) == ("INVALID_REQUEST", TOO_BIG)),
        ("curaeai", "/api/sdk/v1/records/exports", 400, lambda b: (b["status"], b["code"]) == (400, "BAD_REQUEST")),
        ("spaaza", "/tasks", 400, lambda b: b["result"]["status"] == "error" and b["error"]["code"] == 400),
        ("webadmit", WEBADMIT_CREATE, 404, lambda b: b == {"message": "Not Found"}),
    ],
)  # fmt: skip
def test_a_body_over_1_mib_gets_the_vendors_documented_refusal(
    mock: MockHandle, web: httpx.Client, api: str, path: str, status: int, check: Callable[[Any], bool]
) -> None:
    assert str(status) in load_spec(api)["paths"][path]["post"]["responses"]  # none documents 413
    concrete = path.format(user_identity_id=1, export_id=2)
    answer = web.post(
        mock.base_url(api) + concrete, content=too_big_json(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == status
    assert check(answer.json())


def test_a_body_just_under_the_limit_is_read(mock: MockHandle, web: httpx.Client) -> None:
    body = json.dumps(CREATE_BODY).encode()
    padded = body[:-1] + b" " * (MIB - len(body)) + b"}"
    assert len(padded) == MIB
    headers = {**hookbridge_auth(mock), "Content-Type": "application/json"}
    answer = web.post(mock.base_url("hookbridge") + EXPORTS, content=padded, headers=headers)
    assert answer.status_code == 201, answer.text


def test_a_declared_size_over_the_limit_is_refused_before_the_body_is_sent(mock: MockHandle) -> None:
    with connect(mock) as sock:
        sock.sendall(create_head(mock, 10 * MIB, "Expect: 100-continue\r\n"))
        answer = read_answer(sock)  # no body was sent: the answer comes from the declared size alone
    assert answer.status == 400
    assert answer.json()["error"]["message"] == TOO_BIG
    assert answer.json()["meta"]["request_id"] == answer.headers["x-request-id"]


def test_a_chunked_body_over_the_limit_is_refused_while_read(mock: MockHandle, web: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    headers = {**hookbridge_auth(mock), "Content-Type": "application/json"}
    answer = web.post(mock.base_url("hookbridge") + EXPORTS, content=chunks(), headers=headers)
    assert answer.status_code == 400
    assert "exceeds" in answer.json()["error"]["message"]


def test_control_plane_and_object_store_refuse_big_bodies_in_their_own_format(
    mock: MockHandle, web: httpx.Client
) -> None:
    control = web.post(mock.url + "/_control/clock/advance", content=too_big_json())
    assert control.status_code == 413
    assert control.json()["error"]["code"] == "BODY_TOO_LARGE"
    storage = web.request("GET", download_url(mock, web), content=too_big_json())
    assert storage.status_code == 400
    assert "<Code>MaxMessageLengthExceeded</Code>" in storage.text


@pytest.mark.parametrize("size", [20_000, 1_000_000])
def test_headers_over_the_limit_are_refused_cleanly(mock: MockHandle, web: httpx.Client, size: int) -> None:
    big = {"X-Padding": "a" * size}
    answer = web.get(mock.base_url("hookbridge") + EXPORTS, headers={**hookbridge_auth(mock), **big})
    assert answer.status_code == 400
    assert "headers exceed" in answer.json()["error"]["message"]
    long_query = web.get(mock.base_url("hookbridge") + EXPORTS + "?cursor=" + "a" * min(size, 60_000))
    assert long_query.status_code == 400
    webadmit_answer = web.get(mock.base_url("webadmit") + "/api/v1/exports", headers=big)
    assert (webadmit_answer.status_code, webadmit_answer.json()) == (404, {"message": "Not Found"})
    storage = web.get(download_url(mock, web), headers=big)
    assert (storage.status_code, "<Code>RequestHeaderSectionTooLarge</Code>" in storage.text) == (400, True)
    fits = web.get(mock.base_url("hookbridge") + EXPORTS, headers={**hookbridge_auth(mock), "X-Padding": "a" * 12_000})
    assert fits.status_code == 200


def test_carevalidate_uploads_have_their_own_limit() -> None:
    with running_mock(["carevalidate"], seed=5) as mock:
        tenant = mock.target("carevalidate")["tenants"]["primary"]
        creds, case_id = tenant["credentials"], tenant["fixtures"]["caseId"]
        headers = {"cv-api-key": creds["cvApiKey"], "Authorization": f"Bearer {creds['accessToken']}"}
        upload = mock.base_url("carevalidate") + "/api/v1/users/me/files/upload"
        # 1.5 MiB of file is 2 MiB of base64: over the default limit, under uploadFile's (and under
        # the vendor module's own 2 MiB cap on the decoded file)
        data = base64.b64encode(b"%PDF-1.4 " + b"\0" * (3 * MIB // 2)).decode()
        body = {"name": "scan.pdf", "data": data, "caseId": case_id, "mimeType": "application/pdf"}
        stored = httpx.post(upload, json=body, headers=headers, timeout=30)
        assert stored.status_code == 201, stored.text[:300]
        renamed = httpx.patch(
            mock.base_url("carevalidate") + f"/api/v1/users/me/files/{stored.json()['data']['id']}/metadata",
            content=too_big_json(),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert renamed.status_code == 400
        with connect(mock) as sock:
            sock.sendall(
                f"POST /carevalidate/api/v1/users/me/files/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {32 * MIB + 1}\r\n\r\n".encode()
            )
            refused = read_answer(sock)
    assert refused.status == 400
    assert refused.json()["code"] == "VALIDATION_ERROR"
    assert str(32 * MIB) in refused.json()["error"]


# -- slow clients -------------------------------------------------------------------------------------
def test_a_client_trickling_its_body_does_not_delay_others(mock: MockHandle) -> None:
    body = json.dumps({**CREATE_BODY, "direction": "outbound", "status": "succeeded"}).encode()
    with connect(mock) as slow, connect(mock) as stalled_headers:
        stalled_headers.sendall(b"GET /hookbridge/v1/exp")  # a request line that never ends
        slow.sendall(create_head(mock, len(body)) + body[:1])

        def trickle() -> None:
            for byte in body[1:]:
                time.sleep(0.01)
                slow.sendall(bytes([byte]))

        trickler = threading.Thread(target=trickle)
        trickler.start()
        with client_for(mock, "hookbridge") as client, ThreadPoolExecutor(4) as pool:

            def timed_get(_: int) -> float:
                started = time.perf_counter()
                assert client.get(EXPORTS).status_code == 200
                return time.perf_counter() - started

            durations = list(pool.map(timed_get, range(16)))
        still_trickling = trickler.is_alive()
        trickler.join()
        answer = read_answer(slow)
    assert still_trickling, "the concurrent requests should finish while the slow body is still arriving"
    assert max(durations) < 1.0, durations
    assert answer.status == 201
    assert answer.json()["data"]["status"] == "pending"


def test_a_body_that_does_not_arrive_in_time_is_refused_and_the_connection_closed() -> None:
    with running_mock(["hookbridge"], limits=RequestLimits(body_seconds=0.3)) as mock, connect(mock) as sock:
        sock.sendall(create_head(mock, 100) + b"{")
        answer = read_answer(sock)
        assert sock.recv(1) == b""  # closed by the server
    assert answer.status == 400
    assert answer.headers["connection"] == "close"
    assert "did not arrive within 0.3 s" in answer.json()["error"]["message"]


# -- rate limits ----------------------------------------------------------------------------------------
def test_window_quota_counts_per_key_in_windows_of_the_injected_clock() -> None:
    now = [120.5]
    store = MemoryStore()
    quota = WindowQuota(store, lambda: now[0], RateLimit(2, 60), namespace="t", enforce=True)
    uses = [quota.take("a") for _ in range(3)]
    assert [(u.used, u.remaining, u.refused) for u in uses] == [(1, 1, False), (2, 0, False), (2, 0, True)]
    assert (uses[2].retry_after, uses[2].resets_at) == (60, 180.0)
    assert not quota.take("b").refused
    now[0] = 179.9
    assert quota.take("a").refused
    now[0] = 180.0
    assert quota.take("a").used == 1
    counting = WindowQuota(store, lambda: now[0], RateLimit(1, 60), namespace="u", enforce=False)
    assert [(u.used, u.remaining, u.refused) for u in (counting.take("a"), counting.take("a"))] == [
        (1, 0, False),
        (2, 0, False),
    ]
    with pytest.raises(ConfigError):
        RateLimit(0, 60)


def test_rate_limits_are_off_unless_asked(mock: MockHandle, web: httpx.Client) -> None:
    clock = mock.server.clock
    slot = f"primary:{int(clock.now() // 60)}"
    mock.server.store.put_value(hookbridge.QUOTA_NAMESPACE, slot, "5000")
    assert web.get(mock.base_url("hookbridge") + EXPORTS, headers=hookbridge_auth(mock)).status_code == 200
    key = mock.target("webadmit")["tenants"]["primary"]["credentials"]["apiKey"]
    hour = f"primary:{int(clock.now() // webadmit.RATE_WINDOW_SECONDS)}"
    mock.server.store.put_value(webadmit.QUOTA_NAMESPACE, hour, str(webadmit.RATE_LIMIT_PER_HOUR))
    answer = web.get(mock.base_url("webadmit") + "/api/v1/exports", headers={"x-api-key": key})
    assert answer.status_code == 200  # counted and reported, not refused
    assert answer.headers["x-ratelimit-remaining"] == "0"
    assert answer.headers["x-ratelimit-limit"] == str(webadmit.RATE_LIMIT_PER_HOUR)


def test_hookbridge_1000_a_minute_per_project_when_enabled(web: httpx.Client) -> None:
    with running_mock(["hookbridge", "webadmit"], rate_limits=True) as mock:
        now = mock.server.clock.now()
        mock.advance(60 - now % 60 + 1)  # a fresh minute that outlasts the test
        minute = int(mock.server.clock.now() // 60)
        store = mock.server.store
        exports = mock.base_url("hookbridge") + EXPORTS
        primary, secondary = hookbridge_auth(mock), hookbridge_auth(mock, "secondary")
        assert web.get(exports, headers=primary).status_code == 200
        assert store.get_value(hookbridge.QUOTA_NAMESPACE, f"primary:{minute}") == "1"
        store.put_value(hookbridge.QUOTA_NAMESPACE, f"primary:{minute}", "999")
        assert web.post(exports, json=CREATE_BODY, headers=primary).status_code == 201  # the 1000th
        over = web.get(exports, headers=primary)
        assert over.status_code == 429
        assert over.json() == {
            "error": {"code": "RATE_LIMITED", "message": "Rate limit exceeded. Try again later."},
            "meta": {"request_id": over.headers["x-request-id"]},
        }
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert web.get(exports, headers=secondary).status_code == 200  # per project
        mock.advance(60)
        assert web.get(exports, headers=primary).status_code == 200
        key = mock.target("webadmit")["tenants"]["primary"]["credentials"]["apiKey"]
        hour = f"primary:{int(mock.server.clock.now() // webadmit.RATE_WINDOW_SECONDS)}"
        store.put_value(webadmit.QUOTA_NAMESPACE, hour, str(webadmit.RATE_LIMIT_PER_HOUR))
        refused = web.get(mock.base_url("webadmit") + "/api/v1/exports", headers={"x-api-key": key})
        assert (refused.status_code, refused.headers["x-ratelimit-remaining"]) == (429, "0")


def test_rate_limits_flag() -> None:
    assert serve_args().rate_limits is False
    args = serve_args("--rate-limits")
    server = build_from_args(args)
    try:
        assert server.runtimes["hookbridge"].rate_limits is True
    finally:
        server.store.close()
    assert "rate_limits" in inspect.signature(mockserver.create_app).parameters
