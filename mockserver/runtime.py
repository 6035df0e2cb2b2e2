"""``ApiRuntime``: everything the core does for one API, as its vendor module uses it.

It ties the spec's ``x-lifecycle`` to the injected store, clock, signer and faults: jobs are
created with a planned trail, read back with the tenant check, walked by the clock, refused or
granted a signed download URL exactly as ``x-lifecycle`` says, and answered as JSON.
"""

from __future__ import annotations

import base64
import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.artifacts import ArtifactCache, ArtifactFile, job_random
from mockserver.clock import Clock
from mockserver.errors import ConfigError, VendorError
from mockserver.faults import FaultBook, Rules
from mockserver.jsonbody import bytes_response, compact_json
from mockserver.lifecycle import LifecycleEngine, Progress
from mockserver.signing import SignedUrlSigner
from mockserver.store import Job, Store
from mockserver.vendors import TENANT_NAMES, Call, Derive, Handler, Tenant, Vendor
from specs import Lifecycle

# ready-download violation: the signature lives this much longer than the documented maximum,
# while the body keeps claiming the documented lifetime (so both rules of the check break)
EXPIRY_FIELD_DRIFT = 300


@dataclass(frozen=True)
class DownloadGrant:
    """A minted download: the URL and the expiry the response reports."""

    url: str
    expires_in: int
    expires_at: float
    artifact: ArtifactFile


class ApiRuntime:
    """One API of one server: its spec, lifecycle engine, tenants and the shared services."""

    def __init__(
        self,
        name: str,
        spec: Mapping[str, Any],
        vendor: Vendor,
        *,
        store: Store,
        clock: Clock,
        signer: SignedUrlSigner,
        faults: FaultBook,
        seed: int = 0,
        failure_rate: float = 0.0,
        rate_limits: bool = False,
    ) -> None:
        self.name = name
        self.rate_limits = rate_limits  # refuse calls over a documented quota (``--rate-limits``)
        self.spec = spec
        self.vendor = vendor
        self.lifecycle = Lifecycle.from_spec(spec, name)
        self.engine = LifecycleEngine(self.lifecycle, scale=clock.scale, failure_rate=failure_rate, seed=seed)
        self.store = store
        self.clock = clock
        self.signer = signer
        self.faults = faults
        self.seed = seed
        self.artifacts = ArtifactCache()
        self.derive = Derive(seed, name)
        # Request ids need uniqueness, not a seed: a generator seeded once from the OS, because
        # one ``getrandom`` system call per request cost ~8 % of a download under load here.
        self._request_ids = random.Random()
        tenants = list(vendor.tenants(self.derive))
        if sorted(t.name for t in tenants) != sorted(TENANT_NAMES):
            raise ConfigError("api", f"{name}: the vendor must define tenants {TENANT_NAMES}")
        self.tenants: dict[str, Tenant] = {t.name: t for t in tenants}
        self._by_credential = {(scheme, value): t for t in tenants for scheme, value in t.credentials.items()}
        self.status_path_params = _path_params(spec, self.lifecycle.operations.status)
        self._routes = _route_methods(spec)
        self.handlers: Mapping[str, Handler] = vendor.operations(self)

    def new_request_id(self, request: Request) -> str:
        """A new id for ``request``, in the vendor's format (96 random bits to shape)."""
        return self.vendor.request_id(request, self._request_ids.getrandbits(96))

    # -- tenants and rules ------------------------------------------------------------------
    @property
    def rules(self) -> Rules:
        """The rules in force for this API (an injected violation turns one off)."""
        return self.faults.rules(self.name)

    def tenant(self, name: str) -> Tenant:
        if name not in self.tenants:
            raise ConfigError("tenant", f"{self.name} has tenants {list(self.tenants)}, not {name!r}")
        return self.tenants[name]

    def tenant_by_credential(self, scheme: str, value: str) -> Tenant | None:
        return self._by_credential.get((scheme, value))

    def now(self) -> float:
        return self.clock.now()

    def allowed_methods(self, path: str) -> list[str]:
        """The methods the spec documents for ``path`` (relative to the API's base path)."""
        for pattern, methods in self._routes:
            if pattern.fullmatch(path):
                return methods
        return []

    # -- jobs ---------------------------------------------------------------------------------
    def new_id(self, seq: int, now: float) -> str:
        """The id of a new job: the sequence number, or a UUIDv7 seeded by seed/API/seq."""
        if self.lifecycle.id_type == "integer":
            return str(seq)
        tail = int.from_bytes(self.derive.digest(f"job:{seq}")[:10], "big") & ((1 << 74) - 1)
        millis = int(now * 1000) & ((1 << 48) - 1)
        value = (millis << 80) | (0x7 << 76) | ((tail >> 62) << 64) | (0b10 << 62) | (tail & ((1 << 62) - 1))
        return str(uuid.UUID(int=value))

    def create_job(
        self,
        tenant: Tenant,
        attrs: Mapping[str, Any],
        *,
        fail: bool | None = None,
        state: str | None = None,
        records: Callable[[Job], Sequence[tuple[str, str, str]]] | None = None,
    ) -> Job:
        """Store a new job owned by ``tenant``: on its planned trail, or held in ``state``.

        ``records(job)`` gives ``(namespace, key, value)`` entries written in the same commit as the
        job (an idempotency key, a dedupe slot), so a crash cannot keep one without the other.
        """
        now = self.now()
        seq = self.store.next_seq(self.name)
        job_id = self.new_id(seq, now)
        trail = self.engine.forced(state, now) if state else self.engine.plan(now, job_key=job_id, fail=fail)
        job = Job(self.name, job_id, tenant.name, seq, min(now, trail[0][1]), trail, dict(attrs))
        self.store.put_job(job, values=records(job) if records else ())
        return job

    def not_found(self) -> VendorError:
        """The error a missing or foreign job gets (``x-lifecycle.tenancy.notFound``)."""
        refusal = self.lifecycle.not_found
        code = refusal.code or self.vendor.error_code(refusal.status)
        return VendorError(refusal.status, code, self.vendor.message(code, f"{self.lifecycle.resource} not found"))

    def find_job(self, tenant: Tenant, job_id: str) -> Job:
        """The job if it exists and ``tenant`` owns it; otherwise raise ``not_found()``."""
        job = self.store.get_job(self.name, str(job_id))
        if job is None or (job.tenant != tenant.name and self.rules.isolate_tenants):
            raise self.not_found()
        return job

    def list_jobs(self, tenant: Tenant, *, cursor: str | None, limit: int) -> tuple[list[Job], str | None]:
        """A page of the tenant's jobs, newest first, and the cursor of the next page (or ``None``)."""
        before = _decode_cursor(cursor) if cursor else None
        if cursor and before is None:
            raise VendorError(400, self.vendor.error_code(400), f"cursor {cursor!r} is not a cursor of this API")
        jobs = self.store.list_jobs(self.name, tenant.name, before_seq=before, limit=limit + 1)
        if len(jobs) <= limit:
            return jobs, None
        return jobs[:limit], _encode_cursor(jobs[limit - 1].seq)

    def delete_job(self, job: Job) -> None:
        self.store.delete_job(self.name, job.id)
        self.artifacts.clear()

    def progress(self, job: Job, *, at: float | None = None) -> Progress:
        """Where the job is now (or ``at``). Under the ``lifecycle`` violation every other read
        shows the previous state, so a poller sees the state move backwards."""
        result = self.engine.progress(job.trail, self.now() if at is None else at)
        if at is None and not self.rules.monotonic_states and self.faults.count_poll(self.name, job.id) % 2:
            shown = self.engine.previous_state(job.trail, result.state)
            entered = {s: t for s, t in result.entered.items() if s != result.state}
            return Progress(shown, entered, result.planned)
        return result

    def path_params(self, job: Job) -> dict[str, Any]:
        """Path parameters of the status operation for ``job`` (the last one is its id)."""
        tenant = self.tenants.get(job.tenant)
        values = {**(tenant.fixtures if tenant else {}), **job.attrs}
        params = {name: values.get(name, job.id) for name in self.status_path_params[:-1]}
        if self.status_path_params:
            params[self.status_path_params[-1]] = int(job.id) if self.lifecycle.id_type == "integer" else job.id
        return params

    # -- downloads ------------------------------------------------------------------------------
    def artifact(self, job: Job) -> ArtifactFile:
        return self.artifacts.get(
            (self.name, job.id), lambda: self.vendor.artifact(job, job_random(self.seed, self.name, job.id))
        )

    def refusal(self, state: str) -> VendorError:
        """The error a download gets in a non-downloadable ``state``."""
        refused = self.lifecycle.download.refused[state]
        code = refused.code or self.vendor.error_code(refused.status)
        return VendorError(refused.status, code, self.vendor.message(code, f"the {self.lifecycle.resource} is {state}"))

    def downloadable(self, state: str) -> bool:
        return state in self.lifecycle.downloadable or not self.rules.gate_downloads

    def grant_download(self, call: Call, job: Job, progress: Progress) -> DownloadGrant | None:
        """A signed URL for the job's artifact, or the refusal of ``x-lifecycle.download.refused``
        raised as ``VendorError`` (``None`` where the refusal is an absent member)."""
        if not self.downloadable(progress.state):
            if self.lifecycle.download.refused[progress.state].absent:
                return None
            raise self.refusal(progress.state)
        download = self.lifecycle.download
        artifact = self.artifact(job)
        now = self.now()
        lifetime = download.lifetime.seconds
        signed = lifetime if self.rules.honest_expiry_fields else download.lifetime.max + EXPIRY_FIELD_DRIFT

        def mint(nonce: str | None = None) -> str:
            return self.signer.sign(
                call.base_url,
                style=download.signature,
                bucket=self.name,
                key=f"{job.id}/{artifact.filename}",
                expires=signed,
                now=now,
                extra={"x-id": nonce} if nonce else None,
            )

        if not self.rules.fresh_urls:
            url = self.faults.first_url(self.name, job.id, mint)
        elif download.fresh_each_call:
            url = mint(call.request_id)
        else:
            url = mint()
        return DownloadGrant(url, lifetime, now + lifetime, artifact)

    # -- responses ------------------------------------------------------------------------------
    @staticmethod
    def json(
        call: Call,
        body: Any,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> Response:
        """A JSON response (compact, UTF-8)."""
        content = compact_json(body)
        return bytes_response(content, status, headers, media_type or "application/json")


HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _route_methods(spec: Mapping[str, Any]) -> list[tuple[re.Pattern[str], list[str]]]:
    routes = []
    for path, item in (spec.get("paths") or {}).items():
        pattern = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)))
        routes.append((pattern, [m.upper() for m in HTTP_METHODS if m in item]))
    return routes


def _path_params(spec: Mapping[str, Any], operation_id: str) -> tuple[str, ...]:
    for path, item in (spec.get("paths") or {}).items():
        for op in item.values():
            if isinstance(op, Mapping) and op.get("operationId") == operation_id:
                return tuple(re.findall(r"{([^}]+)}", path))
    return ()


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "seq" and number.isdigit() else None
