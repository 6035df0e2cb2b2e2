"""``verify``: bad input raises a ToolError; a misbehaving target never makes it raise."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from contract_tests.checks import CHECK_IDS
from contract_tests.client import HttpClient
from contract_tests.errors import SpecUnusable, TargetUnreachable, UnknownApi, UnknownCheck
from contract_tests.fuzz import SCHEMATHESIS_CHECKS
from contract_tests.results import Outcome
from contract_tests.runner import select, verify
from contract_tests.target import Target
from tests.contract_tests.conftest import FAKE_SPEC, FakeTarget

JOB_ID = "11111111-1111-4111-8111-111111111111"


def test_check_selection() -> None:
    domain, fuzz = select(["error-envelope", "auth", "schemathesis:ignored_auth"])
    assert [c.id for c in domain] == ["auth", "error-envelope"]  # registry order, whatever the request order
    assert fuzz == ["ignored_auth"]
    assert select(["schemathesis"])[1] == list(SCHEMATHESIS_CHECKS)
    with pytest.raises(UnknownCheck):
        select(["schemathesis:nope"])


def test_unusable_input_raises_tool_errors(tmp_path: Path) -> None:
    no_lifecycle = tmp_path / "spec.yaml"
    no_lifecycle.write_text("openapi: 3.0.3\npaths: {}\n", encoding="utf-8")
    with pytest.raises(UnknownApi):
        verify(Target(api="nope", base_url="http://127.0.0.1:9"))
    with pytest.raises(TargetUnreachable, match=r"target unreachable at http://127\.0\.0\.1:9"):
        verify(Target(api="fakeapi", base_url="http://127.0.0.1:9", spec=str(FAKE_SPEC)))
    with pytest.raises(SpecUnusable, match="x-lifecycle"):
        verify(Target(api="fakeapi", base_url="http://127.0.0.1:9", spec=str(no_lifecycle)))
    with pytest.raises(SpecUnusable, match="ParserError"):
        verify(Target(api="fakeapi", base_url="http://127.0.0.1:9", spec=__file__))
    with pytest.raises(UnknownCheck, match="unknown check 'typo'"):
        verify(Target(api="fakeapi", base_url="http://127.0.0.1:9", spec=str(FAKE_SPEC)), checks=["typo"])


def chaos(request: httpx.Request) -> httpx.Response:
    """A target that resets, times out, loops, answers HTML and sends huge bodies."""
    path = request.url.path
    if path.endswith("/provider-states"):
        body = {"id": JOB_ID, "params": {"exportId": JOB_ID}, "credentials": {"apiKey": "k"}, "fixtures": {}}
        return httpx.Response(200, json=body)
    if path.endswith("/advance"):
        return httpx.Response(200, json={})
    if request.method == "POST":
        raise httpx.ReadError("connection reset by peer", request=request)
    if request.method == "DELETE":
        raise httpx.ReadTimeout("timed out", request=request)
    if path.endswith("/download"):
        return httpx.Response(302, headers={"Location": str(request.url)})
    if path.startswith("/fakeapi/exports/"):
        return httpx.Response(200, content=b'{"export": "' + b"x" * (9 * 1024 * 1024))
    return httpx.Response(200, html="<html><body>Welcome to nginx</body></html>")


def test_a_misbehaving_target_is_reported_not_raised() -> None:
    target = Target.from_dict(
        {
            "api": "fakeapi",
            "base_url": "http://chaos.test/fakeapi",
            "spec": str(FAKE_SPEC),
            "provider_states_url": "http://chaos.test/_control/fakeapi/provider-states",
            "clock_url": "http://chaos.test/_control/clock",
        }
    )
    client = HttpClient(transport=httpx.MockTransport(chaos))
    run = verify(target, checks=list(CHECK_IDS), client=client, sleep=lambda _: None)
    outcomes = {c.check_id: c.outcome for c in run.checks}
    assert set(outcomes) == set(CHECK_IDS)
    assert Outcome.PASSED not in outcomes.values(), outcomes
    assert outcomes["readiness-gate"] is Outcome.FAILED
    assert outcomes["ready-download"] is Outcome.FAILED
    assert outcomes["auth"] is Outcome.FAILED
    assert outcomes["lifecycle"] is Outcome.FAILED
    assert not run.tool_errors
    json.dumps([c.reason for c in run.checks])  # plain data all the way down


def test_schemathesis_checks_are_recorded_each(fake: FakeTarget) -> None:
    run = verify(fake.target(), checks=["schemathesis"], max_examples=2, seed=1)
    results = {c.check_id: c for c in run.checks}
    assert set(results) == {f"schemathesis:{name}" for name in SCHEMATHESIS_CHECKS}
    assert not run.tool_errors
    assert all(c.outcome in (Outcome.PASSED, Outcome.NOT_COVERED) for c in results.values()), [
        (c.check_id, c.reason) for c in results.values() if c.outcome not in (Outcome.PASSED, Outcome.NOT_COVERED)
    ]
    assert results["schemathesis:not_a_server_error"].outcome is Outcome.PASSED
    assert results["schemathesis:not_a_server_error"].cases > 0


def test_schemathesis_failures_carry_its_curl(fake: FakeTarget) -> None:
    fake.vendor.breaks = frozenset({"server-error"})
    run = verify(fake.target(), checks=["schemathesis:not_a_server_error"], max_examples=2, seed=1, phases=["coverage"])
    (result,) = run.checks
    assert result.outcome is Outcome.FAILED
    failure = result.failures[0]
    assert failure.check_id == "schemathesis:not_a_server_error"
    assert failure.curl.startswith("curl ")
    assert "/fakeapi/exports/" in failure.curl
    assert failure.operation
