"""The harness can fail: each check is shown catching a mock that breaks its rule.

The mock's own faults (``/_control/{api}/faults``) break one rule at a time; a memory store
stands in for a store that loses data in a crash.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mockserver.store import Job
from mockserver.testing import MockHandle, running_mock
from reliability.ledger import Ledger
from reliability.load import LoadOptions, run_load
from reliability.process import MockProcess
from reliability.recipes import ApiRecipe, Target
from reliability.scenario import run_scenario
from reliability.verify import verify
from specs import Lifecycle, load_spec
from tests.reliability.audit import overlapping_runs
from tests.reliability.conftest import ROOT, require_vendor


def recipes_of(mock: MockHandle, api: str) -> dict[str, ApiRecipe]:
    return {api: ApiRecipe.build(load_spec(api), Target.from_dict(mock.target(api)))}


@pytest.mark.slow
def test_verify_reports_an_acknowledged_job_that_is_gone() -> None:
    require_vendor("hookbridge")
    with running_mock(["hookbridge"]) as mock:
        recipes = recipes_of(mock, "hookbridge")
        ledger = Ledger({"hookbridge": recipes["hookbridge"].lifecycle})
        kept = mock.provider_state("hookbridge", "completed")["id"]
        gone = mock.provider_state("hookbridge", "completed")["id"]
        for job_id in (kept, gone):
            ledger.acknowledge("hookbridge", "primary", job_id, key=job_id, client=0, state="completed")
        mock.server.store.delete_job("hookbridge", gone)  # the data loss the check is for
        report = asyncio.run(verify(recipes, ledger))
    assert (report.present, report.lost) == (1, 1)
    assert report.findings[0].where.endswith(gone)


@pytest.mark.slow
def test_the_load_sees_a_state_move_backwards() -> None:
    require_vendor("curaeai")
    with running_mock(["curaeai"], time_scale=10) as mock:
        mock.set_fault("curaeai", violation="lifecycle")  # every other read shows the previous state
        recipes = recipes_of(mock, "curaeai")
        ledger = Ledger({"curaeai": recipes["curaeai"].lifecycle})
        asyncio.run(run_load(recipes, ledger, LoadOptions(clients=4, seconds=2.0)))
    assert any(f.check == "backwards" for f in ledger.findings), ledger.findings


@pytest.mark.slow
def test_verify_sees_a_tenant_read_another_tenants_job() -> None:
    require_vendor("curaeai")
    with running_mock(["curaeai"]) as mock:
        recipes = recipes_of(mock, "curaeai")
        ledger = Ledger({"curaeai": recipes["curaeai"].lifecycle})
        job_id = mock.provider_state("curaeai", "READY")["id"]
        ledger.acknowledge("curaeai", "primary", job_id, key="k", client=0, state="READY")
        mock.set_fault("curaeai", violation="tenant-isolation")
        report = asyncio.run(verify(recipes, ledger))
    assert report.leaks == 1, report.findings


def test_the_ledger_sees_one_key_answered_with_two_jobs_and_a_job_given_to_two_tenants() -> None:
    lifecycle = Lifecycle.from_spec(load_spec("curaeai"), "curaeai")
    ledger = Ledger({"curaeai": lifecycle})
    ledger.acknowledge("curaeai", "primary", "job-1", key="k", client=0, state="QUEUED")
    ledger.acknowledge("curaeai", "primary", "job-2", key="k", client=1, state="QUEUED")
    ledger.acknowledge("curaeai", "secondary", "job-2", key="other", client=2, state="QUEUED")
    ledger.acknowledge("curaeai", "primary", "job-1", key="third", client=3, state="QUEUED")
    assert [f.check for f in ledger.findings] == ["idempotency", "leak", "duplicated"]


def test_the_audit_sees_two_runs_of_one_template_at_once() -> None:
    lifecycle = Lifecycle.from_spec(load_spec("webadmit"), "webadmit")
    attrs = {"user_identity_id": 1, "export_id": 2}
    trail = (("initializing", 0.0), ("queued", 1.0), ("in_progress", 2.0), ("available", 3.0))
    first = Job("webadmit", "1", "primary", 1, 0.0, trail, attrs)
    overlapping = Job("webadmit", "2", "primary", 2, 2.5, tuple((s, t + 2.5) for s, t in trail), attrs)
    after = Job("webadmit", "3", "primary", 3, 9.0, tuple((s, t + 9.0) for s, t in trail), attrs)
    slot = ("user_identity_id", "export_id")
    assert len(overlapping_runs([first, overlapping], lifecycle, slot)) == 1
    assert overlapping_runs([first, after], lifecycle, slot) == []


@pytest.mark.slow
def test_the_crash_run_sees_a_store_that_forgets(tmp_path: Path) -> None:
    """The crash test's checks fail against ``--store memory``, which a kill -9 empties."""
    require_vendor("hookbridge")
    mock = MockProcess(["hookbridge"], store="memory", log=tmp_path / "mock.log", cwd=ROOT)
    with mock:
        report = asyncio.run(run_scenario(mock, ["hookbridge"], LoadOptions(clients=4, seconds=3.0), kills=1))
    assert len(report.kills) == 1
    assert report.kills[0].acknowledged_before > 0, "no job was acknowledged before the kill"
    assert report.verification.lost >= report.kills[0].acknowledged_before
