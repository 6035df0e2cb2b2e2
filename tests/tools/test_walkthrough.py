"""The demo's walk-through, against a small in-process fake of curaeai and hookbridge (httpx transport)."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from contract_tests.target import Target, Tenant
from tools.errors import WalkthroughError
from tools.walkthrough import walk_lifecycle

ARTIFACT = b'{"resourceType":"Observation","id":"1"}\n' * 8
BASE = "http://fake.test"


@dataclass
class FakeVendor:
    """Just enough of two vendors: jobs move one state per clock advance."""

    path: tuple[str, ...]
    sha256: str = hashlib.sha256(ARTIFACT).hexdigest()
    jobs: dict[str, int] = field(default_factory=dict)  # id -> index in path
    stuck_in: str | None = None  # the job never leaves this state
    requests: list[str] = field(default_factory=list)

    def state(self, job_id: str) -> str:
        return self.path[self.jobs[job_id]]

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(f"{request.method} {url}")
        if url.endswith("/_control/clock/advance"):
            for job_id, index in self.jobs.items():
                if self.path[index] != self.stuck_in:
                    self.jobs[job_id] = min(index + 1, len(self.path) - 1)
            return httpx.Response(200, json={"now": "2026-01-01T00:00:00Z"})
        if "/_storage/" in url:
            return httpx.Response(200, content=ARTIFACT, headers={"content-type": "application/fhir+ndjson"})
        if request.headers.get("authorization") not in ("Bearer key-1",):
            return httpx.Response(401, json={"status": 401, "code": "UNAUTHORIZED"})
        if request.method == "POST":
            job_id = str(uuid.uuid4())
            self.jobs[job_id] = 0
            job = {"id": job_id, "status": self.path[0]}
            return httpx.Response(202, json={"export": job, "data": job})  # curaeai and hookbridge shapes
        match = re.search(r"/exports/([^/]+)(/download)?$", url)
        if match is None or match[1] not in self.jobs:
            return httpx.Response(404, json={"status": 404, "code": "NOT_FOUND"})
        job_id = match[1]
        if match[2]:
            return self.download(job_id)
        export = {"id": job_id, "status": self.state(job_id)}
        export["artifact"] = {"sha256": self.sha256, "byteSize": str(len(ARTIFACT))}
        return httpx.Response(200, json={"export": export, "data": {"id": job_id, "status": self.state(job_id)}})

    def download(self, job_id: str) -> httpx.Response:
        signed = f"{BASE}/_storage/{job_id}.ndjson?X-Amz-Expires=60&X-Amz-Signature=abc"
        if self.path[-1] == "completed":  # hookbridge style: a redirect
            return httpx.Response(302, headers={"location": signed})
        return httpx.Response(200, json={"download": {"url": signed, "expiresInSeconds": 60}})


def curaeai_target() -> Target:
    return Target(
        api="curaeai",
        base_url=f"{BASE}/curaeai",
        tenants={"primary": Tenant({"platformApiKey": "key-1"}, {"connectionId": str(uuid.uuid4())})},
        clock_url=f"{BASE}/_control/clock",
    )


def test_walks_curaeai_from_create_to_checked_bytes() -> None:
    vendor = FakeVendor(("QUEUED", "RUNNING", "READY"))
    out = io.StringIO()
    walk = walk_lifecycle(curaeai_target(), out, seed=1, transport=httpx.MockTransport(vendor.handle))
    assert walk.states == ("QUEUED", "RUNNING", "READY")
    assert walk.byte_size == len(ARTIFACT)
    assert walk.sha256 == hashlib.sha256(ARTIFACT).hexdigest()
    text = out.getvalue()
    assert "create   POST http://fake.test/curaeai/api/sdk/v1/records/exports -> 202, id" in text
    assert "poll     RUNNING (clock +1s)" in text
    assert "poll     READY (clock +2s)" in text
    assert f"{len(ARTIFACT)} bytes, sha256 {walk.sha256[:16]}... (matches the job's sha256, size matches)" in text


def test_a_checksum_that_differs_is_said_plainly() -> None:
    vendor = FakeVendor(("QUEUED", "RUNNING", "READY"), sha256="0" * 64)
    out = io.StringIO()
    walk_lifecycle(curaeai_target(), out, transport=httpx.MockTransport(vendor.handle))
    assert "DIFFERS from the job's sha256" in out.getvalue()


def test_follows_a_redirect_style_download() -> None:
    vendor = FakeVendor(("pending", "processing", "completed"))
    target = Target(
        api="hookbridge",
        base_url=f"{BASE}/hookbridge",
        tenants={"primary": Tenant({"apiKey": "key-1"}, {})},
        clock_url=f"{BASE}/_control/clock",
    )
    out = io.StringIO()
    walk = walk_lifecycle(target, out, transport=httpx.MockTransport(vendor.handle))
    assert walk.states == ("pending", "processing", "completed")
    assert "-> 302, URL http://fake.test/_storage/" in out.getvalue()


def test_a_job_that_never_gets_ready_names_the_step() -> None:
    vendor = FakeVendor(("QUEUED", "RUNNING", "READY"), stuck_in="RUNNING")
    with pytest.raises(WalkthroughError, match="step 'poll' failed: not READY after 40 polls"):
        walk_lifecycle(curaeai_target(), io.StringIO(), transport=httpx.MockTransport(vendor.handle))


def test_refused_credentials_name_the_create_step() -> None:
    vendor = FakeVendor(("QUEUED", "RUNNING", "READY"))
    target = curaeai_target()
    target.tenants["primary"].credentials["platformApiKey"] = "wrong"
    with pytest.raises(WalkthroughError, match=r"curaeai: walk-through step 'create' failed: .*HTTP 401"):
        walk_lifecycle(target, io.StringIO(), transport=httpx.MockTransport(vendor.handle))
    assert vendor.jobs == {}
