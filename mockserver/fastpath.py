"""A fast path for the hot reads, in front of Connexion's routing, security and validation.

Connexion's per-request machinery costs several times a whole bare Starlette request
(``benchmarks/RESULTS.md``). ``FastPath`` is an ASGI middleware placed just inside the request
limits: at start-up it compiles, from each spec, every ``GET`` operation whose parameters and
security it can check exactly as Connexion would (path regex, scalar parameters with validators
built once, bearer / header API-key schemes checked with the vendor's own ``authenticate``), and
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

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from connexion.utils import boolean
from jsonschema import Draft4Validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.control import base_url_of
from mockserver.envelopes import request_id_for
from mockserver.runtime import ApiRuntime
from mockserver.storage import ObjectStore
from mockserver.vendors import Call, Handler, Tenant

ErrorResponder = Callable[[Request, Exception], Awaitable[Response]]

# Connexion's coercion of path and query values (``connexion.utils.TYPE_MAP``); headers stay text.
COERCE: Mapping[str, Callable[[str], Any]] = {"integer": int, "number": float, "boolean": boolean, "string": str}
STORAGE_PATTERN = re.compile(r"/_storage/(?P<provider>[^/]+)/(?P<bucket>[^/]+)/(?P<key>.*)")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NO_DEFAULT = object()


def tenant_for_credential(runtime: ApiRuntime, scheme: str, value: str) -> Tenant | None:
    """The tenant ``value`` of security scheme ``scheme`` belongs to (Connexion's check uses it too).

    Under the ``auth`` violation (credentials not checked) any value is the primary tenant's.
    """
    tenant = runtime.vendor.authenticate(runtime, scheme, value)
    if tenant is None and not runtime.rules.check_credentials:
        tenant = runtime.tenants["primary"]
    return tenant


@dataclass(frozen=True)
class Parameter:
    """One path, query or header parameter, with its validator built once."""

    name: str
    location: str
    required: bool
    coerce: Callable[[str], Any]
    default: Any
    validator: Draft4Validator


@dataclass(frozen=True)
class Scheme:
    """One security scheme: ``header`` is the lower-case header carrying it; ``bearer`` for HTTP bearer."""

    name: str
    header: bytes
    bearer: bool


@dataclass(frozen=True)
class FastOperation:
    """A ``GET`` operation the fast path answers."""

    runtime: ApiRuntime
    operation_id: str
    handler: Handler
    pattern: re.Pattern[str]
    parameters: tuple[Parameter, ...]
    security: tuple[tuple[Scheme, ...], ...]
    headers_read: frozenset[bytes]


class FastPath:
    """ASGI middleware answering the hot reads directly (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        runtimes: Mapping[str, ApiRuntime],
        objects: ObjectStore | None,
        on_error: ErrorResponder,
    ) -> None:
        self.app = app
        self.objects = objects
        self.on_error = on_error
        # per API: every spec path's regex, and the fast operation of its GET (or None)
        self.routes = {name: compile_routes(runtime) for name, runtime in runtimes.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path") and not _has_body(scope):
            response = await self._answer(scope, receive)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response | None:
        path: str = scope["path"]
        if path.startswith("/_storage/"):
            return await self._storage(scope, receive, path)
        api = path[1:].partition("/")[0]
        routes = self.routes.get(api)
        if not routes:
            return None
        matched = [(op, m) for pattern, op in routes if (m := pattern.fullmatch(path)) is not None]
        if len(matched) != 1 or matched[0][0] is None:
            return None  # unknown, ambiguous or not compiled: Connexion decides
        operation, match = matched[0]
        assert operation is not None
        return await self._operation(operation, match, scope, receive)

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
            call = Call(request, tenant, params, None, request_id, base_url_of(request))
            response = await operation.handler(call)
        except Exception as exc:  # rendered exactly as Connexion's error handler renders it
            return await self.on_error(request, exc)
        header = runtime.lifecycle.errors.request_id_header
        if header:
            response.headers[header] = request_id
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


def compile_routes(runtime: ApiRuntime) -> list[tuple[re.Pattern[str], FastOperation | None]]:
    """Every path of ``runtime``'s spec as a regex under ``/<api>``, with its compiled ``GET``."""
    spec = runtime.spec
    routes: list[tuple[re.Pattern[str], FastOperation | None]] = []
    for path, item in (spec.get("paths") or {}).items():
        pattern = _path_pattern(f"/{runtime.name}{path}")
        operation = item.get("get") if isinstance(item, Mapping) else None
        compiled = None
        if pattern is not None and isinstance(operation, Mapping):
            compiled = _compile_operation(runtime, pattern, item, operation)
        loose = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(f"/{runtime.name}{path}")))
        routes.append((pattern or loose, compiled))
    return routes


def _path_pattern(path: str) -> re.Pattern[str] | None:
    parts = re.split(r"{([^}]*)}", path)
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        elif IDENTIFIER.fullmatch(part):
            regex += f"(?P<{part}>[^/]+)"
        else:
            return None
    return re.compile(regex)


def _compile_operation(
    runtime: ApiRuntime, pattern: re.Pattern[str], item: Mapping[str, Any], operation: Mapping[str, Any]
) -> FastOperation | None:
    spec = runtime.spec
    handler = runtime.handlers.get(str(operation.get("operationId")))
    if handler is None or operation.get("requestBody") is not None:
        return None
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param = resolve(spec, raw)
        merged[(str(param.get("in")), str(param.get("name")))] = param
    parameters = [_compile_parameter(spec, param) for param in merged.values()]
    security = _compile_security(spec, operation.get("security", spec.get("security")))
    if any(p is None for p in parameters) or security is None:
        return None
    compiled = tuple(p for p in parameters if p is not None)
    if {p.name for p in compiled if p.location == "path"} != set(pattern.groupindex):
        return None
    read = {s.header for alternative in security for s in alternative}
    read |= {p.name.lower().encode("latin-1") for p in compiled if p.location == "header"}
    return FastOperation(runtime, str(operation["operationId"]), handler, pattern, compiled, security, frozenset(read))


def _compile_parameter(spec: Mapping[str, Any], param: Mapping[str, Any]) -> Parameter | None:
    """A parameter the fast path checks exactly as Connexion does, or ``None`` (not compiled)."""
    location, name = param.get("in"), str(param.get("name"))
    schema = resolve(spec, param.get("schema") or {})
    kind = schema.get("type")
    simple = not (set(param) & {"style", "explode", "content", "allowEmptyValue"}) and not schema.get("nullable")
    simple = simple and schema.get("format") != "path"  # Connexion routes those with ``:path``
    if location not in ("path", "query", "header") or kind not in COERCE or not simple:
        return None
    if not IDENTIFIER.fullmatch(name) or (location == "header" and kind != "string"):
        return None
    default = param.get("default", schema.get("default", NO_DEFAULT)) if location == "query" else NO_DEFAULT
    if isinstance(default, (dict, list)):
        return None
    validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    required = bool(param.get("required")) or location == "path"
    return Parameter(name, str(location), required, COERCE[str(kind)], default, validator)


def _compile_security(spec: Mapping[str, Any], requirements: Any) -> tuple[tuple[Scheme, ...], ...] | None:
    schemes: Mapping[str, Any] = (spec.get("components") or {}).get("securitySchemes") or {}
    if not isinstance(requirements, Sequence) or not requirements:
        return None  # unauthenticated operations are not hot reads
    compiled = []
    for requirement in requirements:
        if not isinstance(requirement, Mapping) or not requirement:
            return None
        alternative = []
        for name in requirement:
            scheme = resolve(spec, schemes.get(name) or {})
            if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                alternative.append(Scheme(str(name), b"authorization", True))
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                alternative.append(Scheme(str(name), str(scheme["name"]).lower().encode("latin-1"), False))
            else:
                return None
        compiled.append(tuple(alternative))
    return tuple(compiled)


def resolve(spec: Mapping[str, Any], node: Any) -> Mapping[str, Any]:
    """``node`` with its local ``$ref`` followed (recursively into nested members)."""
    if isinstance(node, Mapping):
        if "$ref" in node:
            target: Any = spec
            for part in str(node["$ref"]).removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return resolve(spec, target)
        return {key: _resolve_any(spec, value) for key, value in node.items()}
    return {}


def _resolve_any(spec: Mapping[str, Any], value: Any) -> Any:
    if isinstance(value, Mapping):
        return resolve(spec, value)
    if isinstance(value, list):
        return [_resolve_any(spec, v) for v in value]
    return value


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


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
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        if key in query or not value:
            return None
        query[key] = value
    known = {p.name for p in operation.parameters if p.location == "query"}
    if not set(query) <= known:
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
        try:
            value = param.coerce(text) if param.location != "header" else text
        except (ValueError, TypeError):
            return None
        if not param.validator.is_valid(value):
            return None
        if param.location != "header":
            params[param.name] = value
    return params


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
