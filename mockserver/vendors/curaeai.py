"""CuraeAI Platform SDK records exports: what ``specs/curaeai.yaml`` cannot say by itself.

- Tenants are SDK connections: a ``cae_test_`` key and its ``connectionId`` each.
- ``Idempotency-Key`` replay for 24 hours (per tenant): a repeat of the key answers the original
  202 again, rendered as it was at creation (status QUEUED, header ``Idempotent-Replayed: true``),
  without a new export. The same key with a *different* body gets that same replay: the spec
  (conventions page) says a repeated key replays the original response and documents no error for
  a changed body, so the key alone names the operation (the replay shows the original members).
  Under the ``vendor-rules`` fault the key is ignored and every call creates a new export.
- A create for another (or an unknown) ``connectionId`` answers 404 ``NOT_FOUND``.
- The status read carries a strong ``ETag`` (hash of the body); ``If-None-Match`` -> 304.
- Errors are RFC 7807 problems with ``code``, ``retryable`` and, for refusals, ``details.status``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from mockserver.artifacts import ArtifactFile, fhir_observations
from mockserver.clock import rfc3339
from mockserver.errors import VendorError
from mockserver.jsonbody import compact_json
from mockserver.lifecycle import Progress
from mockserver.runtime import ApiRuntime
from mockserver.store import Job
from mockserver.vendors import TENANT_NAMES, Call, Derive, Handler, Tenant, Vendor

IDEMPOTENCY_NAMESPACE = "curaeai:idempotency"
IDEMPOTENCY_WINDOW = 24 * 3600
MAX_KEY_LENGTH = 255
RETRYABLE_CODES = frozenset({"EXPORT_NOT_READY", "RATE_LIMITED", "INTERNAL_ERROR"})


def _canonical(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _time(value: float | None) -> str | None:
    return None if value is None else rfc3339(value)


class CuraeAi(Vendor):
    """The CuraeAI vendor module."""

    name = "curaeai"
    GENERIC_CODES = {
        **Vendor.GENERIC_CODES,
        403: "SCOPE_INSUFFICIENT",
        415: "UNSUPPORTED_MEDIA_TYPE",
    }
    MESSAGES = {
        "NOT_FOUND": "Records export not found.",
        "EXPORT_NOT_READY": "The records export is not READY yet; retry later.",
        "EXPORT_NOT_DOWNLOADABLE": "The records export can no longer be downloaded.",
    }

    def tenants(self, derive: Derive) -> Sequence[Tenant]:
        return [
            Tenant(
                name,
                {"platformApiKey": derive.token("cae_test_", f"key:{name}")},
                {"connectionId": derive.uuid(f"connection:{name}")},
            )
            for name in TENANT_NAMES
        ]

    def sample_attrs(self, tenant: Tenant) -> dict[str, Any]:
        return {
            "connectionId": tenant.fixtures["connectionId"],
            "resourceTypes": ["Observation"],
            "format": "fhir_ndjson",
            "includeRawFhir": False,
        }

    def error_body(self, error: VendorError, *, request_id: str, path: str) -> Any:
        try:
            title = HTTPStatus(error.status).phrase
        except ValueError:
            title = "Error"
        body: dict[str, Any] = {
            "type": "https://curaeai.com/problems/" + error.code.lower().replace("_", "-"),
            "title": title,
            "status": error.status,
            "detail": error.message,
            "instance": path,
            "code": error.code,
            "retryable": error.code in RETRYABLE_CODES,
        }
        if error.details:
            body["details"] = dict(error.details)
        return body

    def artifact(self, job: Job, rng: random.Random) -> ArtifactFile:
        subject = f"Patient/{job.attrs.get('connectionId', 'unknown')[:8]}-{rng.getrandbits(32):08x}"
        data = fhir_observations(rng, count=rng.randint(3, 12), subject=subject, issued=rfc3339(job.created))
        return ArtifactFile(data, "application/fhir+ndjson", f"{job.id}.ndjson")

    def render(self, api: ApiRuntime, job: Job, progress: Progress) -> dict[str, Any]:
        """The ``Export`` object of the spec for ``job`` as ``progress`` shows it."""
        state = progress.state
        ready = api.lifecycle.ready
        done = ready in progress.entered and state in (ready, api.lifecycle.expired)
        artifact = api.artifact(job) if done else None
        failed = state == api.lifecycle.failed
        return {
            "id": job.id,
            "connectionId": job.attrs.get("connectionId"),
            "status": state,
            "resourceTypes": job.attrs.get("resourceTypes", ["Observation"]),
            "format": job.attrs.get("format", "fhir_ndjson"),
            "includeRawFhir": bool(job.attrs.get("includeRawFhir", False)),
            "artifact": {"sha256": artifact.sha256, "byteSize": str(artifact.size)} if artifact else None,
            "errorCode": "EXPORT_BUILD_FAILED" if failed else None,
            "queuedAt": _time(progress.at(api.lifecycle.initial)),
            "startedAt": _time(progress.at(api.lifecycle.path[1])),  # the state after queued
            "completedAt": _time(progress.at(ready)) if done else None,
            "expiresAt": _time(progress.planned.get(api.lifecycle.expired or "")) if done else None,
            "failedAt": _time(progress.at(api.lifecycle.failed)) if failed else None,
            "createdAt": rfc3339(job.created),
            "updatedAt": rfc3339(max(progress.entered.values(), default=job.created)),
        }

    def operations(self, api: ApiRuntime) -> Mapping[str, Handler]:
        async def create(call: Call) -> Response:
            key = call.header("Idempotency-Key") or ""
            if not key.strip() or len(key) > MAX_KEY_LENGTH:
                raise VendorError(
                    400, "BAD_REQUEST", f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} characters.",
                    {"header": "Idempotency-Key"},
                )  # fmt: skip
            body = call.body if isinstance(call.body, Mapping) else {}
            if body.get("connectionId") != call.tenant.fixtures["connectionId"]:
                raise VendorError(404, "NOT_FOUND", "Connection not found.")
            digest = _canonical(body)
            slot = f"{call.tenant.name}:{key}"
            if api.rules.vendor_rules:
                replayed = self._replay(api, call, slot, digest)
                if replayed is not None:
                    return replayed
            attrs = {
                "connectionId": body["connectionId"],
                "resourceTypes": list(body.get("resourceTypes") or ["Observation"]),
                "format": body.get("format", "fhir_ndjson"),
                "includeRawFhir": bool(body.get("includeRawFhir", False)),
            }
            job = api.create_job(
                call.tenant,
                attrs,
                records=lambda job: [
                    (IDEMPOTENCY_NAMESPACE, slot, json.dumps({"h": digest, "j": job.id, "t": job.created}))
                ],
            )
            return self._created(api, call, job)

        async def status(call: Call) -> Response:
            job = api.find_job(call.tenant, call.params["exportId"])
            content = compact_json({"export": self.render(api, job, api.progress(job))})
            etag = '"' + hashlib.sha256(content).hexdigest()[:40] + '"'
            wanted = [tag.strip() for tag in (call.header("If-None-Match") or "").split(",")]
            if etag in wanted or "*" in wanted:
                return Response(status_code=304, headers={"ETag": etag})
            return Response(content, 200, {"ETag": etag}, "application/json")

        async def download(call: Call) -> Response:
            job = api.find_job(call.tenant, call.params["exportId"])
            progress = api.progress(job)
            try:
                grant = api.grant_download(call, job, progress)
            except VendorError as refusal:
                raise replace(refusal, details={"status": progress.state}) from None
            assert grant is not None  # json style: never an "absent" refusal
            return api.json(
                call,
                {
                    "download": {
                        "url": grant.url,
                        "expiresInSeconds": grant.expires_in,
                        "expiresAt": rfc3339(grant.expires_at),
                    },
                    "export": self.render(api, job, progress),
                },
            )

        return {"createRecordsExport": create, "getRecordsExport": status, "downloadRecordsExport": download}

    def _created(self, api: ApiRuntime, call: Call, job: Job) -> Response:
        """The 202 of a create, as it was at the job's creation (so a replay is identical)."""
        progress = api.engine.progress(job.trail, job.created)
        return api.json(call, {"export": self.render(api, job, progress)}, 202)

    def _replay(self, api: ApiRuntime, call: Call, slot: str, digest: str) -> Response | None:
        saved = api.store.get_value(IDEMPOTENCY_NAMESPACE, slot)
        if saved is None:
            return None
        record = json.loads(saved)
        if api.now() - float(record["t"]) > IDEMPOTENCY_WINDOW:
            return None
        job = api.store.get_job(api.name, str(record["j"]))
        if job is None:
            return None
        response = self._created(api, call, job)
        response.headers["Idempotent-Replayed"] = "true"
        if record["h"] != digest:  # documented as a replay all the same; say so for a client's logs
            response.headers["Idempotent-Body-Mismatch"] = "true"
        return response


VENDOR = CuraeAi()
