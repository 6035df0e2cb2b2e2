"""HookBridge exports: what ``specs/hookbridge.yaml`` cannot say by itself.

- Tenants are projects: an ``hb_test_`` key and a ``proj_`` id each.
- Every response carries ``X-Request-Id`` (the core adds it) equal to ``meta.request_id``.
- Create checks what a schema cannot: ``end_time`` after ``start_time`` and each endpoint filter
  only with its own ``direction`` (400 ``INVALID_REQUEST``).
- List is newest first with an opaque cursor (``meta.has_more``, ``meta.next_cursor``).
- Delete refuses ``pending``/``processing`` (``rules.deleteRefused``: 409 ``EXPORT_ACTIVE``),
  then every call on the id answers 404.
- Download answers 302 to the presigned URL; an expired export 410 ``EXPORT_EXPIRED``
  (under the ``vendor-rules`` fault: 409 ``EXPORT_NOT_READY`` instead).
- The artifact is a CSV of webhook delivery attempts inside the export's time range.
- With ``--rate-limits``: 1000 requests a minute per project (API overview page), counted on the
  mock clock; a call over it is 429 ``RATE_LIMITED`` with ``Retry-After``. Off by default.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import Response

from mockserver.artifacts import ArtifactFile, csv_bytes
from mockserver.clock import rfc3339
from mockserver.errors import VendorError
from mockserver.lifecycle import Progress
from mockserver.ratelimit import RateLimit, WindowQuota
from mockserver.runtime import ApiRuntime
from mockserver.store import Job
from mockserver.vendors import TENANT_NAMES, Call, Derive, Handler, Tenant, Vendor

CSV_HEADER = (
    "message_id", "endpoint_id", "direction", "status", "attempt", "response_status", "duration_ms", "created_at",
)  # fmt: skip
MESSAGE_STATUSES = ("queued", "delivering", "succeeded", "pending_retry", "failed_permanent")
DEFAULT_PAGE = 50
RATE_LIMIT = RateLimit(1000, 60)  # "1000 requests per minute per project" (API overview page)
QUOTA_NAMESPACE = "hookbridge:quota"  # "<tenant>:<minute>" -> requests counted


def _parse_time(text: str, member: str) -> datetime:
    """RFC 3339 as clients send it (``Z`` or an offset, any case); 400 if it is not one."""
    try:
        value = datetime.fromisoformat(text.strip().upper().replace("Z", "+00:00"))
    except ValueError:
        raise VendorError(400, "INVALID_REQUEST", f"{member} must be an RFC 3339 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _time(value: float | None) -> str | None:
    return None if value is None else rfc3339(value)


def _endpoint_uuid(endpoint_id: str) -> str:
    """``ep_<32 hex>`` as the UUID the export stores it as."""
    return str(uuid.UUID(hex=endpoint_id[3:]))


class HookBridge(Vendor):
    """The HookBridge vendor module."""

    name = "hookbridge"
    GENERIC_CODES = {**Vendor.GENERIC_CODES, 400: "INVALID_REQUEST", 410: "EXPORT_EXPIRED"}
    MESSAGES = {
        "NOT_FOUND": "Export not found",
        "EXPORT_NOT_READY": "Export is not yet completed",
        "EXPORT_EXPIRED": "Export download link has expired",
        "EXPORT_ACTIVE": "Cannot delete an export that is pending or in progress. Please try again in a moment.",
        "UNAUTHORIZED": "Invalid or missing API key",
        "RATE_LIMITED": "Rate limit exceeded. Try again later.",
    }

    def tenants(self, derive: Derive) -> Sequence[Tenant]:
        return [
            Tenant(
                name,
                {"apiKey": derive.token("hb_test_", f"key:{name}")},
                {"project_id": derive.token("proj_", f"project:{name}", 12)},
            )
            for name in TENANT_NAMES
        ]

    def sample_attrs(self, tenant: Tenant) -> dict[str, Any]:
        return {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-08T00:00:00Z", "direction": "outbound"}

    def error_body(self, error: VendorError, *, request_id: str, path: str) -> Any:
        message = error.message if error.status != 401 else self.message("UNAUTHORIZED", error.message)
        inner: dict[str, Any] = {"code": error.code, "message": message}
        if error.details:
            inner["details"] = dict(error.details)
        return {"error": inner, "meta": {"request_id": request_id}}

    def artifact(self, job: Job, rng: random.Random) -> ArtifactFile:
        start = _parse_time(str(job.attrs["start_time"]), "start_time")
        end = _parse_time(str(job.attrs["end_time"]), "end_time")
        span = max((end - start).total_seconds(), 1.0)
        direction = job.attrs.get("direction", "outbound")
        endpoint = job.attrs.get("endpoint_id") or job.attrs.get("inbound_endpoint_id")
        rows = []
        for _ in range(rng.randint(3, 20)):
            status = job.attrs.get("status") or rng.choice(MESSAGE_STATUSES)
            failed = status in ("pending_retry", "failed_permanent")
            rows.append(
                [
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    endpoint or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    direction,
                    status,
                    rng.randint(1, 5),
                    rng.choice((500, 502, 503, 504)) if failed else 200,
                    rng.randint(20, 3000),
                    rfc3339((start + timedelta(seconds=rng.uniform(0, span))).timestamp()),
                ]
            )
        rows.sort(key=lambda row: str(row[-1]))
        return ArtifactFile(csv_bytes(CSV_HEADER, rows), "text/csv", f"export-{job.id}.csv")

    def render(self, api: ApiRuntime, job: Job, progress: Progress) -> dict[str, Any]:
        """The spec's ``Export`` object for ``job`` as ``progress`` shows it."""
        lc = api.lifecycle
        state = progress.state
        done = lc.ready in progress.entered and state in (lc.ready, lc.expired)
        artifact = api.artifact(job) if done else None
        started = progress.at(lc.path[1])  # the state after pending
        return {
            "id": job.id,
            "project_id": api.tenant(job.tenant).fixtures["project_id"],
            "status": state,
            "filter_start_time": job.attrs["start_time"],
            "filter_end_time": job.attrs["end_time"],
            "filter_status": job.attrs.get("status"),
            "filter_endpoint_id": job.attrs.get("endpoint_id"),
            "filter_inbound_endpoint_id": job.attrs.get("inbound_endpoint_id"),
            "direction": job.attrs.get("direction", "outbound"),
            "row_count": artifact.data.count(b"\r\n") - 1 if artifact else None,
            "file_size_bytes": artifact.size if artifact else None,
            "error_message": "Export generation failed" if state == lc.failed else None,
            "started_at": rfc3339(started) if started is not None and state != lc.initial else None,
            "completed_at": rfc3339(progress.entered[lc.ready]) if done else None,
            "expires_at": _time(progress.planned.get(lc.expired or "")) if done else None,
            "created_at": rfc3339(job.created),
        }

    def operations(self, api: ApiRuntime) -> Mapping[str, Handler]:
        lc = api.lifecycle
        delete_rule: Mapping[str, Any] = lc.rules.get("deleteRefused") or {}

        def envelope(call: Call, data: Any, **meta: Any) -> dict[str, Any]:
            return {"data": data, "meta": {"request_id": call.request_id, **meta}}

        async def create(call: Call) -> Response:
            body = call.body if isinstance(call.body, Mapping) else {}
            start = _parse_time(str(body.get("start_time", "")), "start_time")
            end = _parse_time(str(body.get("end_time", "")), "end_time")
            if end <= start:
                raise VendorError(400, "INVALID_REQUEST", "end_time must be after start_time")
            direction = body.get("direction", "outbound")
            if body.get("endpoint_id") is not None and direction != "outbound":
                raise VendorError(400, "INVALID_REQUEST", "endpoint_id applies only to direction outbound")
            if body.get("inbound_endpoint_id") is not None and direction != "inbound":
                raise VendorError(400, "INVALID_REQUEST", "inbound_endpoint_id applies only to direction inbound")
            attrs = {
                "start_time": body["start_time"],
                "end_time": body["end_time"],
                "direction": direction,
                "status": body.get("status"),
                "endpoint_id": _endpoint_uuid(body["endpoint_id"]) if body.get("endpoint_id") else None,
                "inbound_endpoint_id": body.get("inbound_endpoint_id"),
            }
            job = api.create_job(call.tenant, {k: v for k, v in attrs.items() if v is not None})
            return api.json(call, envelope(call, self.render(api, job, api.progress(job))), 201)

        async def list_exports(call: Call) -> Response:
            limit = int(call.params.get("limit") or DEFAULT_PAGE)
            jobs, cursor = api.list_jobs(call.tenant, cursor=call.params.get("cursor"), limit=limit)
            data = [self.render(api, job, api.progress(job)) for job in jobs]
            return api.json(call, envelope(call, data, has_more=cursor is not None, next_cursor=cursor))

        async def get(call: Call) -> Response:
            job = api.find_job(call.tenant, call.params["id"])
            return api.json(call, envelope(call, self.render(api, job, api.progress(job))))

        async def delete(call: Call) -> Response:
            job = api.find_job(call.tenant, call.params["id"])
            if api.progress(job).state in delete_rule.get("states", ()):
                code = str(delete_rule.get("code", "EXPORT_ACTIVE"))
                raise VendorError(int(delete_rule.get("status", 409)), code, self.message(code, "export is active"))
            api.delete_job(job)
            return Response(status_code=204)

        async def download(call: Call) -> Response:
            job = api.find_job(call.tenant, call.params["id"])
            progress = api.progress(job)
            if progress.state == lc.expired and not api.rules.vendor_rules:
                raise VendorError(409, "EXPORT_NOT_READY", self.message("EXPORT_NOT_READY", "not ready"))
            grant = api.grant_download(call, job, progress)
            assert grant is not None  # redirect style: never an "absent" refusal
            return Response(status_code=302, headers={"Location": grant.url})

        handlers: dict[str, Handler] = {
            "createExport": create,
            "listExports": list_exports,
            "getExport": get,
            "deleteExport": delete,
            "downloadExport": download,
        }
        if not api.rate_limits:
            return handlers
        quota = WindowQuota(api.store, api.now, RATE_LIMIT, namespace=QUOTA_NAMESPACE, enforce=True)
        return {op: self.metered(quota, handler) for op, handler in handlers.items()}

    def metered(self, quota: WindowQuota, handler: Handler) -> Handler:
        """``handler`` behind the project's per-minute quota (one project per tenant)."""

        async def run(call: Call) -> Response:
            use = quota.take(call.tenant.name)
            if use.refused:
                message = self.message("RATE_LIMITED", "rate limit exceeded")
                raise VendorError(429, "RATE_LIMITED", message, headers={"Retry-After": str(use.retry_after)})
            return await handler(call)

        return run


VENDOR = HookBridge()
