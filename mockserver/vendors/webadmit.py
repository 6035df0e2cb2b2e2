"""Liaison WebAdMIT export files: what ``specs/webadmit.yaml`` cannot say by itself.

- Tenants are API keys (32 hex digits), each reaching its own user identities and the export
  templates they own; ids are integers derived from ``--seed``. Create fixtures: the first
  identity and its first template (``user_identity_id``, ``export_id``).
- Anything the API cannot find *or read* is ``404 {"message": "Not Found"}``: another key's
  identity, template or file, a file under another template, and the framework's validation,
  media-type and JSON errors (``framework_error``). 401 has an empty body (``x-lifecycle``).
- Every call that passes auth counts against the key's hourly quota on the mock clock
  (``HourlyQuota``); answers always carry ``X-RateLimit-Limit``/``X-RateLimit-Remaining`` (the
  spec declares them on every answer), and a call over the quota is ``429`` when the server runs
  with rate limits on (``--rate-limits``); off, it is served with ``X-RateLimit-Remaining: 0``.
- Dedupe: a create for an identity and template whose last run is still running returns that
  run (201, its current state). Under the ``vendor-rules`` fault every create starts a new run.
- ``getExportFile`` carries ``download_url`` only while ``available``, a new URL on every call.
  The file is a CSV of applicants in ISO-8859-1, named after the template.
- ``callback`` URLs are stored with the run but never called: the mock makes no outbound requests.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, NamedTuple

from starlette.responses import Response

from mockserver.artifacts import ArtifactFile, csv_bytes
from mockserver.errors import VendorError
from mockserver.jsonbody import add_headers
from mockserver.ratelimit import RateLimit, WindowQuota
from mockserver.runtime import ApiRuntime
from mockserver.store import Job, Store
from mockserver.vendors import TENANT_NAMES, Call, Derive, Handler, Tenant, Vendor

CSV_MEDIA_TYPE = "text/csv;charset=iso-8859-1"  # the templates' mime_type and the example URL's
CSV_FORMAT = "Comma-Separated Values"
# Vendor notes and the project issue say 5,000 calls an hour; the copy of api_rate_limit.html read for
# the spec says 1,000. One constant, so the choice is made in one place.
RATE_LIMIT_PER_HOUR = 5000
RATE_WINDOW_SECONDS = 3600
QUOTA_NAMESPACE = "webadmit:quota"  # (key's tenant, hour) -> calls counted
RUNNING_NAMESPACE = "webadmit:running"  # (tenant, identity, template) -> id of its latest run
RECENT_FILES = 100  # Inferred: how many files "Recent Files" shows is not documented
PAGE = 200
SERVED_METHODS = ("GET", "POST")
CSV_HEADER = ("CAS ID", "First Name", "Last Name", "Email", "Program", "Local Status", "Submitted Date", "Overall GPA")
FIRST_NAMES = ("José", "Zoë", "Amélie", "Søren", "Ana", "Björn", "Chloé", "Nuño", "Grace", "Malik")
LAST_NAMES = ("Muñoz", "Müller", "Ólafsdóttir", "Nguyen", "García", "Okafor", "Lefèvre", "Smith", "Dubois", "Kim")
PROGRAMS = ("MPH Epidemiology", "MPH Biostatistics", "MS Nursing", "DPT Physical Therapy")
LOCAL_STATUSES = ("Received", "In Review", "Interview", "Admitted", "Waitlisted", "Denied")


@dataclass(frozen=True)
class Template:
    """An export template (``export.html``)."""

    id: int
    name: str
    list_type: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "list_type": self.list_type, "format": CSV_FORMAT,
                "mime_type": CSV_MEDIA_TYPE}  # fmt: skip


@dataclass(frozen=True)
class Identity:
    """A user identity (``user_identity.html``) and the templates it owns."""

    id: int
    type: str
    association: str | None
    institution: str | None
    organization: str | None
    cycle: str | None
    templates: tuple[Template, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "association": self.association, "institution": self.institution,
                "organization": self.organization, "cycle": self.cycle}  # fmt: skip


@dataclass(frozen=True)
class Quota:
    """One key's use of its hourly quota after a call."""

    limit: int
    used: int
    resets_at: float

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(max(self.limit - self.used, 0))}


class HourlyQuota:
    """Calls per API key per clock hour (``api_rate_limit.html``), counted in the store.

    The window is the injected clock's hour, so advancing the mock clock starts a new one, and the
    count survives a restart on SQLite (``mockserver.ratelimit.WindowQuota``). ``enforce=False``
    (the server's default, no ``--rate-limits``) keeps counting but never refuses.
    """

    def __init__(
        self, store: Store, now: Callable[[], float], limit: int = RATE_LIMIT_PER_HOUR, *, enforce: bool = True
    ) -> None:
        self.limit = limit
        self.window = WindowQuota(
            store, now, RateLimit(limit, RATE_WINDOW_SECONDS), namespace=QUOTA_NAMESPACE, enforce=enforce
        )

    def take(self, tenant: Tenant) -> Quota:
        """Count one call of ``tenant``'s key (one key per tenant); raise 429 when refused."""
        use = self.window.take(tenant.name)
        quota = Quota(use.limit, use.used, use.resets_at)
        if use.refused:
            headers = {**quota.headers(), "Retry-After": str(use.retry_after)}
            raise VendorError(429, "RATE_LIMITED", "Rate Limit Exceeded", headers=headers)
        return quota

    def metered(self, handler: Handler) -> Handler:
        """``handler`` counted against the quota, its answer (or error) carrying the quota headers."""

        async def run(call: Call) -> Response:
            quota = self.take(call.tenant)
            try:
                response = await handler(call)
            except VendorError as error:
                raise replace(error, headers={**error.headers, **quota.headers()}) from None
            add_headers(response, quota.headers())
            return response

        return run


class Profile(NamedTuple):
    """A user identity without its id, and its templates as ``(name, list_type)``."""

    type: str
    association: str | None
    institution: str | None
    organization: str | None
    cycle: str | None
    templates: tuple[tuple[str, str | None], ...]


# Only the ids depend on the seed, so a provider state can name a template without the directory.
PROFILES: Mapping[str, tuple[Profile, ...]] = {
    "primary": (
        Profile("Admissions User", "SOPHAS", "Demo University", "Demo University School of Public Health",
                "2025 - 2026", (("Nightly Banner Export", "all"), ("Interview Shortlist", "clipboard"))),
        Profile("Institution User", None, "Demo University", None, "2024 - 2025",
                (("Prior Cycle Archive", "search"),)),
    ),
    "secondary": (
        Profile("Admissions User", "PTCAS", "Example College", "Example College of Health Sciences",
                "2025 - 2026", (("Weekly Decisions Export", "all"), ("Scholarship Review", None))),
        Profile("Association User", "PTCAS", None, None, None, (("Association Summary", "search"),)),
    ),
}  # fmt: skip


def directory(derive: Derive) -> dict[str, tuple[Identity, ...]]:
    """Every tenant's identities and templates; ids distinct, stable for a seed."""
    identity_base = 10_000 + int.from_bytes(derive.digest("identities")[:4], "big") % 900_000
    template_base = 20_000 + int.from_bytes(derive.digest("templates")[:4], "big") % 900_000
    found: dict[str, tuple[Identity, ...]] = {}
    identity_seq = template_seq = 0
    for tenant in TENANT_NAMES:
        identities = []
        for profile in PROFILES[tenant]:
            owned = []
            for name, list_type in profile.templates:
                template_seq += 1
                owned.append(Template(template_base + 7 * template_seq, name, list_type))
            identity_seq += 1
            identities.append(Identity(identity_base + 3 * identity_seq, *profile[:5], templates=tuple(owned)))
        found[tenant] = tuple(identities)
    return found


def file_name(template_name: str) -> str:
    """``Nightly Banner Export`` -> ``Nightly-Banner-Export.csv`` (cf. ``Test-API-Export.csv``)."""
    return (re.sub(r"[^A-Za-z0-9]+", "-", template_name).strip("-") or "export") + ".csv"


def _get_and_post_only(handler: Handler) -> Handler:
    """Starlette answers ``HEAD`` with the ``GET`` route; WebAdMIT serves only GET and POST (``v1.html``)."""

    async def run(call: Call) -> Response:
        if call.request.method not in SERVED_METHODS:
            raise VendorError(405, "METHOD_NOT_ALLOWED", "Method Not Allowed")
        return await handler(call)

    return run


class WebAdmit(Vendor):
    """The WebAdMIT vendor module."""

    name = "webadmit"

    def tenants(self, derive: Derive) -> Sequence[Tenant]:
        book = directory(derive)
        return [
            Tenant(
                name,
                {"apiKey": derive.token("", f"key:{name}")},
                {"user_identity_id": book[name][0].id, "export_id": book[name][0].templates[0].id},
            )
            for name in TENANT_NAMES
        ]

    def sample_attrs(self, tenant: Tenant) -> dict[str, Any]:
        first_template_name = PROFILES[tenant.name][0].templates[0][0]  # the fixtures' export_id
        return {**tenant.fixtures, "export_name": first_template_name}

    def framework_error(self, error: VendorError) -> VendorError:
        # The vendor documents no validation error: what it cannot read it "cannot find".
        if 400 <= error.status < 500 and error.status not in (401, 404, 405):
            return VendorError(404, self.error_code(404), "Not Found")
        return error

    def error_body(self, error: VendorError, *, request_id: str, path: str) -> Any:
        try:
            return {"message": HTTPStatus(error.status).phrase}
        except ValueError:
            return {"message": error.message}

    def artifact(self, job: Job, rng: random.Random) -> ArtifactFile:
        rows = []
        for _ in range(rng.randint(3, 25)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            rows.append([
                str(rng.randrange(10**9, 10**10)), first, last,
                f"applicant{rng.randrange(10**6):06d}@example.org", rng.choice(PROGRAMS), rng.choice(LOCAL_STATUSES),
                f"2025-{rng.randint(9, 12):02d}-{rng.randint(1, 28):02d}", f"{rng.uniform(2.5, 4.0):.2f}",
            ])  # fmt: skip
        data = csv_bytes(CSV_HEADER, rows).decode("utf-8").encode("iso-8859-1")
        return ArtifactFile(data, CSV_MEDIA_TYPE, file_name(str(job.attrs.get("export_name", ""))))

    def summary(self, api: ApiRuntime, job: Job, state: str) -> dict[str, Any]:
        """An ``ExportFileSummary`` of the spec (no ``download_url``)."""
        export_id = int(job.attrs["export_id"])
        href = f"/api/v1/exports/{export_id}/export_files/{job.id}"
        return {"id": int(job.id), "href": href, "export_id": export_id, "status": state}

    def operations(self, api: ApiRuntime) -> Mapping[str, Handler]:
        book = directory(api.derive)
        quota = HourlyQuota(api.store, api.now, enforce=api.rate_limits)

        def identity(call: Call, identity_id: Any) -> Identity:
            owners = TENANT_NAMES if not api.rules.isolate_tenants else (call.tenant.name,)
            for owner in owners:
                for found in book[owner]:
                    if found.id == identity_id:
                        return found
            raise api.not_found()

        def template(owner: Identity, export_id: Any) -> Template:
            for found in owner.templates:
                if found.id == export_id:
                    return found
            raise api.not_found()

        async def list_identities(call: Call) -> Response:
            items = [one.to_json() for one in book[call.tenant.name]]
            return api.json(call, {"href": "/api/v1/user_identities", "user_identities": items})

        async def list_templates(call: Call) -> Response:
            items = [t.to_json() for one in book[call.tenant.name] for t in one.templates]
            return api.json(call, {"href": "/api/v1/exports", "exports": items})

        async def list_identity_templates(call: Call) -> Response:
            owner = identity(call, call.params["user_identity_id"])
            href = f"/api/v1/user_identities/{owner.id}/exports"
            return api.json(call, {"href": href, "exports": [t.to_json() for t in owner.templates]})

        async def create(call: Call) -> Response:
            owner = identity(call, call.params["user_identity_id"])
            chosen = template(owner, call.params["export_id"])
            slot = f"{call.tenant.name}:{owner.id}:{chosen.id}"
            if api.rules.vendor_rules:
                running = api.store.get_value(RUNNING_NAMESPACE, slot)
                job = api.store.get_job(api.name, running) if running else None
                if job is not None and (state := api.progress(job).state) not in api.lifecycle.terminal:
                    return api.json(call, {"export_files": self.summary(api, job, state)}, 201)
            body = call.body if isinstance(call.body, Mapping) else {}
            callbacks = [c for c in (call.params.get("callback"), body.get("callback")) if c]
            attrs = {"user_identity_id": owner.id, "export_id": chosen.id, "export_name": chosen.name,
                     **({"callbacks": list(dict.fromkeys(callbacks))} if callbacks else {})}  # fmt: skip
            job = api.create_job(call.tenant, attrs, records=lambda job: [(RUNNING_NAMESPACE, slot, job.id)])
            return api.json(call, {"export_files": self.summary(api, job, api.progress(job).state)}, 201)

        async def get(call: Call) -> Response:
            job = api.find_job(call.tenant, str(call.params["export_file_id"]))
            if int(job.attrs["export_id"]) != call.params["export_id"]:
                raise api.not_found()
            progress = api.progress(job)
            resource = self.summary(api, job, progress.state)
            grant = api.grant_download(call, job, progress)
            if grant is not None:
                resource["download_url"] = grant.url
            return api.json(call, {"export_files": resource})

        async def list_files(call: Call) -> Response:
            owner = identity(call, call.params["user_identity_id"])
            found: list[dict[str, Any]] = []
            before: int | None = None
            while len(found) < RECENT_FILES:
                jobs = api.store.list_jobs(api.name, call.tenant.name, before_seq=before, limit=PAGE)
                found += [self.summary(api, job, api.progress(job).state) for job in jobs
                          if job.attrs.get("user_identity_id") == owner.id]  # fmt: skip
                if len(jobs) < PAGE:
                    break
                before = jobs[-1].seq
            href = f"/api/v1/user_identities/{owner.id}/export_files"
            return api.json(call, {"href": href, "export_files": found[:RECENT_FILES]})

        handlers: dict[str, Handler] = {
            "listUserIdentities": list_identities,
            "listExportTemplates": list_templates,
            "listUserIdentityExportTemplates": list_identity_templates,
            "createExportFile": create,
            "getExportFile": get,
            "listExportFiles": list_files,
        }
        return {op: _get_and_post_only(quota.metered(handler)) for op, handler in handlers.items()}


VENDOR = WebAdmit()
