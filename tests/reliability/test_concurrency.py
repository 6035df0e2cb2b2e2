"""Issue 5, point 2: concurrency on the SQLite store.

A bounded load (``budget.load_clients`` clients for ``budget.load_seconds``, every served API,
both tenants) of create -> poll -> download against ``python -m mockserver --store sqlite:...``,
then: every acknowledged job present, no job in the store that nobody was acknowledged, no
state moving backwards, no tenant reading another's job, and webadmit never running two files
for one template at once. Then bursts of identical creates: one curaeai export per
Idempotency-Key, one running webadmit file per template.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mockserver.testing import running_mock
from reliability.budget import Budget
from reliability.bursts import bursts
from reliability.figures import render
from reliability.load import LoadOptions
from reliability.process import MockProcess
from reliability.recipes import ApiRecipe, Target
from reliability.scenario import run_scenario
from specs import API_NAMES, Lifecycle, load_spec
from tests.reliability.audit import compare, overlapping_runs, stored_jobs
from tests.reliability.conftest import ROOT, Figures, require_vendor, served_apis

WEBADMIT_SLOT = ("user_identity_id", "export_id")
EVERYTHING = 10**9


def options(budget: Budget) -> LoadOptions:
    return LoadOptions(clients=budget.load_clients, seconds=budget.load_seconds, poll_interval=budget.poll_interval)


@pytest.mark.slow
def test_load_loses_nothing_duplicates_nothing_and_never_moves_backwards(
    tmp_path: Path, budget: Budget, figures: Figures
) -> None:
    apis = served_apis()
    db = tmp_path / "load.sqlite"
    mock = MockProcess(apis, store=f"sqlite:{db}", log=tmp_path / "mock.log", time_scale=budget.time_scale, cwd=ROOT)
    with mock:
        report = asyncio.run(run_scenario(mock, apis, options(budget)))
    jobs = stored_jobs(db, apis)
    store = compare(report.ledger, jobs, apis)
    overlaps = []
    if "webadmit" in apis:
        lifecycle = Lifecycle.from_spec(load_spec("webadmit"), "webadmit")
        overlaps = overlapping_runs([j for j in jobs if j.api == "webadmit"], lifecycle, WEBADMIT_SLOT)
    result = {
        **report.figures(),
        "stored_jobs": len(jobs),
        "lost_from_store": store.count("lost"),
        "unacknowledged_in_store": store.count("unacknowledged"),
        "webadmit_overlapping_runs": len(overlaps),
    }
    figures.record("load", result)
    print(render("load", result))

    findings = "\n".join(str(f) for f in report.findings()[:30])
    assert report.load.errors == 0, f"{report.load.errors} errors under load:\n{findings}\n{mock.log_tail()}"
    assert not report.findings(), findings
    assert not store.lost, f"acknowledged but not in the store: {store.lost}"
    assert not store.unacknowledged, f"in the store but never acknowledged (duplicates?): {store.unacknowledged}"
    assert not overlaps, overlaps
    idle = sorted(api for api in apis if not report.ledger.ids(api))
    assert not idle, f"the load never had a create acknowledged on {idle}: not a meaningful load"
    assert report.load.downloads_verified > 0


@pytest.mark.parametrize("api", API_NAMES)
def test_every_api_is_under_load(api: str) -> None:
    """The load and crash runs cover every API the mock serves; this names those it cannot serve yet."""
    require_vendor(api)


@pytest.mark.slow
def test_identical_creates_at_once_make_one_curaeai_export_per_key(
    tmp_path: Path, budget: Budget, figures: Figures
) -> None:
    require_vendor("curaeai")
    keys = [f"burst-{n}" for n in range(5)]
    with running_mock(["curaeai"], store=f"sqlite:{tmp_path / 'idem.sqlite'}", time_scale=budget.time_scale) as mock:
        recipe = ApiRecipe.build(load_spec("curaeai"), Target.from_dict(mock.target("curaeai")))
        results = asyncio.run(bursts(recipe, ["primary", "secondary"], keys, copies=budget.concurrent_creates))
        stored = {
            t: mock.server.store.list_jobs("curaeai", t, before_seq=None, limit=EVERYTHING)
            for t in ("primary", "secondary")
        }
    summary: dict[str, object] = {
        "bursts": len(results),
        "copies_each": budget.concurrent_creates,
        "requests": sum(r.copies for r in results),
        "acknowledged": sum(r.acknowledged for r in results),
        "sent_again_after_no_answer": sum(r.no_answer for r in results),
        "distinct_jobs": len({i for r in results for i in r.ids}),
        "stored_jobs": sum(map(len, stored.values())),
    }
    figures.record("idempotency", summary)
    print(render("idempotency", summary))
    for result in results:
        assert result.acknowledged == result.copies, result.summary()
        assert len(result.ids) == 1, result.summary()
    primary = {next(iter(r.ids)) for r in results if r.tenant == "primary"}
    secondary = {next(iter(r.ids)) for r in results if r.tenant == "secondary"}
    assert len(primary) == len(secondary) == len(keys), "one export per key and tenant"
    assert not primary & secondary, "an Idempotency-Key is per tenant: the same key never shares an export"
    assert {j.id for j in stored["primary"]} == primary
    assert {j.id for j in stored["secondary"]} == secondary


@pytest.mark.slow
def test_concurrent_creates_leave_one_running_webadmit_file(tmp_path: Path, budget: Budget, figures: Figures) -> None:
    require_vendor("webadmit")
    # Runs that last minutes (time scale 1/100) stay running for the whole burst, so every
    # create of a burst must meet the same running file.
    store = f"sqlite:{tmp_path / 'dedupe.sqlite'}"
    with running_mock(["webadmit"], store=store, time_scale=0.01) as mock:
        recipe = ApiRecipe.build(load_spec("webadmit"), Target.from_dict(mock.target("webadmit")))
        first = asyncio.run(bursts(recipe, ["primary", "secondary"], ["-"], copies=budget.concurrent_creates))
        mock.advance(24 * 3600)  # every run has ended: the next create starts a new one
        second = asyncio.run(bursts(recipe, ["primary"], ["-"], copies=budget.concurrent_creates))
        stored = mock.server.store.list_jobs("webadmit", "primary", before_seq=None, limit=EVERYTHING)
        secondary = mock.server.store.list_jobs("webadmit", "secondary", before_seq=None, limit=EVERYTHING)
    summary: dict[str, object] = {
        "copies_each": budget.concurrent_creates,
        "first_burst_ids": [len(r.ids) for r in first],
        "second_burst_ids": len(second[0].ids),
        "sent_again_after_no_answer": sum(r.no_answer for r in [*first, *second]),
        "stored_primary": len(stored),
        "stored_secondary": len(secondary),
    }
    figures.record("dedupe", summary)
    print(render("dedupe", summary))
    for result in [*first, *second]:
        assert result.acknowledged == result.copies, result.summary()
        assert len(result.ids) == 1, result.summary()
    assert set(first[0].ids) != set(second[0].ids), "a create after the run ended must start a new file"
    assert set(first[0].ids) != set(first[1].ids), "tenants never share a file"
    assert len(stored) == 2, "primary: one file per run"
    assert len(secondary) == 1
