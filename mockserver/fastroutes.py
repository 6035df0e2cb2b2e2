"""The operations the fast path answers, compiled once from each spec (``mockserver.fastpath``).

Per spec path: a regex under ``/<api>``; per ``GET`` operation whose every parameter and security
scheme can be checked exactly as Connexion checks it, a ``FastOperation``: the vendor handler,
scalar path/query/header parameters with Connexion's coercion and a Draft 4 validator built once,
and the security alternatives (HTTP bearer, API key in a header). Anything else is not compiled,
so its requests always go through Connexion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connexion.utils import boolean
from jsonschema import Draft4Validator

from mockserver.runtime import ApiRuntime
from mockserver.vendors import Handler

# Connexion's coercion of path and query values (``connexion.utils.TYPE_MAP``); headers stay text.
COERCE: Mapping[str, Callable[[str], Any]] = {"integer": int, "number": float, "boolean": boolean, "string": str}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NO_DEFAULT = object()


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
    query_names: frozenset[str]  # the documented query parameters: any other sends the request to Connexion
    # (parameter, text) -> its value, for texts already found valid: the same ids are read again and again
    valid: dict[tuple[str, str, str], Any] = field(default_factory=dict)


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
    read = {b"host", *(s.header for alternative in security for s in alternative)}
    read |= {p.name.lower().encode("latin-1") for p in compiled if p.location == "header"}
    query = frozenset(p.name for p in compiled if p.location == "query")
    return FastOperation(
        runtime, str(operation["operationId"]), handler, pattern, compiled, security, frozenset(read), query
    )


def _compile_parameter(spec: Mapping[str, Any], param: Mapping[str, Any]) -> Parameter | None:
    """A parameter the fast path checks exactly as Connexion does, or ``None`` (not compiled)."""
    location, name = param.get("in"), str(param.get("name"))
    schema = resolve(spec, param.get("schema") or {})
    kind = schema.get("type")
    simple = not (set(param) & {"style", "explode", "content", "allowEmptyValue"}) and not schema.get("nullable")
    simple = simple and schema.get("format") != "path"  # Connexion routes those with ``:path``
    if location not in ("path", "query", "header") or kind not in COERCE or not simple:
        return None
    if (location != "header" and not IDENTIFIER.fullmatch(name)) or (location == "header" and kind != "string"):
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
