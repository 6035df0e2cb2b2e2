"""What is loaded: each API's download and status operations, as the spec and the mock name them.

Nothing vendor specific is written here: the operations come from ``x-lifecycle.operations``,
their paths from the spec, the auth headers from its security schemes, the ids and credentials
from the mock's provider state (the ready state of the lifecycle). For Prism, which has no state,
the path parameters are the spec's own examples and the credentials placeholders of the right
shape (Prism checks that credentials are present, not their value).

    >>> spec = load_spec("curaeai")                                       # doctest: +SKIP
    >>> [e.kind for e in mock_endpoints("curaeai", spec, provider_state)]  # doctest: +SKIP
    ['download', 'status']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from specs import Lifecycle

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PLACEHOLDER_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Endpoint:
    """One request the benchmark repeats: ``GET path`` with ``headers``, answered ``expected_status``.

    ``path`` is absolute on its server (the mock serves an API under ``/<api>``, Prism at ``/``).
    """

    api: str
    kind: str  # "download" or "status" ("download" alone where one operation is both)
    operation_id: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    expected_status: int | None = None  # None: any status below 400 (Prism picks its example)

    @property
    def label(self) -> str:
        return f"{self.api} {self.kind}"


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/components/...``) until a plain node."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = str(node["$ref"])
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"cannot follow $ref {ref!r}")
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def find_operation(spec: Mapping[str, Any], operation_id: str) -> tuple[str, str, Mapping[str, Any]]:
    """``(method, path template, operation)`` of ``operation_id``; ``KeyError`` if the spec has none."""
    for path, item in (spec.get("paths") or {}).items():
        for method, operation in item.items():
            is_operation = method in HTTP_METHODS and isinstance(operation, Mapping)
            if is_operation and operation.get("operationId") == operation_id:
                return method.upper(), str(path), operation
    raise KeyError(f"operationId {operation_id!r} is not in the spec")


def parameters(spec: Mapping[str, Any], path: str, operation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The operation's parameters, path-level ones included (the operation's win on a clash)."""
    item = (spec.get("paths") or {}).get(path) or {}
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param = resolve(spec, raw)
        merged[(str(param.get("in")), str(param.get("name")))] = param
    return list(merged.values())


def fill_path(template: str, values: Mapping[str, Any]) -> str:
    """``/a/{id}`` with ``{"id": 7}`` -> ``/a/7`` (values percent-encoded); ``KeyError`` if one is missing."""
    path = template
    for name in [part.split("}", 1)[0] for part in template.split("{")[1:]]:
        if name not in values:
            raise KeyError(f"no value for path parameter {name!r} of {template}")
        path = path.replace("{" + name + "}", quote(str(values[name]), safe=""))
    return path


def example_value(spec: Mapping[str, Any], param: Mapping[str, Any]) -> Any:
    """The parameter's example (its own, its first named one, or its schema's), else one of its type."""
    if "example" in param:
        return param["example"]
    for named in (param.get("examples") or {}).values():
        value = resolve(spec, named)
        if isinstance(value, Mapping) and "value" in value:
            return value["value"]
    schema = resolve(spec, param.get("schema") or {})
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("type") == "integer":
        return int(schema.get("minimum", 1))
    return PLACEHOLDER_UUID if schema.get("format") == "uuid" else "example"


def security_headers(
    spec: Mapping[str, Any], operation: Mapping[str, Any], credentials: Mapping[str, str]
) -> dict[str, str]:
    """Headers carrying ``credentials`` (by security scheme name) for the operation's first requirement.

    ``http`` bearer/basic go in ``Authorization``; ``apiKey`` in its header. A scheme in a query
    or cookie, or a credential missing for a required scheme, raises ``ValueError``.
    """
    requirements = operation.get("security", spec.get("security")) or []
    if not requirements:
        return {}
    schemes: Mapping[str, Any] = (spec.get("components") or {}).get("securitySchemes") or {}
    headers: dict[str, str] = {}
    for name in requirements[0]:
        scheme = resolve(spec, schemes.get(name) or {})
        if name not in credentials:
            raise ValueError(f"no credential for security scheme {name!r}")
        value = str(credentials[name])
        kind = scheme.get("type")
        if kind == "http" and str(scheme.get("scheme", "")).lower() in ("bearer", "basic"):
            headers["Authorization"] = f"{str(scheme['scheme']).capitalize()} {value}"
        elif kind == "apiKey" and scheme.get("in") == "header":
            headers[str(scheme["name"])] = value
        else:
            raise ValueError(f"security scheme {name!r} ({kind}, in {scheme.get('in')}) is not supported here")
    return headers


def _roles(lifecycle: Lifecycle) -> list[tuple[str, str]]:
    ops = lifecycle.operations
    if ops.status == ops.download:
        return [("download", ops.download)]
    return [("download", ops.download), ("status", ops.status)]


def _query(spec: Mapping[str, Any], path: str, operation: Mapping[str, Any]) -> str:
    """Required query parameters with their examples (none of the status/download operations has any yet)."""
    required = {
        str(p["name"]): example_value(spec, p)
        for p in parameters(spec, path, operation)
        if p.get("in") == "query" and p.get("required")
    }
    return "?" + urlencode(required) if required else ""


def mock_endpoints(api: str, spec: Mapping[str, Any], state: Mapping[str, Any]) -> list[Endpoint]:
    """The endpoints of ``api`` on the mock, for the job of a provider-state answer ``state``."""
    lifecycle = Lifecycle.from_spec(spec, api)
    values = {**(state.get("fixtures") or {}), **(state.get("params") or {})}
    found = []
    for kind, operation_id in _roles(lifecycle):
        _, template, operation = find_operation(spec, operation_id)
        path = f"/{api}" + fill_path(template, values) + _query(spec, template, operation)
        headers = security_headers(spec, operation, state.get("credentials") or {})
        redirect = kind == "download" and lifecycle.download.style == "redirect"
        found.append(Endpoint(api, kind, operation_id, path, headers, 302 if redirect else 200))
    return found


def list_endpoint(api: str, spec: Mapping[str, Any], state: Mapping[str, Any]) -> Endpoint | None:
    """The list operation of ``api`` for the tenant of ``state`` (``None`` if the API has none).

    A list reads the tenant's jobs, so its latency shows whether the store scans every job.
    """
    operation_id = Lifecycle.from_spec(spec, api).operations.list
    if operation_id is None:
        return None
    _, template, operation = find_operation(spec, operation_id)
    values = {**(state.get("fixtures") or {}), **(state.get("params") or {})}
    path = f"/{api}" + fill_path(template, values) + _query(spec, template, operation)
    return Endpoint(
        api, "list", operation_id, path, security_headers(spec, operation, state.get("credentials") or {}), 200
    )


def placeholder_credentials(spec: Mapping[str, Any]) -> dict[str, str]:
    """A credential of the right shape for every security scheme (what Prism needs to see)."""
    schemes: Mapping[str, Any] = (spec.get("components") or {}).get("securitySchemes") or {}
    return {name: "bench-" + name for name in schemes}


def example_endpoints(api: str, spec: Mapping[str, Any]) -> list[Endpoint]:
    """The endpoints of ``api`` at the spec's example paths, as a stateless mock (Prism) serves them."""
    lifecycle = Lifecycle.from_spec(spec, api)
    found = []
    for kind, operation_id in _roles(lifecycle):
        _, template, operation = find_operation(spec, operation_id)
        values = {
            str(p["name"]): example_value(spec, p)
            for p in parameters(spec, template, operation)
            if p.get("in") == "path"
        }
        path = fill_path(template, values) + _query(spec, template, operation)
        headers = security_headers(spec, operation, placeholder_credentials(spec))
        found.append(Endpoint(api, kind, operation_id, path, headers, None))
    return found
