"""What a load client sends to one API, derived from its spec, its ``x-lifecycle`` and the target.

The harness talks HTTP only (like ``contract_tests``): a ``Target`` is the description the mock
serves at ``/_control/{api}/target``; an ``ApiRecipe`` turns it into create, status and
download requests. Paths and methods come from the spec's operations, credentials go where the
security schemes say, the create body is the spec's own example with the tenant's fixtures
put in, and the id, state and download URL are read with the ``x-lifecycle`` pointers.

    >>> recipe = ApiRecipe.build(load_spec("curaeai"), Target.from_url(url))   # doctest: +SKIP
    >>> recipe.create("primary", key="k-1")                                  # doctest: +SKIP
    Planned(method='POST', path='/api/sdk/v1/records/exports', ...)
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from reliability.errors import RecipeError, TargetError
from specs import Lifecycle

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Create-body members a spec example cannot hold for every run: spaaza's example trigger is a fixed
# date, and a task waits for it; a date in the past makes the task due at once.
CREATE_OVERRIDES: Mapping[str, Mapping[str, Any]] = {
    "spaaza": {"trigger": {"once": "2020-01-01T00:00:00Z"}},
}
MISSING: Any = object()


def pointer(document: Any, path: str | None) -> Any:
    """The value at RFC 6901 ``path`` (``None`` or ``""``: the document itself), else ``MISSING``."""
    if not path:
        return document
    node = document
    for part in path[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


@dataclass(frozen=True)
class Tenant:
    """One account of a target: credentials by security scheme name, and create fixtures."""

    name: str
    credentials: Mapping[str, str]
    fixtures: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """The target description of one API (``GET /_control/{api}/target``)."""

    api: str
    base_url: str
    tenants: Mapping[str, Tenant]

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> Target:
        if not isinstance(data, Mapping) or not isinstance(data.get("tenants"), Mapping):
            raise TargetError(source, "expected a mapping with api, base_url and tenants")
        try:
            tenants = {
                str(name): Tenant(str(name), dict(entry.get("credentials") or {}), dict(entry.get("fixtures") or {}))
                for name, entry in data["tenants"].items()
            }
            return cls(str(data["api"]), str(data["base_url"]).rstrip("/"), tenants)
        except (KeyError, AttributeError, TypeError) as exc:
            raise TargetError(source, f"malformed target description: {exc}") from exc

    @classmethod
    def from_url(cls, url: str, timeout: float = 10.0) -> Target:
        try:
            response = httpx.get(url, timeout=timeout)
            response.raise_for_status()
            return cls.from_dict(response.json(), url)
        except (httpx.HTTPError, ValueError) as exc:
            raise TargetError(url, str(exc)) from exc

    def tenant(self, name: str) -> Tenant:
        if name not in self.tenants:
            raise TargetError(self.api, f"no tenant {name!r}; the target has {sorted(self.tenants)}")
        return self.tenants[name]


@dataclass(frozen=True)
class Operation:
    """One operation of a spec: method, path template and the operation object."""

    operation_id: str
    method: str
    path: str
    spec: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def operation(spec: Mapping[str, Any], operation_id: str, api: str = "?") -> Operation:
    """The operation with ``operation_id``; ``RecipeError`` if the spec has none."""
    for path, item in (spec.get("paths") or {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, Mapping) and op.get("operationId") == operation_id:
                return Operation(operation_id, method.upper(), str(path), op)
    raise RecipeError(api, f"the spec has no operation {operation_id!r}")


@dataclass(frozen=True)
class Planned:
    """A request ready to send: ``path`` is relative to the target's base URL."""

    method: str
    path: str
    headers: Mapping[str, str]
    json: Any = None
    operation: str = ""


@dataclass(frozen=True)
class ApiRecipe:
    """Create, status and download requests of one API for any tenant of its target."""

    api: str
    spec: Mapping[str, Any]
    lifecycle: Lifecycle
    target: Target
    create_op: Operation
    status_op: Operation
    download_op: Operation

    @classmethod
    def build(cls, spec: Mapping[str, Any], target: Target) -> ApiRecipe:
        lifecycle = Lifecycle.from_spec(spec, target.api)
        ops = lifecycle.operations
        return cls(
            api=target.api,
            spec=spec,
            lifecycle=lifecycle,
            target=target,
            create_op=operation(spec, ops.create, target.api),
            status_op=operation(spec, ops.status, target.api),
            download_op=operation(spec, ops.download, target.api),
        )

    # -- requests -----------------------------------------------------------------------------
    def auth_headers(self, tenant: str) -> dict[str, str]:
        """Every credential of ``tenant`` where its security scheme puts it."""
        schemes = (self.spec.get("components") or {}).get("securitySchemes") or {}
        headers: dict[str, str] = {}
        for name, value in self.target.tenant(tenant).credentials.items():
            scheme = schemes.get(name) or {}
            if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                headers["Authorization"] = f"Bearer {value}"
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                headers[str(scheme["name"])] = value
            else:
                raise RecipeError(self.api, f"credential {name!r} has no header security scheme in the spec")
        return headers

    def create_body(self, tenant: str) -> Any:
        """The spec's create example with the tenant's fixtures (and ``CREATE_OVERRIDES``) put in."""
        content = ((self.create_op.spec.get("requestBody") or {}).get("content") or {}).get("application/json")
        if content is None:
            return None
        body = copy.deepcopy(content.get("example"))
        if not isinstance(body, dict):
            raise RecipeError(self.api, f"{self.create_op.label} has no JSON object example to create with")
        fixtures = self.target.tenant(tenant).fixtures
        body.update({k: v for k, v in fixtures.items() if k in body or k in _properties(self.spec, content)})
        body.update(copy.deepcopy(dict(CREATE_OVERRIDES.get(self.api, {}))))
        return body

    def create(self, tenant: str, *, key: str) -> Planned:
        """A create of ``tenant``; ``key`` goes in the idempotency header where the API has one."""
        headers = self.auth_headers(tenant)
        rule = self.lifecycle.rules.get("idempotency")
        if isinstance(rule, Mapping) and rule.get("header"):
            headers[str(rule["header"])] = key
        body = self.create_body(tenant)
        path = self._fill(self.create_op, self.target.tenant(tenant).fixtures)
        return Planned(self.create_op.method, path, headers, body, self.create_op.operation_id)

    def status(self, tenant: str, job_id: str) -> Planned:
        return self._job_request(self.status_op, tenant, job_id)

    def download(self, tenant: str, job_id: str) -> Planned:
        return self._job_request(self.download_op, tenant, job_id)

    def _job_request(self, op: Operation, tenant: str, job_id: str) -> Planned:
        names = re.findall(r"{([^}]+)}", op.path)
        if not names:
            raise RecipeError(self.api, f"{op.label} has no path parameter for the job id")
        values = {**self.target.tenant(tenant).fixtures, names[-1]: job_id}
        return Planned(op.method, self._fill(op, values), self.auth_headers(tenant), None, op.operation_id)

    def _fill(self, op: Operation, values: Mapping[str, Any]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise RecipeError(self.api, f"{op.label}: no fixture for path parameter {name!r}")
            return str(values[name])

        return re.sub(r"{([^}]+)}", value, op.path)

    # -- answers -------------------------------------------------------------------------------
    def job_id(self, create_body: Any) -> str | None:
        """The new job's id in a create answer (``x-lifecycle.idPointer``)."""
        found = pointer(create_body, self.lifecycle.id_pointer)
        return None if found is MISSING or found is None else str(found)

    def resource(self, status_body: Any) -> Any:
        return pointer(status_body, self.lifecycle.resource_pointer)

    def state(self, status_body: Any) -> str | None:
        """The job's state in a status answer, or ``None`` where the body does not hold one."""
        found = pointer(self.resource(status_body), self.lifecycle.state_pointer)
        return found if isinstance(found, str) else None

    def member_url(self, status_body: Any) -> str | None:
        """Member style: the download URL in the status body (``None`` while absent)."""
        found = pointer(self.resource(status_body), self.lifecycle.download.url_pointer)
        return found if isinstance(found, str) else None

    def json_url(self, download_body: Any) -> str | None:
        found = pointer(download_body, self.lifecycle.download.url_pointer)
        return found if isinstance(found, str) else None

    def sha256(self, status_body: Any) -> str | None:
        """The artifact checksum the status answer advertises, where the API has one."""
        found = pointer(self.resource(status_body), self.lifecycle.artifact.sha256_pointer)
        return found if self.lifecycle.artifact.sha256_pointer and isinstance(found, str) else None


def _properties(spec: Mapping[str, Any], content: Mapping[str, Any]) -> set[str]:
    """Top-level property names of a request body schema (one ``$ref`` deep)."""
    schema: Any = content.get("schema") or {}
    ref = schema.get("$ref") if isinstance(schema, Mapping) else None
    if isinstance(ref, str) and ref.startswith("#/"):
        schema = pointer(spec, ref[1:])
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    return set(props) if isinstance(props, Mapping) else set()
