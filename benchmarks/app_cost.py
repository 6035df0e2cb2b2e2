"""The mock's own cost per request, without the network: its ASGI app called in-process.

wrk figures mix the mock's work with uvicorn's, the kernel's and the load generator's, and move
with the machine's load by ±10 %. This measures only what a change to the mock changes: the
microseconds its ASGI app spends on one request, for each API's download and status endpoint,
built as ``python -m mockserver`` builds it (fast path, auth, request validation, state on) and
set up by the same provider state as the wrk benchmark. Compare with ``--bare``: a bare Starlette
app answering the same recorded bytes on the same path.

    python -m benchmarks.app_cost                      # every API, 20,000 calls each
    python -m benchmarks.app_cost --api curaeai --calls 50000 --bare

Figures are the median of ``--rounds`` rounds (default 3); a report line per endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.bare_app import create_bare_app
from benchmarks.endpoints import Endpoint, mock_endpoints
from benchmarks.payloads import Payload
from mockserver.cli import add_serve_arguments, build_from_args
from mockserver.control import ControlPlane
from specs import API_NAMES

HOST = (b"host", b"127.0.0.1:9000")
WARM_UP_CALLS = 200


@dataclass(frozen=True)
class AppCost:
    """One endpoint's in-process cost: microseconds per call (median of rounds) and the answer's status."""

    api: str
    kind: str
    status: int
    mock_us: float
    bare_us: float | None


def _scope(endpoint: Endpoint) -> dict[str, Any]:
    path, _, query = endpoint.path.partition("?")
    headers = [HOST, *((name.lower().encode(), value.encode()) for name, value in endpoint.headers.items())]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": headers, "server": ("127.0.0.1", 9000), "client": ("127.0.0.1", 50000),
    }  # fmt: skip


async def _time_calls(app: Callable[..., Any], scope: dict[str, Any], calls: int, rounds: int) -> tuple[float, int]:
    """Median microseconds per call over ``rounds`` rounds of ``calls`` calls, and the last status."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.clear()  # only the last answer is kept: a growing list would cost GC time
        sent.append(message)

    for _ in range(WARM_UP_CALLS):
        await app(dict(scope), receive, send)
    per_round = []
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(calls):
            await app(dict(scope), receive, send)
        per_round.append((time.perf_counter() - began) / calls * 1e6)
    return statistics.median(per_round), int(sent[0]["status"])


def measure(apis: Sequence[str], *, calls: int, rounds: int, bare: bool) -> list[AppCost]:
    """Build the mock as ``python -m mockserver`` does and time each API's download and status calls."""
    parser = argparse.ArgumentParser(prog="python -m mockserver")
    add_serve_arguments(parser)
    server = build_from_args(parser.parse_args([arg for api in apis for arg in ("--api", api)]))
    control = ControlPlane(server.runtimes, store=server.store, clock=server.clock, faults=server.faults)
    loop = asyncio.new_event_loop()
    costs = []
    try:
        for name, runtime in server.runtimes.items():
            state = control.setup(runtime, runtime.lifecycle.ready, runtime.tenant("primary"), {})
            for endpoint in mock_endpoints(name, runtime.spec, state):
                scope = _scope(endpoint)
                mock_us, status = loop.run_until_complete(_time_calls(server.app, scope, calls, rounds))
                bare_us = None
                if bare:
                    sent: list[dict[str, Any]] = []
                    loop.run_until_complete(_record(server.app, scope, sent))
                    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in sent[0]["headers"]}
                    payload = Payload.recorded(scope["path"], status, headers, _body(sent))
                    bare_app = create_bare_app([payload])
                    bare_us, _ = loop.run_until_complete(_time_calls(bare_app, scope, calls, rounds))
                costs.append(AppCost(name, endpoint.kind, status, round(mock_us, 1), _rounded(bare_us)))
    finally:
        loop.close()
        server.store.close()
    return costs


async def _record(app: Callable[..., Any], scope: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)


def _body(sent: Sequence[dict[str, Any]]) -> bytes:
    return b"".join(bytes(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.app_cost [--api NAME] [--calls N] [--rounds N] [--bare]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--api", action="append", choices=API_NAMES, help="only this API (repeatable)")
    parser.add_argument("--calls", type=int, default=20_000, help="calls per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, median taken (default 3)")
    parser.add_argument("--bare", action="store_true", help="also time a bare Starlette app on the same bytes")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.rounds < 1:
        parser.error("--calls and --rounds must be >= 1")
    for cost in measure(args.api or [], calls=args.calls, rounds=args.rounds, bare=args.bare):
        bare = f"  bare {cost.bare_us:6.1f} µs" if cost.bare_us is not None else ""
        print(f"{cost.api:13} {cost.kind:9} HTTP {cost.status}  mock {cost.mock_us:6.1f} µs/call{bare}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
