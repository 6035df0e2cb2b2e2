"""The spec as the checker needs it: operations by operationId, security, responses, request shapes.

Everything vendor specific comes from here and from ``x-lifecycle``; no check branches on an
API's name, so a sixth API works from its spec alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

from contract_tests.errors import SpecUnusable

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def resolve(node: Any, spec: Mapping[str, Any], _stack: tuple[str, ...] = ()) -> Any:
    """A copy of ``node`` with every local ``$ref`` inlined (a recursive one becomes ``{}``)."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in _stack or not ref.startswith("#/"):
                return {}
            target: Any = spec
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    raise SpecUnusable(str(spec.get("info", {}).get("title", "?")), f"dangling $ref {ref}")
                target = target[part]
            return resolve(target, spec, (*_stack, ref))
        return {k: resolve(v, spec, _stack) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, spec, _stack) for v in node]
    return node


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with its references resolved."""

    operation_id: str
    method: str
    path: str
    parameters: tuple[Mapping[str, Any], ...]
    request_body: Mapping[str, Any] | None
    responses: Mapping[str, Any]
    security: tuple[Mapping[str, Any], ...]  # alternatives; each maps scheme names that go together

    def params_in(self, location: str) -> list[Mapping[str, Any]]:
        return [p for p in self.parameters if p.get("in") == location]

    def response(self, status: int) -> Mapping[str, Any] | None:
        """The documented response for ``status`` (exact, then ``4XX``-style range, then default)."""
        for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
            if key in self.responses:
                found = self.responses[key]
                return found if isinstance(found, Mapping) else None
        return None

    def documents(self, status: int) -> bool:
        return str(status) in self.responses

    def response_schema(self, status: int, media_type: str | None = None) -> tuple[str, Any] | None:
        """(media type, schema) documented for ``status``; the first media type if none is named."""
        response = self.response(status)
        content = (response or {}).get("content") or {}
        if not content:
            return None
        if media_type and media_type in content:
            return media_type, (content[media_type] or {}).get("schema")
        first = next(iter(content))
        return str(first), (content[first] or {}).get("schema")


class ApiModel:
    """Read-only view of one spec: ``ApiModel(spec)``; raises ``SpecUnusable`` on a broken spec."""

    def __init__(self, spec: Mapping[str, Any], name: str) -> None:
        self.spec = spec
        self.name = name
        self.schemes: dict[str, Mapping[str, Any]] = resolve(
            (spec.get("components") or {}).get("securitySchemes") or {}, spec
        )
        root_security = tuple(spec.get("security") or ())
        self.operations: dict[str, Operation] = {}
        for path, item in (spec.get("paths") or {}).items():
            if not isinstance(item, Mapping):
                continue
            shared = resolve(item.get("parameters") or [], spec)
            for method, raw in item.items():
                if method not in HTTP_METHODS or not isinstance(raw, Mapping) or "operationId" not in raw:
                    continue
                own = resolve(raw.get("parameters") or [], spec)
                names = {(p.get("name"), p.get("in")) for p in own}
                params = tuple(own + [p for p in shared if (p.get("name"), p.get("in")) not in names])
                security = raw.get("security", root_security)
                self.operations[str(raw["operationId"])] = Operation(
                    operation_id=str(raw["operationId"]),
                    method=method.upper(),
                    path=str(path),
                    parameters=params,
                    request_body=resolve(raw.get("requestBody"), spec) if raw.get("requestBody") else None,
                    responses=resolve(raw.get("responses") or {}, spec),
                    security=tuple(security or ()),
                )

    def operation(self, operation_id: str) -> Operation:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise SpecUnusable(self.name, f"no operation {operation_id!r}") from None

    def url(self, base_url: str, op: Operation, path_params: Mapping[str, Any], query: Mapping[str, Any]) -> str:
        """``base_url`` + the operation's path with its parameters filled in (percent-encoded)."""
        path = op.path
        for name, value in path_params.items():
            path = path.replace("{" + str(name) + "}", quote(str(value), safe=""))
        url = base_url.rstrip("/") + path
        return f"{url}?{urlencode({k: str(v) for k, v in query.items()})}" if query else url

    def requirement(self, op: Operation, credentials: Mapping[str, str]) -> Mapping[str, Any] | None:
        """The first security alternative whose schemes all have credentials; {} when the op is open."""
        if not op.security:
            return {}
        for alternative in op.security:
            if all(name in credentials for name in alternative):
                return alternative
        return None

    def apply_scheme(
        self, scheme_name: str, value: str, headers: dict[str, str], query: dict[str, str], *, raw: bool = False
    ) -> None:
        """Put one credential where its security scheme says (``raw``: no ``Bearer`` prefix added)."""
        scheme = self.schemes.get(scheme_name) or {}
        kind = scheme.get("type")
        if kind == "http":
            prefix = str(scheme.get("scheme", "bearer")).lower()
            word = {"bearer": "Bearer", "basic": "Basic"}.get(prefix, prefix.capitalize())
            headers["Authorization"] = value if raw else f"{word} {value}"
        elif kind == "apiKey" and scheme.get("in") == "header":
            headers[str(scheme["name"])] = value
        elif kind == "apiKey" and scheme.get("in") == "query":
            query[str(scheme["name"])] = value
        elif kind == "apiKey" and scheme.get("in") == "cookie":
            headers["Cookie"] = f"{scheme['name']}={value}"
        else:
            raise SpecUnusable(self.name, f"security scheme {scheme_name!r} of type {kind!r} is not supported")

    def example_body(self, op: Operation) -> Any:
        """A deep copy of the documented JSON example of the request body, or None."""
        content = (op.request_body or {}).get("content") or {}
        for media, item in content.items():
            if "json" not in str(media) or not isinstance(item, Mapping):
                continue
            if "example" in item:
                return copy.deepcopy(item["example"])
            for example in (item.get("examples") or {}).values():
                if isinstance(example, Mapping) and "value" in example:
                    return copy.deepcopy(example["value"])
            schema = item.get("schema") or {}
            if isinstance(schema, Mapping) and "example" in schema:
                return copy.deepcopy(schema["example"])
        return None

    def body_properties(self, op: Operation) -> set[str]:
        content = (op.request_body or {}).get("content") or {}
        names: set[str] = set()
        for item in content.values():
            schema = (item or {}).get("schema") or {}
            for part in [schema, *(schema.get("allOf") or [])]:
                names.update((part.get("properties") or {}).keys())
        return names


def with_fixtures(body: Any, fixtures: Mapping[str, Any], allowed: set[str]) -> Any:
    """The example body with every member named like a fixture replaced by the fixture's value."""
    if isinstance(body, dict):
        out = {k: fixtures[k] if k in fixtures else with_fixtures(v, fixtures, set()) for k, v in body.items()}
        out.update({k: v for k, v in fixtures.items() if k in allowed and k not in out})
        return out
    if isinstance(body, list):
        return [with_fixtures(v, fixtures, set()) for v in body]
    return body


def schema_errors(schema: Any, instance: Any, limit: int = 3) -> list[str]:
    """Up to ``limit`` OpenAPI 3.0 schema violations of ``instance``, each as ``/pointer: message``."""
    if not isinstance(schema, Mapping):
        return []
    validator = OAS30ReadValidator(schema, format_checker=oas30_format_checker)
    found = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        found.append(f"{where}: {error.message}")
        if len(found) >= limit:
            break
    return found


__all__ = ["ApiModel", "Operation", "resolve", "schema_errors", "with_fixtures"]
