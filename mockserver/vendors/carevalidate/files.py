"""CareValidate's patient files: upload, list, metadata, rename, download (signed GCS URL), delete.

Upload keeps the exact bytes (at most ``MAX_UPLOAD_BYTES``; not base64 -> 400) and the file is
served with the uploaded ``mimeType`` and ``Content-Disposition`` = ``fileName``. Without ``caseId``
a file is a general document: stored, never listed, 404 on metadata/download/delete. Missing,
deleted, general, another patient's and another organisation's files answer one 404; a staff upload
cannot be renamed or deleted (the same 404). Delete is soft: the trail enters the deleted state;
under the ``vendor-rules`` fault a deleted file is still listed and readable.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from mockserver.errors import VendorError
from mockserver.store import Job
from mockserver.vendors import Call, Handler
from mockserver.vendors.carevalidate.calls import VALIDATION, Portal
from specs import Lifecycle

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
OBJECT_NAME = "file"  # the object key's last segment; the display name travels in Content-Disposition
PAGE = 500


def decode_upload(data: str) -> bytes:
    """Standard padded base64 (RFC 4648 section 4) -> the file's bytes; 400 for anything else or too large."""
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise VendorError(400, VALIDATION, "data must be the file's bytes in standard base64") from None
    if len(raw) > MAX_UPLOAD_BYTES:
        raise VendorError(400, VALIDATION, f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
    return raw


def sample_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF 1.4 showing ``lines`` (ASCII without parentheses), with a correct xref."""
    text = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def deleted_and_blob_missing(lc: Lifecycle) -> tuple[str, str]:
    """The states download refuses like a missing file (soft-deleted) and with a 5xx (object gone)."""
    refused = lc.download.refused
    deleted = next(s for s, r in refused.items() if (r.status, r.code) == (lc.not_found.status, lc.not_found.code))
    return deleted, next(s for s, r in refused.items() if r.status >= 500)


def _created_at(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def file_operations(portal: Portal) -> dict[str, Handler]:
    """The handlers of the file operations for ``portal``'s API."""
    api, book, checked, patient, ok = portal.api, portal.book, portal.checked, portal.patient, portal.ok
    deleted = deleted_and_blob_missing(api.lifecycle)[0]

    def attachment(job: Job, *, uploaded_by: bool = True) -> dict[str, Any]:
        keys = ("fileName", "isPHI", "isRestricted", "caseId")
        found: dict[str, Any] = {"id": job.id, **{k: job.attrs.get(k) for k in keys}}
        uploader = book[job.tenant].person(job.attrs.get("uploaderId"))
        if uploaded_by and uploader is not None:
            found["uploadedBy"] = uploader.to_json()
        return {**found, "createdAt": _created_at(job.created)}

    def visible(job: Job) -> bool:
        return api.progress(job).state != deleted or not api.rules.vendor_rules

    def own_file(call: Call, *, writable: bool = False) -> Job:
        checked(call)
        job = api.find_job(call.tenant, str(call.params["id"]).lower())  # UUIDs: any case
        mine = job.attrs.get("patientId") == patient(call).id or not api.rules.isolate_tenants
        if job.attrs.get("caseId") is None or not mine or (writable and job.attrs.get("staff")):
            raise api.not_found()
        return job

    def case_of(call: Call, case_id: Any) -> str | None:
        case = None if case_id is None else str(case_id).lower()  # UUIDs: any case
        if case is not None and case not in patient(call).cases:
            raise VendorError(403, VALIDATION, "You do not have access to this case")
        return case

    async def list_files(call: Call) -> Response:
        checked(call)
        case_id, kind, me = case_of(call, call.params.get("caseId")), call.params.get("type"), patient(call)
        jobs: list[Job] = []
        before: int | None = None
        while True:
            page = api.store.list_jobs(api.name, call.tenant.name, before_seq=before, limit=PAGE)
            jobs += page
            if len(page) < PAGE:
                break
            before = page[-1].seq
        chosen = [
            job for job in jobs
            if job.attrs.get("caseId") is not None and (case_id is None or job.attrs["caseId"] == case_id)
            and (job.attrs.get("patientId") == me.id or not api.rules.isolate_tenants)
            and (kind is None or bool(job.attrs.get("isPHI")) == (kind == "phi")) and visible(job)
        ]  # fmt: skip
        chosen.sort(key=lambda job: (job.created, job.seq), reverse=True)
        return ok(call, {"files": [attachment(job) for job in chosen]})

    async def upload(call: Call) -> Response:
        body = checked(call)
        data = decode_upload(str(body["data"]))
        me, case_id = patient(call), case_of(call, body.get("caseId"))
        attrs = {"fileName": body["name"], "mimeType": body["mimeType"], "caseId": case_id, "patientId": me.id,
                 "uploaderId": me.id, "staff": False, "isPHI": False, "isRestricted": False,
                 "data": base64.b64encode(data).decode()}  # fmt: skip
        job = api.create_job(call.tenant, attrs)
        return ok(call, attachment(job, uploaded_by=False), 201)

    async def metadata(call: Call) -> Response:
        job = own_file(call)
        if not visible(job):
            raise api.not_found()
        return ok(call, attachment(job))

    async def rename(call: Call) -> Response:
        job = own_file(call, writable=True)
        if api.progress(job).state == deleted:
            raise api.not_found()
        job = replace(job, attrs={**job.attrs, "fileName": checked(call)["fileName"]})
        api.store.put_job(job)
        api.artifacts.clear()  # the cached artifact carries the old display name
        return ok(call, attachment(job))

    async def download(call: Call) -> Response:
        job = own_file(call)
        grant = api.grant_download(call, job, api.progress(job))
        assert grant is not None  # json style: never an "absent" refusal
        data = {"downloadUrl": grant.url, "fileName": job.attrs["fileName"], "expiresIn": grant.expires_in}
        return ok(call, data)

    async def delete(call: Call) -> Response:
        job = own_file(call, writable=True)
        if api.progress(job).state == deleted:
            raise api.not_found()
        api.store.put_job(replace(job, trail=(*job.trail, (deleted, max(api.now(), job.trail[-1][1])))))
        return api.json(call, {"status": 200, "success": True, "message": "File deleted successfully"})

    return {
        "listFiles": list_files,
        "uploadFile": upload,
        "getFileMetadata": metadata,
        "renameFile": rename,
        "downloadFile": download,
        "deleteFile": delete,
    }
