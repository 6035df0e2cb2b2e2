"""Recorded answers of the mock, which the comparison servers serve again byte for byte.

The harness fetches each benchmarked endpoint once from the mock and saves what it answered
(status, body, the headers a client relies on, and which API operation it was) to a JSON file
that ``bare_app`` and ``connexion_floor`` read at start-up.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEPT_HEADERS = ("content-type", "location", "etag", "x-request-id")


@dataclass(frozen=True)
class Payload:
    """One recorded answer: served again on ``GET path`` (operation ``operation_id`` of ``api``)."""

    path: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    api: str = ""
    operation_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "headers": dict(self.headers),
            "body_b64": base64.b64encode(self.body).decode(),
            "api": self.api,
            "operation_id": self.operation_id,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Payload:
        return cls(
            str(raw["path"]),
            int(raw["status"]),
            dict(raw["headers"]),
            base64.b64decode(raw["body_b64"]),
            str(raw.get("api", "")),
            str(raw.get("operation_id", "")),
        )

    @classmethod
    def recorded(
        cls, path: str, status: int, headers: Mapping[str, str], body: bytes, *, api: str = "", operation_id: str = ""
    ) -> Payload:
        """Keep only the headers a client of the endpoint relies on (the server adds the rest)."""
        kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        return cls(path, status, kept, body, api, operation_id)


def save_payloads(payloads: Sequence[Payload], path: Path) -> None:
    path.write_text(json.dumps([p.to_json() for p in payloads], indent=1), encoding="utf-8")


def load_payloads(path: Path) -> list[Payload]:
    """Read a payload file; ``ValueError`` naming the file if it is not one."""
    try:
        return [Payload.from_json(raw) for raw in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a payload file written by the benchmark: {exc}") from exc


async def health(request: Any) -> Any:
    """``{"status": "ok"}``: the readiness probe of the comparison servers."""
    from starlette.responses import Response

    return Response(b'{"status":"ok"}', 200, media_type="application/json")


def serve_payloads(
    argv: Sequence[str] | None, *, prog: str, description: str, build: Callable[[list[Payload]], Any]
) -> int:
    """The ``main`` of a comparison server: ``--port N --payloads FILE``, served like the mock is."""
    from mockserver.cli import bind_socket, uvicorn_server

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payloads", type=Path, required=True, help="JSON file written by the harness")
    args = parser.parse_args(argv)
    app = build(load_payloads(args.payloads))
    sock = bind_socket(args.host, args.port)
    try:
        uvicorn_server(app).run(sockets=[sock])
    finally:
        sock.close()
    return 0
