"""The vendor interface: what one API's module gives the mock core, and what the core gives it.

Most of a vendor comes from its spec (routes, validation, security, ``x-lifecycle``); a vendor
module ``mockserver/vendors/<api>.py`` (or a package ``<api>/``) adds only what a spec cannot say. It defines a subclass
of ``Vendor`` and exposes an instance as ``VENDOR``; the core finds it by the API's name.

What a vendor module provides (``Vendor`` methods; the last seven have defaults):

- ``tenants(derive)``: the ``primary`` and ``secondary`` tenants, each with ``credentials`` keyed
  by the spec's security scheme names and the ``fixtures`` a create request needs. Build values
  with ``derive`` (``Derive``) so they are stable for a given ``--seed``.
- ``operations(api)``: ``{operationId: handler}`` for every operation of the spec. A handler is
  ``async def handler(call: Call) -> starlette.responses.Response``.
- ``error_body(error, request_id=..., path=...)``: the vendor's error envelope for a
  ``VendorError`` as a JSON value (the media type comes from ``x-lifecycle.errors``).
- ``artifact(job, rng)``: the export file of a job (``ArtifactFile``), built only from the job
  and the seeded ``rng`` so it is the same bytes on every call and after a restart.
- ``error_code(status)``: the vendor's code for an error the framework raises (400, 401, 404,
  405, 415, 500...). ``MESSAGES`` maps a code to the vendor's human message.
- ``framework_error(error)``: how the vendor answers an error the framework raised (validation,
  routing, media type, undecodable body), e.g. a vendor that answers 404 for all it cannot read.
- ``request_error(api, request, error)``: the same, where the answer depends on the request itself
  (its headers, method or path); the default is ``framework_error(error)``.
- ``sample_attrs(tenant)``: the ``attrs`` of a job created by a provider state.
- ``authenticate(api, scheme, value)``: the tenant a credential belongs to (default: look it up
  in the static credentials; override for tokens minted at run time, e.g. an OTP flow).
- ``provider_state(api, state, params)``: answer for a vendor-specific named provider state
  (e.g. ``blob-missing``), or ``None`` if the vendor has no such state.
- ``request_id(request, bits)``: the id of one request, from 96 random ``bits`` (default
  ``req_<24 hex digits>``), echoed in the header
  ``x-lifecycle.errors.requestIdHeader`` on every response when the spec names one.

What the core gives it: ``ApiRuntime`` (``mockserver.runtime``), passed to ``operations`` —
jobs (``create_job``, ``find_job`` with the tenant check, ``list_jobs``, ``delete_job``), their
lifecycle (``progress``), download (``grant_download`` refuses as ``x-lifecycle`` says and mints a
signed URL), the cached ``artifact``, responses (``json``) and errors (raise ``VendorError``,
rendered in your envelope); ``api.rules`` tells which rule an injected fault breaks.

Example (a minimal vendor)::

    class Acme(Vendor):
        name = "acme"

        def tenants(self, derive: Derive) -> list[Tenant]:
            return [Tenant(t, {"apiKey": derive.token("ak_", t)}, {}) for t in TENANT_NAMES]

        def operations(self, api: ApiRuntime) -> dict[str, Handler]:
            async def create(call: Call) -> Response:
                job = api.create_job(call.tenant, attrs={})
                return api.json(call, {"id": job.id, "state": api.progress(job).state}, 201)
            return {"createJob": create, ...}

        def error_body(self, error: VendorError, *, request_id: str, path: str) -> Any:
            return {"code": error.code, "message": error.message}

        def artifact(self, job: Job, rng: random.Random) -> ArtifactFile:
            return ArtifactFile(csv_bytes(["n"], [[rng.randrange(9)]]), "text/csv", f"{job.id}.csv")

    VENDOR = Acme()
"""

from __future__ import annotations

import hashlib
import importlib
import random
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response

from mockserver.artifacts import ArtifactFile
from mockserver.errors import ConfigError, VendorError
from mockserver.store import Job

if TYPE_CHECKING:
    from mockserver.runtime import ApiRuntime

TENANT_NAMES = ("primary", "secondary")

__all__ = [
    "TENANT_NAMES",
    "Call",
    "Derive",
    "Handler",
    "Tenant",
    "Vendor",
    "load_vendor",
]


@dataclass(frozen=True)
class Tenant:
    """One account of an API: its credentials (by security scheme name) and create fixtures."""

    name: str
    credentials: Mapping[str, str]
    fixtures: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One request to a vendor operation, after Connexion checked security and validated it.

    ``params`` holds the path and query parameters by their spec names; ``body`` the parsed
    JSON body (or ``None``); ``base_url`` is ``scheme://host:port`` as the client addressed us.
    """

    request: Request
    tenant: Tenant
    params: Mapping[str, Any]
    body: Any
    request_id: str
    base_url: str

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)


Handler = Callable[[Call], Awaitable[Response]]


class Derive:
    """Values derived from ``--seed`` and the API name: the same seed gives the same values."""

    def __init__(self, seed: int, api: str) -> None:
        self.seed = seed
        self.api = api

    def digest(self, label: str) -> bytes:
        return hashlib.sha256(f"exportkit:{self.seed}:{self.api}:{label}".encode()).digest()

    def token(self, prefix: str, label: str, length: int = 32) -> str:
        """``prefix`` plus ``length`` hex characters, e.g. ``cae_test_3f9c...``."""
        return prefix + self.digest(label).hex()[:length]

    def uuid(self, label: str) -> str:
        """A version-4-shaped UUID."""
        return str(uuid.UUID(bytes=self.digest(label)[:16], version=4))


class Vendor(ABC):
    """Base class of a vendor module (see the module docstring)."""

    name: ClassVar[str]
    MESSAGES: ClassVar[Mapping[str, str]] = {}
    GENERIC_CODES: ClassVar[Mapping[int, str]] = {
        400: "BAD_REQUEST",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        406: "NOT_ACCEPTABLE",
        409: "CONFLICT",
        410: "GONE",
        415: "UNSUPPORTED_MEDIA_TYPE",
        429: "RATE_LIMITED",
        500: "INTERNAL_ERROR",
        501: "NOT_IMPLEMENTED",
    }

    @abstractmethod
    def tenants(self, derive: Derive) -> Sequence[Tenant]:
        """Exactly the tenants named in ``TENANT_NAMES``."""

    @abstractmethod
    def operations(self, api: ApiRuntime) -> Mapping[str, Handler]:
        """``{operationId: handler}``; an operation without a handler answers 501."""

    @abstractmethod
    def error_body(self, error: VendorError, *, request_id: str, path: str) -> Any:
        """The JSON value of the error envelope."""

    @abstractmethod
    def artifact(self, job: Job, rng: random.Random) -> ArtifactFile:
        """The job's export file, deterministic in ``job`` and ``rng``."""

    def error_code(self, status: int) -> str:
        return self.GENERIC_CODES.get(status, "ERROR" if status < 500 else "INTERNAL_ERROR")

    def message(self, code: str, default: str) -> str:
        return self.MESSAGES.get(code, default)

    def framework_error(self, error: VendorError) -> VendorError:
        """The answer to an error Connexion or Starlette raised (default: unchanged)."""
        return error

    def request_error(self, api: ApiRuntime, request: Request, error: VendorError) -> VendorError:
        """The answer to an error the framework raised on ``request`` (default: ``framework_error``)."""
        return self.framework_error(error)

    def sample_attrs(self, tenant: Tenant) -> dict[str, Any]:
        return {}

    def authenticate(self, api: ApiRuntime, scheme: str, value: str) -> Tenant | None:
        return api.tenant_by_credential(scheme, value)

    def provider_state(self, api: ApiRuntime, state: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        return None

    def request_id(self, request: Request, bits: int) -> str:
        return f"req_{bits:024x}"


def load_vendor(api: str) -> Vendor | None:
    """The ``VENDOR`` of ``mockserver.vendors.<api>``, or ``None`` if there is no such module."""
    try:
        module = importlib.import_module(f"mockserver.vendors.{api}")
    except ModuleNotFoundError as exc:
        if exc.name == f"mockserver.vendors.{api}":
            return None
        raise
    vendor = getattr(module, "VENDOR", None)
    if not isinstance(vendor, Vendor):
        raise ConfigError("api", f"mockserver.vendors.{api} has no VENDOR instance of Vendor")
    return vendor
