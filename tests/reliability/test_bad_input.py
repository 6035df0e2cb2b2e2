"""Issue 5, point 1: bad input to the mock gets a clear error in the vendor's envelope, never a 5xx.

Schemathesis' negative mode (coverage phase, then fuzzing) sends at least
``budget.fuzz_cases_per_api`` requests to each API (2,000 under ``CI``), with the primary
tenant's credentials from the target description; every answer is judged by ``EnvelopeJudge``.
The self-tests below show the judge and the run catching a mock that breaks the rules.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.testing import running_mock
from reliability.budget import Budget
from reliability.envelope import EnvelopeJudge
from reliability.figures import render
from reliability.fuzz import FuzzReport, fuzz_api, fuzz_apis
from reliability.recipes import Target
from specs import API_NAMES, load_spec
from tests.reliability.conftest import Figures, require_vendor, served_apis


@pytest.fixture(scope="module")
def fuzz_reports(budget: Budget) -> Iterator[dict[str, FuzzReport]]:
    """One negative run per served API, in parallel worker processes, against one mock."""
    apis = served_apis()
    with running_mock(apis, seed=11, time_scale=budget.time_scale) as mock:
        yield fuzz_apis({api: mock.target_url(api) for api in apis}, cases=budget.fuzz_cases_per_api)


@pytest.mark.slow
@pytest.mark.parametrize("api", API_NAMES)
def test_negative_cases_get_only_enveloped_4xx(
    api: str, fuzz_reports: dict[str, FuzzReport], budget: Budget, figures: Figures
) -> None:
    require_vendor(api)
    report = fuzz_reports[api]
    figures.record("bad_input", {**report.figures(), "cases_required": budget.fuzz_cases_per_api}, key=api)
    print(render(f"bad_input.{api}", report.figures()))
    assert not report.engine_errors, report.engine_errors
    assert report.cases >= budget.fuzz_cases_per_api, (
        f"{api}: Schemathesis produced only {report.cases} negative cases in {report.rounds} rounds"
    )
    findings = "\n".join(str(f) for f in report.findings)
    assert report.server_errors == 0, f"{api}: {report.server_errors} answers were 5xx:\n{findings}"
    assert report.envelope_violations == 0, f"{api}: errors outside the vendor's envelope:\n{findings}"
    assert report.no_response == 0, f"{api}: {report.no_response} requests got no answer:\n{findings}"


# -- the judge and the run can fail ------------------------------------------------------------------
CURAEAI_STATUS = "/api/sdk/v1/records/exports/{exportId}"


@pytest.mark.parametrize(
    ("api", "status", "content_type", "body", "problem"),
    [
        ("curaeai", 404, "application/json", b'{"code":"NOT_FOUND","status":404}', "media type"),
        ("curaeai", 404, "application/problem+json", b'{"status":404,"title":"x"}', "no code at /code"),
        ("curaeai", 404, "application/problem+json", b'{"code":"NOT_FOUND","status":400}', "/status is 400"),
        ("curaeai", 404, "text/plain", b"404 Not Found", "not JSON"),
        ("curaeai", 500, "application/problem+json", b'{"code":"INTERNAL_ERROR","status":500}', "server error"),
        ("webadmit", 401, "application/json", b'{"message":"Unauthorized"}', "empty body"),
        ("hookbridge", 404, "application/json", b'{"error":{"message":"x"},"meta":{}}', "no code at /error/code"),
    ],
)
def test_the_judge_names_what_is_wrong(api: str, status: int, content_type: str, body: bytes, problem: str) -> None:
    path = {"curaeai": CURAEAI_STATUS, "webadmit": "/api/v1/exports", "hookbridge": "/v1/exports/{id}"}[api]
    problems = EnvelopeJudge(load_spec(api), api).problems("GET", path, status, content_type, body)
    assert any(problem in p for p in problems), problems


def test_the_judge_passes_the_documented_envelopes() -> None:
    curaeai = EnvelopeJudge(load_spec("curaeai"), "curaeai")
    body = (
        b'{"type":"https://curaeai.com/problems/not-found","title":"Not Found","status":404,'
        b'"detail":"Records export not found.","instance":"/x","code":"NOT_FOUND","retryable":false}'
    )
    assert curaeai.problems("GET", CURAEAI_STATUS, 404, "application/problem+json", body) == []
    webadmit = EnvelopeJudge(load_spec("webadmit"), "webadmit")
    assert webadmit.problems("GET", "/api/v1/exports", 401, None, b"") == []


@pytest.mark.slow
def test_the_run_catches_errors_outside_the_envelope() -> None:
    require_vendor("curaeai")
    with running_mock(["curaeai"]) as mock:
        mock.set_fault("curaeai", violation="error-envelope")  # errors become text/plain
        report = fuzz_api(load_spec("curaeai"), Target.from_dict(mock.target("curaeai")), cases=30, max_rounds=2)
    assert report.cases >= 30
    assert report.envelope_violations > 0
    assert report.findings[0].check == "envelope", report.findings[0]


@pytest.mark.slow
def test_a_worker_that_cannot_run_is_reported_not_hidden() -> None:
    reports = fuzz_apis({"curaeai": "http://127.0.0.1:9/_control/curaeai/target"}, cases=1)
    assert reports["curaeai"].cases == 0
    assert "without a report" in reports["curaeai"].engine_errors[0]
