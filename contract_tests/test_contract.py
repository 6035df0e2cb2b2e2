"""Each check of a conformance run as one test (see ``conftest.py`` for the options)."""

from __future__ import annotations

import pytest

from contract_tests.checks import CHECK_IDS
from contract_tests.errors import Failure
from contract_tests.fuzz import SCHEMATHESIS_CHECKS
from contract_tests.results import ApiRun, Outcome

ALL_CHECK_IDS = (*CHECK_IDS, *(f"schemathesis:{name}" for name in SCHEMATHESIS_CHECKS))


@pytest.mark.parametrize("check_id", ALL_CHECK_IDS)
def test_check(contract_run: ApiRun, check_id: str) -> None:
    """Passes only if the check ran and held; skipped with the reason if it could not be exercised."""
    found = [c for c in contract_run.checks if c.check_id == check_id]
    if not found:
        pytest.skip(f"{check_id} was not selected for this run")
    result = found[0]
    if result.outcome is Outcome.NOT_COVERED:
        pytest.skip(f"not covered: {result.reason}")
    if result.outcome is Outcome.ERROR:
        pytest.fail(f"tool error in {check_id}: {result.reason}", pytrace=False)
    if result.outcome is Outcome.FAILED:
        failure = Failure(result.failures[0])
        for extra in result.failures[1:]:
            failure.add_note(str(Failure(extra)))
        raise failure
    assert result.outcome is Outcome.PASSED
    assert result.cases > 0, f"{check_id} passed without exercising anything"
