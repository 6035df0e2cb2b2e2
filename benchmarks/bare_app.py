"""The bare-framework baseline: a plain Starlette app answering the mock's own recorded answers.

The harness records what the mock answers on each benchmarked path (status, body, content type,
``Location``: ``benchmarks.payloads``); this app serves exactly those bytes on the same paths, with no
auth, no validation and no state, under the same uvicorn configuration as the mock
(``mockserver.cli.uvicorn_server``). What the mock is slower by is its own work.

    python -m benchmarks.bare_app --port 9000 --payloads payloads.json
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.payloads import Payload, load_payloads
from mockserver.cli import bind_socket, uvicorn_server


def create_bare_app(payloads: Sequence[Payload]) -> Starlette:
    """One route per recorded path (the query string, if any, is not routed on)."""

    def endpoint_for(payload: Payload) -> Any:
        headers = {k: v for k, v in payload.headers.items() if k != "content-type"}
        media_type = payload.headers.get("content-type")

        async def endpoint(request: Request) -> Response:
            return Response(payload.body, payload.status, headers, media_type)

        return endpoint

    routes = [Route(p.path.split("?", 1)[0], endpoint_for(p), methods=["GET"]) for p in payloads]
    routes.append(Route("/_bare/health", _health, methods=["GET"]))
    return Starlette(routes=routes)


async def _health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', 200, media_type="application/json")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.bare_app --port N --payloads FILE``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_app", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payloads", type=Path, required=True, help="JSON file written by the harness")
    args = parser.parse_args(argv)
    app = create_bare_app(load_payloads(args.payloads))
    sock = bind_socket(args.host, args.port)
    try:
        uvicorn_server(app).run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
