"""A fast path for the hot reads, in front of Connexion's routing, security and validation.

Connexion's per-request machinery costs several times a whole bare Starlette request
(``benchmarks/RESULTS.md``). ``FastPath`` is an ASGI middleware placed first, before the request
limits (it passes on a body or headers over their limit): at start-up it compiles, from each
spec, every ``GET`` operation whose parameters and security it can check exactly as Connexion
would (``mockserver.fastroutes``: path regex, scalar parameters with validators built once,
bearer / header API-key schemes checked with the vendor's own ``authenticate``), and
``GET /_storage/...``. A request it is certain about is answered by the same vendor handler (or
object store) directly. Anything else — another method, an unknown or ambiguous route, a
missing or failed credential, a parameter that does not coerce or validate, an unknown,
repeated or empty query parameter, a repeated header, a body, a fault with latency or an error
rate, a storage request the store refuses — goes on to Connexion untouched, so every error
envelope is exactly the one Connexion's path renders. Checks before the handler are pure, so
falling through after them repeats nothing a client could see.

An error raised by a vendor handler on the fast path (404, 409...) is rendered by ``on_error``,
the same function Connexion's error handler uses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.envelopes import request_id_for
from mockserver.fastroutes import NO_DEFAULT, FastOperation, compile_routes
from mockserver.jsonbody import add_headers
from mockserver.runtime import ApiRuntime
from mockserver.storage import ObjectStore
from mockserver.vendors import Call, Tenant

ErrorResponder = Callable[[Request, Exception], Awaitable[Response]]

STORAGE_PATTERN = re.compile(r"/_storage/(?P<provider>[^/]+)/(?P<bucket>[^/]+)/(?P<key>.*)")
VALID_MEMO = 4096  # parameter texts remembered as valid, per operation
ROUTE_MEMO = 4096  # paths remembered with their route: clients poll the same few

logger = logging.getLogger("mockserver.fastpath")


def tenant_for_credential(runtime: ApiRuntime, scheme: str, value: str) -> Tenant | None:
    """The tenant ``value`` of security scheme ``scheme`` belongs to (Connexion's check uses it too).

    Under the ``auth`` violation (credentials not checked) any value is the primary tenant's.
    """
    tenant = runtime.vendor.authenticate(runtime, scheme, value)
    if tenant is None and not runtime.rules.check_credentials:
        tenant = runtime.tenants["primary"]
    return tenant


class FastPath:
    """ASGI middleware answering the hot reads directly (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        runtimes: Mapping[str, ApiRuntime],
        objects: ObjectStore | None,
        on_error: ErrorResponder,
        header_bytes: int,
    ) -> None:
        self.app = app
        self.objects = objects
        self.on_error = on_error
        self.header_bytes = header_bytes
        # per API and number of path segments (no route regex matches a "/"): every spec path's
        # regex with that many segments, and the fast operation of its GET (or None)
        self.routes: dict[tuple[str, int], list[tuple[re.Pattern[str], FastOperation | None]]] = {}
        self._resolved: dict[str, tuple[FastOperation, re.Match[str]] | None] = {}
        for name, runtime in runtimes.items():
            for pattern, operation in compile_routes(runtime):
                self.routes.setdefault((name, _segments(pattern)), []).append((pattern, operation))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and self._plain(scope):
            try:
                response = await self._answer(scope, receive)
            except Exception:  # outside Connexion's 500 handling: let its path answer
                logger.exception("the fast path failed on %s; Connexion answers instead", scope["path"])
                response = None
            if response is not None:
                await _send_response(response, scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _plain(self, scope: Scope) -> bool:
        """No body, no root path, and within the header limit (the limits middleware's own sum)."""
        size = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string") or b"")
        for name, value in scope["headers"]:
            if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                return False
            size += len(name) + len(value)
        return size <= self.header_bytes and not scope.get("root_path")

    async def _answer(self, scope: Scope, receive: Receive) -> Response | None:
        path: str = scope["path"]
        if path.startswith("/_storage/"):
            return await self._storage(scope, receive, path)
        try:
            resolved = self._resolved[path]
        except KeyError:
            resolved = self._resolve(path)
            if len(self._resolved) >= ROUTE_MEMO:
                self._resolved = {}
            self._resolved[path] = resolved
        if resolved is None:
            return None  # unknown, ambiguous or not compiled: Connexion decides
        operation, match = resolved
        return await self._operation(operation, match, scope, receive)

    def _resolve(self, path: str) -> tuple[FastOperation, re.Match[str]] | None:
        """The one compiled operation ``path`` routes to, and its match."""
        api = path[1:].partition("/")[0]
        routes = self.routes.get((api, path.count("/"))) or []
        matched = [(op, m) for pattern, op in routes if (m := pattern.fullmatch(path)) is not None]
        if len(matched) != 1:
            return None
        operation, match = matched[0]
        return None if operation is None else (operation, match)

    async def _operation(
        self, operation: FastOperation, match: re.Match[str], scope: Scope, receive: Receive
    ) -> Response | None:
        runtime = operation.runtime
        fault = runtime.faults.get(runtime.name)
        if fault.latency_ms or fault.error_rate:
            return None
        headers = _single_headers(scope, operation.headers_read)
        if headers is None:
            return None
        params = _parameters(operation, match, scope, headers)
        if params is None:
            return None
        tenant = _authenticate(operation, headers)
        if tenant is None:
            return None
        request = Request(scope, receive)
        request_id = request_id_for(request, runtime)
        try:
            call = Call(request, tenant, params, None, request_id, _base_url(scope, headers))
            response = await operation.handler(call)
        except Exception as exc:  # rendered exactly as Connexion's error handler renders it
            return await self.on_error(request, exc)
        header = runtime.lifecycle.errors.request_id_header
        if header:
            add_headers(response, {header: request_id})
        return response

    async def _storage(self, scope: Scope, receive: Receive, path: str) -> Response | None:
        match = STORAGE_PATTERN.fullmatch(path)
        if self.objects is None or match is None:
            return None
        request = Request({**scope, "path_params": match.groupdict()}, receive)
        try:
            return await self.objects.get(request)
        except Exception:  # the store is pure: let Connexion's path refuse it the usual way
            return None


def _segments(pattern: re.Pattern[str]) -> int:
    """The number of ``/`` in every path ``pattern`` matches (its parameters match ``[^/]+``)."""
    return pattern.pattern.replace("[^/]", "").count("/")


async def _send_response(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    """``await response(scope, receive, send)``, by two ``send`` calls when the body is whole bytes."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes) or response.background is not None:
        await response(scope, receive, send)  # streamed, or with work after it: Starlette's way
        return
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": body})


def _single_headers(scope: Scope, wanted: frozenset[bytes]) -> dict[bytes, str] | None:
    """The headers the operation reads, or ``None`` when one of them is repeated."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        key = name.lower()
        if key in wanted:
            if key in found:
                return None
            found[key] = value.decode("latin-1")
    return found


def _parameters(
    operation: FastOperation, match: re.Match[str], scope: Scope, headers: Mapping[bytes, str]
) -> dict[str, Any] | None:
    """The handler's ``params`` as Connexion would pass them, or ``None`` if anything is doubtful."""
    query: dict[str, str] = {}
    raw_query = scope.get("query_string") or b""
    if raw_query:
        for key, value in parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True):
            if key in query or not value:
                return None
            query[key] = value
        if not set(query) <= operation.query_names:
            return None
    params: dict[str, Any] = {}
    for param in operation.parameters:
        if param.location == "path":
            text: str | None = match.group(param.name)
        elif param.location == "query":
            text = query.get(param.name)
        else:
            text = headers.get(param.name.lower().encode("latin-1"))
        if text is None:
            if param.required:
                return None
            if param.default is not NO_DEFAULT:
                params[param.name] = param.default
            continue
        key = (param.location, param.name, text)
        if key in operation.valid:
            value = operation.valid[key]
        else:
            try:
                value = param.coerce(text) if param.location != "header" else text
            except (ValueError, TypeError):
                return None
            if not param.validator.is_valid(value):
                return None
            if len(operation.valid) >= VALID_MEMO:
                operation.valid.clear()
            operation.valid[key] = value
        if param.location != "header":
            params[param.name] = value
    return params


def _base_url(scope: Scope, headers: Mapping[bytes, str]) -> str:
    """``mockserver.control.base_url_of`` without building Starlette's ``request.url``."""
    host = headers.get(b"host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def _authenticate(operation: FastOperation, headers: Mapping[bytes, str]) -> Tenant | None:
    """The tenant of the first security alternative whose credentials are all given, if all are valid."""
    runtime = operation.runtime
    for alternative in operation.security:
        values = []
        for scheme in alternative:
            raw = headers.get(scheme.header)
            if raw is None:
                break
            if not raw:
                return None  # Connexion treats an empty bearer and an empty key differently
            if scheme.bearer:
                parts = raw.split(maxsplit=1)
                if len(parts) != 2:
                    return None  # Connexion refuses a malformed Authorization header
                if parts[0].lower() != "bearer":
                    break
                raw = parts[1]
            values.append((scheme.name, raw))
        else:
            tenants = [tenant_for_credential(runtime, name, value) for name, value in values]
            if any(t is None for t in tenants) or len({t.name for t in tenants if t is not None}) != 1:
                return None
            return tenants[0]
    return None
