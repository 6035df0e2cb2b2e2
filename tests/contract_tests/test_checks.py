"""Every domain check fails on a server that breaks its rule and passes on one that keeps it."""

from __future__ import annotations

import httpx
import pytest
import yaml

from contract_tests.checks import CHECK_IDS, CHECKS, get_check, run_check
from contract_tests.client import HttpClient
from contract_tests.errors import UnknownCheck
from contract_tests.results import CheckResult, Outcome
from contract_tests.runner import verify
from contract_tests.session import Session
from contract_tests.target import Target
from specs import Lifecycle
from tests.contract_tests.conftest import FAKE_SPEC, FakeTarget

# error-envelope judges the errors other checks provoked, so it runs after one that provokes some.
COMPANIONS = {"error-envelope": ["readiness-gate", "error-envelope"]}


def run_one(fake: FakeTarget, check_id: str) -> CheckResult:
    run = verify(fake.target(), checks=COMPANIONS.get(check_id, [check_id]), seed=7)
    assert not run.tool_errors
    return next(c for c in run.checks if c.check_id == check_id)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_passes_when_the_rule_is_kept(fake: FakeTarget, check_id: str) -> None:
    result = run_one(fake, check_id)
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.cases > 0
    assert not result.failures


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_fails_when_the_rule_is_broken(fake: FakeTarget, check_id: str) -> None:
    fake.vendor.breaks = frozenset({check_id})
    result = run_one(fake, check_id)
    assert result.outcome is Outcome.FAILED
    check = get_check(check_id)
    for failure in result.failures:
        assert failure.check_id == check_id
        assert failure.severity is check.severity
        assert failure.expected
        assert failure.observed
        assert failure.spec_clause
        assert failure.curl.startswith("curl -i ")
    assert result.reason == result.failures[0].message


def test_vendor_rules_catches_a_delete_that_keeps_the_job(fake: FakeTarget) -> None:
    fake.vendor.breaks = frozenset({"deleted-gone"})
    result = run_one(fake, "vendor-rules")
    assert result.outcome is Outcome.FAILED
    assert {f.spec_clause for f in result.failures} == {"x-lifecycle.rules.deletedGone"}


def test_every_check_names_its_clause_and_ids_are_unique() -> None:
    assert len(set(CHECK_IDS)) == len(CHECKS) == 11
    assert all(c.clause and c.title for c in CHECKS)
    with pytest.raises(UnknownCheck, match="unknown check 'nope'"):
        get_check("nope")


def session_for(target: Target, client: HttpClient) -> Session:
    spec = yaml.safe_load(FAKE_SPEC.read_text(encoding="utf-8"))
    return Session(target, spec, Lifecycle.from_spec(spec, "fakeapi"), client, seed=3, walk_budget_s=0)


def test_without_provider_or_clock_nothing_is_passed_that_was_not_exercised(fake: FakeTarget) -> None:
    tenants = {
        "primary": {
            "credentials": {"apiKey": "key-primary-0001"},
            "fixtures": {"connectionId": "00000000-0000-4000-8000-000000000001"},
        },
    }
    target = fake.target(provider=False, clock=False, tenants=tenants)
    with HttpClient() as client:
        session = session_for(target, client)
        results = {c.id: run_check(c, session) for c in CHECKS}
    for check_id in ("ready-download", "artifact", "url-tamper", "url-expiry", "fresh-url", "tenant-isolation", "auth"):
        assert results[check_id].outcome is Outcome.NOT_COVERED, check_id
        assert results[check_id].reason
    gate = results["readiness-gate"]
    # QUEUED is reached by creating a job; the other states need provider states.
    assert gate.outcome is Outcome.PASSED
    assert gate.cases == 1
    assert gate.reason.startswith("partly covered:")
    assert "RUNNING" in gate.reason


def test_states_from_the_target_file_are_used(fake: FakeTarget) -> None:
    with httpx.Client() as http:
        ready = http.post(f"{fake.url}/_control/fakeapi/provider-states", json={"state": "READY"}).json()
    tenants = {"primary": {"credentials": {"apiKey": "key-primary-0001"}}}
    target = fake.target(provider=False, clock=False, tenants=tenants, states={"READY": ready["params"]})
    with HttpClient() as client:
        session = session_for(target, client)
        assert run_check(get_check("ready-download"), session).outcome is Outcome.PASSED
        isolation = run_check(get_check("tenant-isolation"), session)
    assert isolation.outcome is Outcome.NOT_COVERED
    assert "secondary" in isolation.reason


def test_a_check_that_crashes_is_an_error_not_a_failure(fake: FakeTarget) -> None:
    from contract_tests.checks.base import Check

    def broken(session: Session, probe: object) -> None:
        raise KeyError("bug")

    crashing = Check("crash", "a buggy check", get_check("auth").severity, "nowhere", broken)
    with HttpClient() as client:
        result = run_check(crashing, session_for(fake.target(), client))
    assert result.outcome is Outcome.ERROR
    assert "internal error in check crash: KeyError" in result.reason
