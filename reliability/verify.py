"""After a load (or a crash): is every acknowledged job still there, consistent, and private?

For every job in the ``Ledger``, over HTTP only:

- ``lost``: its owner's status read does not answer 200.
- ``backwards``: its state now cannot be reached from a state a client saw before.
- ``inconsistent``: its state is not one of the lifecycle's, or its non-null timestamps
  (``x-lifecycle.timestamps``) decrease.
- ``leak``: another tenant's status read does not get what a missing job gets
  (``x-lifecycle.tenancy.notFound``).

    report = asyncio.run(verify(recipes, ledger))
    assert report.lost == 0, report.findings
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from reliability.errors import Finding
from reliability.ledger import JobRecord, Ledger
from reliability.recipes import MISSING, ApiRecipe, pointer

TRIES = 5  # a read that gets no answer is asked again this many times (the server may be restarting)
PAUSE = 0.2


@dataclass
class VerifyReport:
    """What the verification found, by check."""

    checked: int = 0
    present: int = 0
    lost: int = 0
    backwards: int = 0
    inconsistent: int = 0
    leaks: int = 0
    unanswered: int = 0
    findings: list[Finding] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        return {
            "jobs_checked": self.checked,
            "present": self.present,
            "lost": self.lost,
            "backwards": self.backwards,
            "inconsistent": self.inconsistent,
            "cross_tenant_leaks": self.leaks,
            "unanswered": self.unanswered,
        }

    def find(self, check: str, record: JobRecord, observed: str) -> None:
        counter = {"lost": "lost", "backwards": "backwards", "inconsistent": "inconsistent", "leak": "leaks"}
        if check in counter:
            setattr(self, counter[check], getattr(self, counter[check]) + 1)
        if len(self.findings) < 200:
            self.findings.append(Finding(check, record.api, f"{record.tenant} job {record.id}", observed[:300]))


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp, or ``None`` for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


async def verify(
    recipes: Mapping[str, ApiRecipe], ledger: Ledger, *, concurrency: int = 16, timeout: float = 30.0
) -> VerifyReport:
    """Check every acknowledged job of ``ledger`` against the servers of ``recipes``."""
    report = VerifyReport()
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=timeout) as http:

        async def one(record: JobRecord) -> None:
            async with gate:
                await _verify_job(http, recipes[record.api], record, report)

        await asyncio.gather(*(one(record) for record in ledger.jobs() if record.api in recipes))
    return report


async def _get(http: httpx.AsyncClient, recipe: ApiRecipe, tenant: str, job_id: str) -> httpx.Response | None:
    planned = recipe.status(tenant, job_id)
    for attempt in range(TRIES):
        try:
            return await http.request(planned.method, recipe.target.base_url + planned.path, headers=planned.headers)
        except httpx.TransportError:
            if attempt + 1 < TRIES:
                await asyncio.sleep(PAUSE)
    return None


async def _verify_job(http: httpx.AsyncClient, recipe: ApiRecipe, record: JobRecord, report: VerifyReport) -> None:
    lifecycle = recipe.lifecycle
    report.checked += 1
    response = await _get(http, recipe, record.tenant, record.id)
    if response is None:
        report.unanswered += 1
        report.find("unanswered", record, f"no answer after {TRIES} tries")
        return
    if response.status_code != 200:
        report.find("lost", record, f"status read answered {response.status_code}: {response.text[:200]}")
        return
    report.present += 1
    try:
        body = response.json()
    except ValueError:
        report.find("inconsistent", record, f"status body is not JSON: {response.text[:200]}")
        return
    state = recipe.state(body)
    if lifecycle.state_pointer is not None:
        if state not in lifecycle.states:
            report.find("inconsistent", record, f"state {state!r} is not one of {list(lifecycle.states)}")
        else:
            for client, seen in sorted(record.last_seen.items()):
                if not lifecycle.allows(seen, state):
                    report.find("backwards", record, f"client {client} saw {seen}, the job is now {state}")
    resource = recipe.resource(body)
    stamps = [(p, pointer(resource, p)) for p in lifecycle.timestamps]
    times = [(p, parse_time(v)) for p, v in stamps if v is not MISSING and v is not None]
    unreadable = [p for p, t in times if t is None]
    if unreadable:
        report.find("inconsistent", record, f"timestamps {unreadable} are not RFC 3339")
    ordered = [(p, t) for p, t in times if t is not None]
    for (before, first), (after, second) in itertools.pairwise(ordered):
        if second < first:
            report.find("inconsistent", record, f"{after} ({second}) is before {before} ({first})")
    for other in recipe.target.tenants:
        if other == record.tenant:
            continue
        foreign = await _get(http, recipe, other, record.id)
        if foreign is not None and foreign.status_code != lifecycle.not_found.status:
            report.find("leak", record, f"tenant {other} read it: {foreign.status_code} {foreign.text[:160]}")
