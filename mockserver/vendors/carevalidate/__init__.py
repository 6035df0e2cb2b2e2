"""CareValidate Care360 patient files: what ``specs/carevalidate.yaml`` cannot say by itself.

- Tenants are organisations: a ``cv_test_`` key each and two known patients (``PROFILES``), each
  with their own cases; the first patient's first case is the create fixture ``caseId``. The
  first patients sign in as ``patient@example.com`` / ``+15551234567`` (primary) and
  ``alex.morgan@example.org`` / ``+15557654321`` (secondary); e-mail is matched trimmed, any case.
- OTP sign-in. The code is the FIXED local test code **123456** (``TEST_OTP``). ``sendOtp`` always
  answers the generic 200 and issues an OTP only to a known patient of the calling organisation,
  valid 5 minutes on the mock clock. ``verifyOtp`` answers 401: "Invalid credentials" for an unknown
  patient; "Invalid verification code" for a wrong code (it counts: the 5th wrong one kills the OTP),
  or when no live OTP was issued (never sent, older than 5 minutes, killed); "Verification code
  already used" the second time. The OTP is the patient's: verify may name either identifier.
  Success: an HS512 access JWT valid 900 s on the mock clock, an opaque refresh token (not
  redeemable: the spec has no refresh operation), ``Cache-Control: no-store``.
- Tokens are stateless JWTs signed with a key derived from ``--seed``: they survive a restart (any
  store) and expire on the mock clock. A tenant's ``accessToken`` credential (target, provider
  states) is a fixture JWT of its first patient without ``exp``, so a checker that advances the
  clock keeps its credentials.
- Auth order (``request_error``): a bad bearer answers 401 first; then a missing ``cv-api-key`` 400,
  an unknown one 404 "Organization not found"; a token of another organisation is 401.
- Files: upload keeps the exact bytes (at most ``MAX_UPLOAD_BYTES``; not base64 -> 400) and serves
  them with the uploaded ``mimeType`` and ``Content-Disposition`` = ``fileName``. Without ``caseId`` a
  file is a general document: stored, never listed, 404 on metadata/download/delete. Missing,
  deleted, general, another patient's and another organisation's files answer one 404; a staff
  upload (provider state ``staff-file``) cannot be renamed or deleted (the same 404).
- Delete is soft: the trail enters DELETED. Under the ``vendor-rules`` fault a deleted file is still
  listed and readable. ``blob-missing``: the row without its object -> download 500.
- Patterns are checked the ECMA-262 way (``$`` only at the end); UUIDs are read in any case; a
  fixed path answers 405 for a method it lacks before a templated neighbour can claim it
  (``DELETE .../files/upload``).

The package: ``directory`` (organisations, patients, derived ids), ``tokens`` (JWTs and their
owners), ``calls`` (route table, auth order, body checks shared by the handlers), ``otp`` (sign-in),
``files`` (uploads, sample PDF, downloads); this module holds the ``Vendor`` and re-exports them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request

from mockserver.artifacts import ArtifactFile
from mockserver.errors import VendorError
from mockserver.runtime import ApiRuntime
from mockserver.store import Job
from mockserver.vendors import TENANT_NAMES, Derive, Handler, Tenant, Vendor
from mockserver.vendors.carevalidate import calls, tokens
from mockserver.vendors.carevalidate.calls import HTTP_METHODS, PATTERNED, VALIDATION, Portal, Route, routes
from mockserver.vendors.carevalidate.directory import PROFILES, STAFF, Organisation, Person, directory
from mockserver.vendors.carevalidate.directory import _directory as _directory
from mockserver.vendors.carevalidate.directory import _patient as _patient
from mockserver.vendors.carevalidate.files import (
    MAX_UPLOAD_BYTES,
    OBJECT_NAME,
    PAGE,
    decode_upload,
    deleted_and_blob_missing,
    file_operations,
    sample_pdf,
)
from mockserver.vendors.carevalidate.otp import (
    OTP_MAX_ATTEMPTS,
    OTP_NAMESPACE,
    OTP_REFUSALS,
    OTP_TTL,
    SENT,
    TEST_OTP,
    TOKEN_SEQUENCE,
    otp_operations,
)
from mockserver.vendors.carevalidate.tokens import ACCESS_TTL, FIXTURE_ISSUED_AT, fixture_patient, read_jwt, sign_jwt
from mockserver.vendors.carevalidate.tokens import _claims as _claims
from mockserver.vendors.carevalidate.tokens import _signed_payload as _signed_payload

__all__ = [
    "ACCESS_TTL",
    "FIXTURE_ISSUED_AT",
    "HTTP_METHODS",
    "MAX_UPLOAD_BYTES",
    "OBJECT_NAME",
    "OTP_MAX_ATTEMPTS",
    "OTP_NAMESPACE",
    "OTP_REFUSALS",
    "OTP_TTL",
    "PAGE",
    "PATTERNED",
    "PROFILES",
    "SENT",
    "STAFF",
    "TEST_OTP",
    "TOKEN_SEQUENCE",
    "VALIDATION",
    "VENDOR",
    "CareValidate",
    "Organisation",
    "Person",
    "Route",
    "decode_upload",
    "deleted_and_blob_missing",
    "directory",
    "fixture_patient",
    "read_jwt",
    "routes",
    "sample_pdf",
    "sign_jwt",
]


class CareValidate(Vendor):
    """The CareValidate vendor module."""

    name = "carevalidate"
    GENERIC_CODES = {**Vendor.GENERIC_CODES, 400: VALIDATION, 401: VALIDATION, 403: VALIDATION}

    def tenants(self, derive: Derive) -> Sequence[Tenant]:
        book = directory(derive)
        tenants = []
        for name in TENANT_NAMES:
            org, first = book[name], book[name].patients[0]
            fixture = {"userId": first.id, "organizationId": org.id, "type": "patient-portal", "iat": FIXTURE_ISSUED_AT}
            credentials = {
                "cvApiKey": derive.token("cv_test_", f"key:{name}"),
                "accessToken": sign_jwt(derive, fixture),
            }
            tenants.append(Tenant(name, credentials, {"caseId": first.cases[0], "email": first.email,
                                                      "phoneNumber": first.phone}))  # fmt: skip
        return tenants

    def token_owner(self, api: ApiRuntime, token: str) -> tuple[Tenant, Person] | None:
        """The tenant and patient a valid access token belongs to."""
        return tokens.token_owner(api, token)

    def bearer(self, api: ApiRuntime, request: Request) -> tuple[Tenant, Person] | None:
        return tokens.bearer_owner(api, request)

    def authenticate(self, api: ApiRuntime, scheme: str, value: str) -> Tenant | None:
        if scheme == "accessToken":
            owner = self.token_owner(api, value)
            return owner[0] if owner else None
        return api.tenant_by_credential(scheme, value)

    def request_error(self, api: ApiRuntime, request: Request, error: VendorError) -> VendorError:
        return calls.request_error(api, request, error, self.framework_error)

    def error_body(self, error: VendorError, *, request_id: str, path: str) -> Any:
        message = error.message
        if error.status == 401 and message not in OTP_REFUSALS:
            message = "Invalid or expired token"
        elif error.status == 404 and error.code == VALIDATION:
            message = "File not found"
        elif error.status >= 500:
            message = "Internal server error"
        return {"status": error.status, "success": False, "error": message, "code": error.code}

    def sample_attrs(self, tenant: Tenant) -> dict[str, Any]:
        first = fixture_patient(tenant)  # the tenant's first patient, who owns the fixture case
        return {"fileName": "lab-result.pdf", "mimeType": "application/pdf", "caseId": tenant.fixtures["caseId"],
                "patientId": first, "uploaderId": first, "staff": False, "isPHI": False, "isRestricted": False,
                "generated": True}  # fmt: skip

    def provider_state(self, api: ApiRuntime, state: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        tenant = api.tenant(str(params.get("tenant", "primary")))
        attrs = self.sample_attrs(tenant)
        if state == "blob-missing":
            blob_missing = deleted_and_blob_missing(api.lifecycle)[1]
            job = api.create_job(tenant, {**attrs, "generated": False}, state=blob_missing)
        elif state == "staff-file":
            staff = directory(api.derive)[tenant.name].staff
            attrs.update(fileName="lab-panel.pdf", uploaderId=staff.id, staff=True, isPHI=True)
            job = api.create_job(tenant, attrs, state=api.lifecycle.initial)
        else:
            return None
        return {"id": job.id, "params": api.path_params(job)}

    def artifact(self, job: Job, rng: random.Random) -> ArtifactFile:
        if "data" in job.attrs:
            data = decode_upload(str(job.attrs["data"]))
        elif job.attrs.get("generated"):
            values = [f"{test}: {rng.uniform(low, high):.1f} {unit}" for test, low, high, unit in (
                ("Glucose", 70, 110, "mg/dL"), ("HbA1c", 4.5, 6.5, "%"), ("LDL", 60, 160, "mg/dL"))]  # fmt: skip
            data = sample_pdf(["Lab result", f"File {job.id}", f"Case {job.attrs.get('caseId')}", *values])
        else:
            data = b""  # the row of a file whose object is gone
        return ArtifactFile(data, str(job.attrs["mimeType"]), OBJECT_NAME, display_name=str(job.attrs["fileName"]))

    def operations(self, api: ApiRuntime) -> Mapping[str, Handler]:
        portal = Portal.from_api(api)
        return {**otp_operations(portal), **file_operations(portal)}


VENDOR = CareValidate()
