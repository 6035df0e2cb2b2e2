"""The checker against the real mock: clean, everything holds; each injected violation is caught.

Each test starts its own mock (``mockserver.testing.running_mock``) for one API and stops it.
A violation must fail its own check and no unrelated one. Related checks are few and named
below with the reason; a violation the mock cannot show through what the spec declares (a
checksum the spec does not publish, say) is only required not to fail unrelated checks.
"""

from __future__ import annotations

import pytest

from contract_tests.checks import CHECK_IDS
from contract_tests.results import Outcome
from contract_tests.runner import load_api_spec, verify
from contract_tests.target import Target
from mockserver.app import available_apis
from mockserver.testing import running_mock
from specs import Lifecycle

pytestmark = pytest.mark.slow

# Checks that legitimately fail with another check's violation, and why.
RELATED: dict[str, set[str]] = {
    # They read the documented error body (code, media type) of a refusal.
    "error-envelope": {"auth", "readiness-gate", "vendor-rules"},
    # A download refusal is both the gate's rule and the vendor's (expired, non-export).
    "readiness-gate": {"vendor-rules"},
    "vendor-rules": {"readiness-gate"},
    # Dedupe returns the *running* job; a state that moves backwards makes "running" flicker.
    "lifecycle": {"vendor-rules"},
}


def observable(violation: str, lc: Lifecycle) -> bool:
    """Whether the spec declares what the mock's violation changes (else nobody can see it)."""
    dl = lc.download
    if violation == "artifact":  # the mock changes the bytes, the file name and the media type
        return bool(lc.artifact.sha256_pointer or lc.artifact.byte_size_pointer or dl.filename or dl.content_type)
    if violation == "fresh-url":
        return dl.fresh_each_call
    if violation == "lifecycle":
        return lc.state_pointer is not None  # a state nobody can read cannot be seen moving back
    if violation == "vendor-rules":
        return bool(lc.rules)  # only declared rules can be checked
    return True


@pytest.mark.parametrize("api", available_apis())
def test_clean_mock_holds_and_each_violation_is_caught(api: str) -> None:
    problems: list[str] = []
    with running_mock([api]) as mock:
        target = Target.from_url(mock.target_url(api))
        _, lifecycle = load_api_spec(target)
        clean = verify(target, seed=11, max_examples=3)
        assert not clean.tool_errors, clean.tool_errors
        for result in clean.checks:
            if result.outcome is Outcome.NOT_COVERED:
                assert result.reason, f"{result.check_id} not covered without a reason"
            elif result.outcome is not Outcome.PASSED:
                detail = result.failures[0].observed[:300] if result.failures else ""
                problems.append(f"clean: {result.check_id} {result.outcome.value}: {result.reason} {detail}")
        for violation in CHECK_IDS:
            mock.reset()
            mock.set_fault(api, violation=violation)
            run = verify(target, seed=11, checks=list(CHECK_IDS))
            failed = {c.check_id for c in run.checks if c.outcome is Outcome.FAILED}
            if violation not in failed and observable(violation, lifecycle):
                problems.append(f"{violation}: not caught")
            unrelated = failed - {violation} - RELATED.get(violation, set())
            if unrelated:
                problems.append(f"{violation}: unrelated checks failed too: {sorted(unrelated)}")
        mock.clear_faults(api)
    assert not problems, "\n".join(problems)
