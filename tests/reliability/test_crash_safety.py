"""Issue 5, point 3: kill -9 of the mock during the load loses no acknowledged job.

``python -m mockserver --store sqlite:...`` serves the load of ``test_concurrency`` and is
killed with SIGKILL ``budget.crash_kills`` times, evenly spread over the load, then restarted on
the same port and store. Clients treat the outage as a careful client would: a connection that
was never made is tried again; a create that may have reached the server is asked again with
the same Idempotency-Key where the API has one, and otherwise counted as *in doubt*.

After the load, against the restarted server: every job whose create was answered 2xx is there,
in a state reachable from every state a client saw, with ordered timestamps, invisible to the
other tenant. In the store: SQLite's integrity check passes, and the only jobs nobody was told
about are at most the creates in doubt (and curaeai, whose key makes asking again safe, has none).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reliability.budget import Budget
from reliability.figures import render
from reliability.load import LoadOptions
from reliability.process import MockProcess
from reliability.scenario import run_scenario
from tests.reliability.audit import compare, integrity, stored_jobs
from tests.reliability.conftest import ROOT, Figures, served_apis


@pytest.mark.slow
def test_kill_9_during_load_loses_no_acknowledged_job(tmp_path: Path, budget: Budget, figures: Figures) -> None:
    assert budget.crash_kills > 0, "EXPORTKIT_CRASH_KILLS=0 would make this test unable to fail"
    apis = served_apis()
    db = tmp_path / "crash.sqlite"
    options = LoadOptions(clients=budget.load_clients, seconds=budget.load_seconds, poll_interval=budget.poll_interval)
    mock = MockProcess(apis, store=f"sqlite:{db}", log=tmp_path / "mock.log", time_scale=budget.time_scale, cwd=ROOT)
    with mock:
        report = asyncio.run(run_scenario(mock, apis, options, kills=budget.crash_kills))
        kills = mock.kills
    jobs = stored_jobs(db, apis)
    store = compare(report.ledger, jobs, apis)
    orphans = store.by_api("unacknowledged")
    in_doubt = dict(report.load.creates_in_doubt)
    after_last_kill = report.load.creates_acknowledged - (report.kills[-1].acknowledged_before if report.kills else 0)
    result = {
        **report.figures(),
        "sqlite_integrity": integrity(db),
        "stored_jobs": len(jobs),
        "lost_from_store": store.count("lost"),
        "unacknowledged_in_store": orphans,
        "creates_acknowledged_after_last_restart": after_last_kill,
    }
    figures.record("crash", result)
    print(render("crash", result))

    assert kills == budget.crash_kills, f"{kills} kills happened, {budget.crash_kills} were planned"
    findings = "\n".join(str(f) for f in report.findings()[:30])
    assert not store.lost, f"acknowledged jobs missing from the store: {store.lost}\n{findings}"
    assert report.verification.lost == 0, f"acknowledged jobs not served after the restart:\n{findings}"
    assert not report.findings(), findings
    assert report.load.server_errors == 0, findings
    assert report.load.unexpected == 0, findings
    assert result["sqlite_integrity"] == "ok"
    assert in_doubt.get("curaeai", 0) == 0, f"curaeai creates still in doubt after retrying their keys: {in_doubt}"
    too_many = {api: n for api, n in orphans.items() if n > in_doubt.get(api, 0)}
    assert not too_many, f"jobs nobody was told about, beyond the {in_doubt} creates in doubt: {too_many}"
    assert after_last_kill > 0, "the restarted mock acknowledged no create: the load did not resume"
