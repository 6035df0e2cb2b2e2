"""The bare-framework baseline: a plain Starlette app answering the mock's own recorded answers.

The harness records what the mock answers on each benchmarked path (status, body, content type,
``Location``) into a JSON file; this app serves exactly those bytes on the same paths, with no
auth, no validation and no state, under the same uvicorn configuration as the mock
(``mockserver.cli.uvicorn_server``). What the mock is slower by is its own work.

    python -m benchmarks.bare_app --port 9000 --payloads payloads.json
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.cli import bind_socket, uvicorn_server

KEPT_HEADERS = ("content-type", "location", "etag", "x-request-id")


@dataclass(frozen=True)
class Payload:
    """One recorded answer: served again, byte for byte, on ``GET path``."""

    path: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "headers": dict(self.headers),
            "body_b64": base64.b64encode(self.body).decode(),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Payload:
        return cls(str(raw["path"]), int(raw["status"]), dict(raw["headers"]), base64.b64decode(raw["body_b64"]))

    @classmethod
    def recorded(cls, path: str, status: int, headers: Mapping[str, str], body: bytes) -> Payload:
        """Keep only the headers a client of the endpoint relies on (the server adds the rest)."""
        kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        return cls(path, status, kept, body)


def save_payloads(payloads: Sequence[Payload], path: Path) -> None:
    path.write_text(json.dumps([p.to_json() for p in payloads], indent=1), encoding="utf-8")


def load_payloads(path: Path) -> list[Payload]:
    return [Payload.from_json(raw) for raw in json.loads(path.read_text(encoding="utf-8"))]


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
