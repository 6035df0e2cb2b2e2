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
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.artifacts import ArtifactFile
from mockserver.errors import VendorError
from mockserver.runtime import ApiRuntime
from mockserver.store import Job
from mockserver.vendors import TENANT_NAMES, Call, Derive, Handler, Tenant, Vendor
from specs import Lifecycle

TEST_OTP = "123456"
OTP_TTL = 300
OTP_MAX_ATTEMPTS = 5
ACCESS_TTL = 900
FIXTURE_ISSUED_AT = 1767225600  # 2026-01-01T00:00:00Z: fixture tokens are stable for a seed
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
OBJECT_NAME = "file"  # the object key's last segment; the display name travels in Content-Disposition
OTP_NAMESPACE = "carevalidate:otp"  # "<tenant>:<identifier>" -> {"issued", "attempts", "used"}
TOKEN_SEQUENCE = "carevalidate:token"  # store sequence of minted token ids (jti)
VALIDATION = "VALIDATION_ERROR"
PAGE = 500
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SENT = "If the account exists, a verification code has been sent."
OTP_REFUSALS = frozenset({"Invalid credentials", "Invalid verification code", "Verification code already used"})
PATTERNED = {"id": "Uuid", "caseId": "Uuid", "email": "Email", "phoneNumber": "PhoneNumber", "code": "OtpCode"}
# Per tenant: patients (first name, last name, e-mail, phone, number of cases) and the staff member.
PROFILES: Mapping[str, tuple[tuple[str, str, str, str, int], ...]] = {
    "primary": (("Jane", "Doe", "patient@example.com", "+15551234567", 2),
                ("Sam", "Rivera", "sam.rivera@example.com", "+15551234568", 1)),
    "secondary": (("Alex", "Morgan", "alex.morgan@example.org", "+15557654321", 2),
                  ("Priya", "Shah", "priya.shah@example.org", "+15557654322", 1)),
}  # fmt: skip
STAFF = {"primary": ("Morgan", "Lee"), "secondary": ("Chris", "Okafor")}


@dataclass(frozen=True)
class Person:
    """A patient (with cases) or a staff member of one organisation."""

    id: str
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    cases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "firstName": self.first_name, "lastName": self.last_name}


@dataclass(frozen=True)
class Organisation:
    """One tenant's organisation: its id, patients and staff member, derived from ``--seed``."""

    tenant: str
    id: str
    patients: tuple[Person, ...]
    staff: Person

    def person(self, person_id: Any) -> Person | None:
        return next((p for p in (*self.patients, self.staff) if p.id == person_id), None)

    def patient(self, member: str, value: str) -> Person | None:
        """The patient whose ``email`` (trimmed, any case) or ``phoneNumber`` is ``value``."""
        if member == "email":
            return next((p for p in self.patients if p.email == value.strip().lower()), None)
        return next((p for p in self.patients if p.phone == value), None)


def directory(derive: Derive) -> dict[str, Organisation]:
    """Every tenant's organisation; stable for a seed."""
    return dict(_directory(derive.seed, derive.api))


@functools.lru_cache(maxsize=64)
def _directory(seed: int, api: str) -> dict[str, Organisation]:
    # dozens of sha256-derived ids, read on every authenticated call: built once per seed and API
    derive = Derive(seed, api)
    found = {}
    for tenant in TENANT_NAMES:
        patients = tuple(
            Person(derive.uuid(f"patient:{tenant}:{n}"), first, last, email, phone,
                   tuple(derive.uuid(f"case:{tenant}:{n}:{k}") for k in range(cases)))
            for n, (first, last, email, phone, cases) in enumerate(PROFILES[tenant])
        )  # fmt: skip
        staff = Person(derive.uuid(f"staff:{tenant}"), *STAFF[tenant])
        found[tenant] = Organisation(tenant, derive.uuid(f"organization:{tenant}"), patients, staff)
    return found


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt_key(derive: Derive) -> bytes:
    return derive.digest("jwt:hs512")


def sign_jwt(derive: Derive, claims: Mapping[str, Any]) -> str:
    """An HS512 JWT of ``claims``, signed with the seed's key."""
    head = _b64url(json.dumps({"alg": "HS512", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(dict(claims), separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_jwt_key(derive), f"{head}.{body}".encode(), hashlib.sha512).digest()
    return f"{head}.{body}.{_b64url(mac)}"


def read_jwt(derive: Derive, token: str, now: float) -> dict[str, Any] | None:
    """The claims of a patient-portal token signed with the seed's key and not expired at ``now``."""
    claims = _claims(derive.seed, derive.api, token)
    if claims is None or claims.get("type") != "patient-portal":
        return None
    expires = claims.get("exp")
    return dict(claims) if expires is None or (isinstance(expires, int) and now < expires) else None


@functools.lru_cache(maxsize=256)
def _claims(seed: int, api: str, token: str) -> Mapping[str, Any] | None:
    # pure, and read twice per call (security, then the handler): memoised, read-only
    payload = _signed_payload(seed, api, token)
    if payload is None:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    return MappingProxyType(claims) if isinstance(claims, dict) else None


@functools.lru_cache(maxsize=256)
def _patient(seed: int, api: str, organisation: str, user: str) -> tuple[str, Person] | None:
    """The tenant and patient of ``user`` in ``organisation`` (staff and strangers are nobody's)."""
    for org in _directory(seed, api).values():
        patient = org.person(user) if org.id == organisation else None
        if patient is not None and patient in org.patients:
            return org.tenant, patient
    return None


@functools.lru_cache(maxsize=256)
def _signed_payload(seed: int, api: str, token: str) -> str | None:
    # the HMAC check is pure and runs twice per call (security, then the handler): memoised
    parts = token.split(".")
    if not token.isascii() or len(parts) != 3:
        return None
    mac = hmac.new(_jwt_key(Derive(seed, api)), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha512).digest()
    return parts[1] if hmac.compare_digest(_b64url(mac), parts[2]) else None


def fixture_patient(tenant: Tenant) -> str:
    """The patient id in ``tenant``'s fixture token (minted by ``tenants``, so it reads back)."""
    body = str(tenant.credentials["accessToken"]).split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["userId"])


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


def _ecma(pattern: str) -> re.Pattern[str]:
    """``pattern`` as ECMA-262 reads it: ``$`` matches only at the very end, not before a final newline."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def deleted_and_blob_missing(lc: Lifecycle) -> tuple[str, str]:
    """The states download refuses like a missing file (soft-deleted) and with a 5xx (object gone)."""
    refused = lc.download.refused
    deleted = next(s for s, r in refused.items() if (r.status, r.code) == (lc.not_found.status, lc.not_found.code))
    return deleted, next(s for s, r in refused.items() if r.status >= 500)


def _created_at(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Route:
    """One spec path: its regular expression and, per method, whether a bearer token is required."""

    pattern: re.Pattern[str]
    fixed: bool
    bearer: Mapping[str, bool]


def routes(spec: Mapping[str, Any]) -> list[Route]:
    """The spec's paths, fixed ones first (they win over a templated neighbour)."""
    found = []
    for path, item in (spec.get("paths") or {}).items():
        methods = {m.upper(): op for m, op in item.items() if m in HTTP_METHODS and isinstance(op, Mapping)}
        bearer = {m: any("accessToken" in r for r in op.get("security", spec.get("security", [])))
                  for m, op in methods.items()}  # fmt: skip
        regex = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)))
        found.append(Route(regex, "{" not in path, bearer))
    return sorted(found, key=lambda route: not route.fixed)


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
        claims = read_jwt(api.derive, token, api.now())
        organisation, user = (claims or {}).get("organizationId"), (claims or {}).get("userId")
        if not isinstance(organisation, str) or not isinstance(user, str):
            return None  # ids are text: nothing else names anybody
        found = _patient(api.derive.seed, api.derive.api, organisation, user)
        return (api.tenant(found[0]), found[1]) if found else None

    def bearer(self, api: ApiRuntime, request: Request) -> tuple[Tenant, Person] | None:
        kind, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
        return self.token_owner(api, token.strip()) if kind.lower() == "bearer" else None

    def authenticate(self, api: ApiRuntime, scheme: str, value: str) -> Tenant | None:
        if scheme == "accessToken":
            owner = self.token_owner(api, value)
            return owner[0] if owner else None
        return api.tenant_by_credential(scheme, value)

    def request_error(self, api: ApiRuntime, request: Request, error: VendorError) -> VendorError:
        path, method = request.url.path[len(api.name) + 1 :], request.method
        route = next((r for r in routes(api.spec) if r.pattern.fullmatch(path)), None)
        served = {*route.bearer, *(("HEAD",) if "GET" in route.bearer else ())} if route else set()
        if route is not None and route.fixed and method not in served:
            allow = ", ".join(route.bearer)
            return VendorError(405, "METHOD_NOT_ALLOWED", "Method Not Allowed", headers={"Allow": allow})
        if error.status != 401 or route is None or method not in served:
            return self.framework_error(error)
        if route.bearer.get("GET" if method == "HEAD" else method) and self.bearer(api, request) is None:
            return error  # any bearer failure answers first (spec, scheme accessToken)
        key = request.headers.get("cv-api-key")
        if key is None:
            return VendorError(400, VALIDATION, "cv-api-key header is required")
        if api.tenant_by_credential("cvApiKey", key) is None:
            return VendorError(404, "NOT_FOUND", "Organization not found")
        return error

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
        book = directory(api.derive)
        schemas = api.spec.get("components", {}).get("schemas", {})
        patterns = {member: _ecma(schemas[name]["pattern"]) for member, name in PATTERNED.items()}
        deleted = deleted_and_blob_missing(api.lifecycle)[0]

        def checked(call: Call) -> Mapping[str, Any]:
            """The body, after what Connexion's validation misses: ECMA ``$`` and text that is not Unicode."""
            body = call.body if isinstance(call.body, Mapping) else {}
            for member, value in (*call.params.items(), *body.items()):
                if not isinstance(value, str):
                    continue
                if member in patterns and not patterns[member].search(value):
                    raise VendorError(400, VALIDATION, f"{member} does not match {patterns[member].pattern}")
                try:
                    value.encode()
                except UnicodeEncodeError:
                    raise VendorError(400, VALIDATION, f"{member} is not valid Unicode text") from None
            return body

        def patient(call: Call) -> Person:
            owner = self.bearer(api, call.request)
            org = book[call.tenant.name]
            return owner[1] if owner and owner[0].name == call.tenant.name else org.patients[0]

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

        def ok(call: Call, data: Any, status: int = 200) -> Response:
            return api.json(call, {"status": status, "success": True, "data": data}, status)

        async def send_otp(call: Call) -> Response:
            body = checked(call)
            member = "email" if "email" in body else "phoneNumber"
            found = book[call.tenant.name].patient(member, str(body[member]))
            if found is not None:  # nobody else learns whether the patient exists
                record = {"issued": api.now(), "attempts": 0, "used": False}
                api.store.put_value(OTP_NAMESPACE, f"{call.tenant.name}:{found.id}", json.dumps(record))
            return api.json(call, {"status": 200, "success": True, "message": SENT})

        async def verify_otp(call: Call) -> Response:
            body = checked(call)
            member = "email" if "email" in body else "phoneNumber"
            found = book[call.tenant.name].patient(member, str(body[member]))
            if found is None:
                raise VendorError(401, VALIDATION, "Invalid credentials")
            slot = f"{call.tenant.name}:{found.id}"
            saved = api.store.get_value(OTP_NAMESPACE, slot)
            record = json.loads(saved) if saved else None
            if record is not None and record["used"]:
                raise VendorError(401, VALIDATION, "Verification code already used")
            live = record is not None and api.now() <= record["issued"] + OTP_TTL
            if record is None or not live or record["attempts"] >= OTP_MAX_ATTEMPTS or body["code"] != TEST_OTP:
                if record is not None and live:
                    record["attempts"] += 1
                    api.store.put_value(OTP_NAMESPACE, slot, json.dumps(record))
                raise VendorError(401, VALIDATION, "Invalid verification code")
            api.store.put_value(OTP_NAMESPACE, slot, json.dumps({**record, "used": True}))
            now, jti = int(api.now()), str(api.store.next_seq(TOKEN_SEQUENCE))
            claims = {"userId": found.id, "organizationId": book[call.tenant.name].id, "type": "patient-portal",
                      "iat": now, "exp": now + ACCESS_TTL, "jti": jti}  # fmt: skip
            refresh = hmac.new(_jwt_key(api.derive), f"refresh:{jti}".encode(), hashlib.sha256).hexdigest()
            tokens = {"accessToken": sign_jwt(api.derive, claims), "refreshToken": refresh, "expiresIn": ACCESS_TTL}
            return api.json(
                call, {"status": 200, "success": True, "data": tokens}, headers={"Cache-Control": "no-store"}
            )

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
            "sendOtp": send_otp,
            "verifyOtp": verify_otp,
            "listFiles": list_files,
            "uploadFile": upload,
            "getFileMetadata": metadata,
            "renameFile": rename,
            "downloadFile": download,
            "deleteFile": delete,
        }


VENDOR = CareValidate()
