"""The bare-framework baseline: a plain Starlette app answering the mock's own recorded answers.

The harness records what the mock answers on each benchmarked path (status, body, content type,
``Location``: ``benchmarks.payloads``); this app serves exactly those bytes on the same paths, with no
auth, no validation and no state, under the same uvicorn configuration as the mock
(``mockserver.cli.uvicorn_server``). What the mock is slower by is its own work.

    python -m benchmarks.bare_app --port 9000 --payloads payloads.json
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.payloads import Payload, health, serve_payloads


def create_bare_app(payloads: Sequence[Payload]) -> Starlette:
    """One route per recorded path (the query string, if any, is not routed on)."""

    def endpoint_for(payload: Payload) -> Any:
        headers = {k: v for k, v in payload.headers.items() if k != "content-type"}
        media_type = payload.headers.get("content-type")

        async def endpoint(request: Request) -> Response:
            return Response(payload.body, payload.status, headers, media_type)

        return endpoint

    routes = [Route(p.path.split("?", 1)[0], endpoint_for(p), methods=["GET"]) for p in payloads]
    routes.append(Route("/_bare/health", health, methods=["GET"]))
    return Starlette(routes=routes)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.bare_app --port N --payloads FILE``."""
    return serve_payloads(
        argv, prog="python -m benchmarks.bare_app", description=__doc__.split("\n")[0], build=create_bare_app
    )


if __name__ == "__main__":
    raise SystemExit(main())
