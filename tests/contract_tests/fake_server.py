"""A small fake of the fixture API ``fixtures/fakeapi.yaml``, able to break each rule on demand.

Time is virtual and stands still unless ``POST /_control/clock/advance`` moves it, so the
tests never wait. ``breaks`` names the domain checks (ids) whose rule this instance breaks.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKENS = {"key-primary-0001": "primary", "key-secondary-0002": "secondary"}
CONNECTIONS = {"primary": "00000000-0000-4000-8000-000000000001", "secondary": "00000000-0000-4000-8000-000000000002"}
LIFETIME_S = 60
RETENTION_S = 3600


@dataclass
class FakeJob:
    id: str
    tenant: str
    queued: float
    started: float | None = None
    completed: float | None = None
    failed: float | None = None

    def state(self, now: float, breaks: frozenset[str] = frozenset()) -> str:
        if self.failed is not None and now >= self.failed:
            return "FAILED"
        if self.completed is not None and now >= self.completed + RETENTION_S:
            return "EXPIRED"
        if self.completed is not None and now >= self.completed:
            if "lifecycle" in breaks and now >= self.completed + 1:
                return "RUNNING"  # moves backwards
            return "READY"
        if self.started is not None and now >= self.started:
            return "RUNNING"
        return "QUEUED"

    @property
    def content(self) -> bytes:
        return f"id,value\n{self.id},1\n".encode()


@dataclass
class FakeVendor:
    breaks: frozenset[str] = frozenset()
    secret: bytes = b"fake-secret"
    now: float = 0.0
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], str] = field(default_factory=dict)
    request_ids: itertools.count[int] = field(default_factory=itertools.count)
    base_url: str = ""
    # Virtual time 0 is the real start time, as the mock's clock is real time plus an offset:
    # a URL signed "now" must not look long expired next to the server's own Date header.
    epoch: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def iso(self, at: float | None) -> str | None:
        return None if at is None else (self.epoch + timedelta(seconds=at)).isoformat().replace("+00:00", "Z")

    def problem(self, status: int, code: str, title: str) -> JSONResponse:
        rid = f"req-{next(self.request_ids)}"
        body_rid = "req-static" if "error-envelope" in self.breaks else rid
        body = {"title": title, "status": status, "code": code, "requestId": body_rid}
        return JSONResponse(body, status, media_type="application/problem+json", headers={"X-Request-Id": rid})

    def tenant(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if "auth" in self.breaks:
            return TOKENS.get(header.removeprefix("Bearer "), "primary")
        if not header.startswith("Bearer "):
            return None
        return TOKENS.get(header.removeprefix("Bearer "))

    def find(self, request: Request, tenant: str) -> FakeJob | Response:
        export_id = request.path_params["exportId"]
        try:
            uuid.UUID(export_id)
        except ValueError:
            if "server-error" in self.breaks:
                return Response("Internal Server Error", 500, media_type="text/plain")
            return self.problem(400, "BAD_REQUEST", "exportId is not a UUID")
        job = self.jobs.get(export_id)
        if job is None or (job.tenant != tenant and "tenant-isolation" not in self.breaks):
            return self.problem(404, "NOT_FOUND", "Not found")
        return job

    def view(self, job: FakeJob) -> dict[str, Any]:
        state = job.state(self.now, self.breaks)
        ready = state in ("READY", "EXPIRED")
        return {
            "id": job.id,
            "status": state,
            "artifact": {"sha256": hashlib.sha256(job.content).hexdigest(), "byteSize": str(len(job.content))}
            if ready
            else None,
            "errorCode": "BOOM" if state == "FAILED" else None,
            "queuedAt": self.iso(job.queued),
            "startedAt": self.iso(job.started if job.started is not None and self.now >= job.started else None),
            "completedAt": self.iso(job.completed if ready else None),
            "failedAt": self.iso(job.failed if state == "FAILED" else None),
        }

    def sign(self, job_id: str, signed_at: float, lifetime: int) -> str:
        date = (self.epoch + timedelta(seconds=int(signed_at))).strftime("%Y%m%dT%H%M%SZ")
        signature = hmac.new(self.secret, f"{job_id}|{date}|{lifetime}".encode(), hashlib.sha256).hexdigest()
        query = f"X-Amz-Date={date}&X-Amz-Expires={lifetime}&X-Amz-Signature={signature}"
        return f"{self.base_url}/_storage/{job_id}.csv?{query}"

    # --- vendor operations ---------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        tenant = self.tenant(request)
        if tenant is None:
            return self.problem(401, "UNAUTHORIZED", "Unauthorized")
        key = request.headers.get("idempotency-key")
        if not key or len(key) > 64:
            return self.problem(400, "BAD_REQUEST", "Idempotency-Key must have 1 to 64 characters")
        try:
            body = await request.json()
            uuid.UUID(str(body["connectionId"]))
            if "note" in body and (not isinstance(body["note"], str) or len(body["note"]) > 40):
                raise ValueError("note")
        except (ValueError, KeyError, TypeError):
            return self.problem(400, "BAD_REQUEST", "Invalid body")
        replay = self.idempotency.get((tenant, key), "")
        if replay in self.jobs and "vendor-rules" not in self.breaks:
            return JSONResponse({"export": self.view(self.jobs[replay])}, 202)
        job = FakeJob(str(uuid.uuid4()), tenant, self.now, self.now + 1, self.now + 2)
        self.jobs[job.id] = job
        self.idempotency[(tenant, key)] = job.id
        return JSONResponse({"export": self.view(job)}, 202)

    async def get(self, request: Request) -> Response:
        tenant = self.tenant(request)
        if tenant is None:
            return self.problem(401, "UNAUTHORIZED", "Unauthorized")
        found = self.find(request, tenant)
        return found if isinstance(found, Response) else JSONResponse({"export": self.view(found)})

    async def delete(self, request: Request) -> Response:
        tenant = self.tenant(request)
        if tenant is None:
            return self.problem(401, "UNAUTHORIZED", "Unauthorized")
        found = self.find(request, tenant)
        if isinstance(found, Response):
            return found
        if "deleted-gone" not in self.breaks:  # a finer break than vendor-rules: delete keeps the job
            del self.jobs[found.id]
        return Response(status_code=204)

    async def download(self, request: Request) -> Response:
        tenant = self.tenant(request)
        if tenant is None:
            return self.problem(401, "UNAUTHORIZED", "Unauthorized")
        found = self.find(request, tenant)
        if isinstance(found, Response):
            return found
        state = found.state(self.now)  # the lifecycle break shows on status reads only
        open_early = "readiness-gate" in self.breaks and state in ("QUEUED", "RUNNING")
        if state != "READY" and not open_early:
            code, status = {"FAILED": ("EXPORT_FAILED", 409), "EXPIRED": ("EXPORT_EXPIRED", 410)}.get(
                state, ("EXPORT_NOT_READY", 409)
            )
            return self.problem(status, code, f"Export is {state}")
        signed_at = found.completed if "fresh-url" in self.breaks and found.completed is not None else self.now
        url = self.sign(found.id, signed_at, LIFETIME_S)
        expires_in = 3600 if "ready-download" in self.breaks else LIFETIME_S
        expires_at = self.iso(int(signed_at) + LIFETIME_S)
        return JSONResponse({"download": {"url": url, "expiresInSeconds": expires_in, "expiresAt": expires_at}})

    async def storage(self, request: Request) -> Response:
        job_id = request.path_params["name"].removesuffix(".csv")
        query = request.query_params
        job = self.jobs.get(job_id)
        date, expires, signature = (query.get(k, "") for k in ("X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature"))
        denied = Response("<Error><Code>AccessDenied</Code></Error>", 403, media_type="application/xml")
        if job is None:
            return denied
        good = hmac.new(self.secret, f"{job_id}|{date}|{expires}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, signature) and "url-tamper" not in self.breaks:
            return denied
        try:
            signed = (datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) - self.epoch).total_seconds()
        except ValueError:
            return denied
        if self.now > signed + int(expires or 0) and "url-expiry" not in self.breaks:
            return denied
        content = job.content + (b"tampered" if "artifact" in self.breaks else b"")
        headers = {"Content-Disposition": f'attachment; filename="export-{job.id}.csv"'}
        return Response(content, 200, media_type="text/csv", headers=headers)

    # --- control plane --------------------------------------------------------------------
    async def provider_state(self, request: Request) -> Response:
        body = await request.json()
        state = body.get("state")
        tenant = (body.get("params") or {}).get("tenant", "primary")
        token = next(k for k, v in TOKENS.items() if v == tenant)
        answer: dict[str, Any] = {"state": state, "tenant": tenant, "credentials": {"apiKey": token}}
        answer["fixtures"] = {"connectionId": CONNECTIONS[tenant]}
        if state == "tenant":
            return JSONResponse({**answer, "params": {}})
        n = self.now
        schedules = {
            "QUEUED": (n, n + 1, n + 2, None),
            "RUNNING": (n - 1, n, n + 1, None),
            "READY": (n - 2, n - 1, n, None),
            "FAILED": (n - 2, n - 1, None, n),
            "EXPIRED": (n - 2 - RETENTION_S, n - 1 - RETENTION_S, n - RETENTION_S, None),
        }
        if state not in schedules:
            return JSONResponse({"error": f"unknown state {state}"}, 400)
        queued, started, completed, failed = schedules[state]
        job = FakeJob(str(uuid.uuid4()), tenant, queued, started, completed, failed)
        self.jobs[job.id] = job
        return JSONResponse({**answer, "id": job.id, "params": {"exportId": job.id}})

    async def advance(self, request: Request) -> Response:
        body = await request.json()
        self.now += float(body["seconds"])
        return JSONResponse({"now": self.iso(self.now)})


def create_fake_app(vendor: FakeVendor) -> Starlette:
    """The fake API at ``/fakeapi``, its object store at ``/_storage``, its control plane at ``/_control``."""
    return Starlette(
        routes=[
            Route("/fakeapi/exports", vendor.create, methods=["POST"]),
            Route("/fakeapi/exports/{exportId}", vendor.get, methods=["GET"]),
            Route("/fakeapi/exports/{exportId}", vendor.delete, methods=["DELETE"]),
            Route("/fakeapi/exports/{exportId}/download", vendor.download, methods=["GET"]),
            Route("/_storage/{name}", vendor.storage, methods=["GET"]),
            Route("/_control/fakeapi/provider-states", vendor.provider_state, methods=["POST"]),
            Route("/_control/clock/advance", vendor.advance, methods=["POST"]),
        ]
    )
