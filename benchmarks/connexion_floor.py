"""Connexion's floor: the same specs in a Connexion ``AsyncApp``, handlers that do nothing.

Every recorded API is served under ``/<api>`` from its spec with Connexion's routing, security
and request validation on, exactly as the mock mounts it, but each operation's handler returns
the mock's recorded answer and any well-formed credential is accepted (a dict lookup in the mock).
What this server costs per request is what Connexion costs before the mock does any work: the
lowest the mock can go while Connexion stays in its request path.

    python -m benchmarks.connexion_floor --port 9002 --payloads payloads.json
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.responses import Response

from benchmarks.payloads import Payload, health, serve_payloads
from specs import load_spec

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # connexion's import-time deprecation warnings, as in mockserver.app
    import connexion
from connexion.resolver import Resolver
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler

Handler = Callable[..., Any]


def _accept_any(value: str) -> dict[str, str]:
    return {"sub": "bench"}


class _AnyBearer(BearerSecurityHandler):  # type: ignore[misc]
    def _resolve_func(self, security_scheme: Mapping[str, Any]) -> Callable[[str], dict[str, str]]:
        return _accept_any


class _AnyApiKey(ApiKeySecurityHandler):  # type: ignore[misc]
    def _resolve_func(self, security_scheme: Mapping[str, Any]) -> Callable[[str], dict[str, str]]:
        return _accept_any


def _handler(payload: Payload | None) -> Handler:
    if payload is None:

        async def not_recorded(**kwargs: Any) -> Response:
            return Response(b"not recorded", 501, media_type="text/plain")

        return not_recorded
    headers = {k: v for k, v in payload.headers.items() if k != "content-type"}
    media_type = payload.headers.get("content-type")

    async def recorded(**kwargs: Any) -> Response:
        return Response(payload.body, payload.status, headers, media_type)

    return recorded


def create_floor_app(payloads: Sequence[Payload]) -> Any:
    """A ``connexion.AsyncApp`` serving each API that has a recorded payload."""
    app = connexion.AsyncApp(__name__)
    for api in dict.fromkeys(p.api for p in payloads if p.api):
        by_operation = {p.operation_id: p for p in payloads if p.api == api}
        app.add_api(
            copy.deepcopy(load_spec(api)),
            base_path=f"/{api}",
            name=api,
            resolver=Resolver(function_resolver=lambda op_id, known=by_operation: _handler(known.get(op_id))),
            security_map={"bearer": _AnyBearer, "apiKey": _AnyApiKey},
        )
    app.add_url_rule("/_floor/health", endpoint="health", view_func=health, methods=["GET"])
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.connexion_floor --port N --payloads FILE``."""
    return serve_payloads(
        argv, prog="python -m benchmarks.connexion_floor", description=__doc__.split("\n")[0], build=create_floor_app
    )


if __name__ == "__main__":
    raise SystemExit(main())
