"""Runs built by hand, for testing the report writers and the command line without a server."""

from __future__ import annotations

from contract_tests.results import ApiRun, CheckResult, FailureRecord, Outcome, Run, Severity

HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>|`]]>&amp;\x00\x1b"
CHECKS: tuple[tuple[str, str, Severity], ...] = (
    ("readiness-gate", "Download refused until ready", Severity.CRITICAL),
    ("ready-download", "Ready download answers a signed URL", Severity.HIGH),
    ("url-expiry", "Expired URL refused", Severity.CRITICAL),
    ("tenant-isolation", "Another tenant sees nothing", Severity.CRITICAL),
    ("error-envelope", "Errors keep the vendor envelope", Severity.MEDIUM),
)


def check(
    api: str,
    check_id: str,
    outcome: Outcome,
    *,
    reason: str = "",
    failures: list[FailureRecord] | None = None,
) -> CheckResult:
    """One check result with the title and severity of ``CHECKS``."""
    title, severity = next((t, s) for c, t, s in CHECKS if c == check_id)
    return CheckResult(
        api=api,
        check_id=check_id,
        title=title,
        severity=severity,
        spec_clause=f"x-lifecycle {check_id}",
        outcome=outcome,
        reason=reason,
        failures=failures or [],
        cases=3,
        duration_s=0.25,
    )


def failure(check_id: str, severity: Severity, text: str = "the URL was still accepted") -> FailureRecord:
    """One contract failure with a curl command."""
    return FailureRecord(
        check_id=check_id,
        severity=severity,
        message=text,
        expected="403 from the object store",
        observed="200 with 1234 bytes",
        curl="curl -sS -i 'http://127.0.0.1:8080/_storage/x?X-Amz-Signature=abc'",
        operation="GET /_storage/{key}",
        spec_clause="download.lifetime",
    )


def api_run(name: str, outcomes: dict[str, Outcome], *, hostile: bool = False) -> ApiRun:
    """An ``ApiRun`` of a curaeai-like lifecycle with the given outcome per check id."""
    checks = []
    for check_id, outcome in outcomes.items():
        severity = next(s for c, _, s in CHECKS if c == check_id)
        text = HOSTILE if hostile else "the URL was still accepted"
        fails = [failure(check_id, severity, text)] if outcome is Outcome.FAILED else []
        reason = {
            Outcome.NOT_COVERED: "no second tenant in the target file",
            Outcome.ERROR: "connection reset while downloading",
            Outcome.FAILED: text,
        }.get(outcome, "")
        checks.append(check(name, check_id, outcome, reason=reason, failures=fails))
    return ApiRun(
        api=name,
        base_url=f"http://127.0.0.1:8080/{name}",
        states=["QUEUED", "RUNNING", "READY", "FAILED", "EXPIRED"],
        transitions={"QUEUED": ["RUNNING", "FAILED"], "RUNNING": ["READY", "FAILED"], "READY": ["EXPIRED"]},
        observed_transitions=[("QUEUED", "RUNNING"), ("RUNNING", "READY"), ("READY", "QUEUED")],
        checks=checks,
        started_at="2026-01-02T03:04:05Z",
        duration_s=1.5,
    )


def mixed_run() -> Run:
    """Two APIs: one conformant with a check not covered, one with a failure and a tool error in a check."""
    good = api_run(
        "curaeai",
        {
            "readiness-gate": Outcome.PASSED,
            "ready-download": Outcome.PASSED,
            "url-expiry": Outcome.PASSED,
            "tenant-isolation": Outcome.NOT_COVERED,
        },
    )
    bad = api_run(
        "hookbridge",
        {
            "readiness-gate": Outcome.PASSED,
            "ready-download": Outcome.PASSED,
            "url-expiry": Outcome.FAILED,
            "tenant-isolation": Outcome.PASSED,
            "error-envelope": Outcome.ERROR,
        },
    )
    return Run(apis=[good, bad], version="0.1.0", seed=7)


def hostile_run() -> Run:
    """A run whose target sent markup, quotes, backticks and control characters everywhere it could."""
    run = Run(
        apis=[api_run("curaeai", {"url-expiry": Outcome.FAILED, "error-envelope": Outcome.PASSED}, hostile=True)],
        version="0.1.0",
        seed=1,
    )
    api = run.apis[0]
    api.base_url = HOSTILE
    api.observed_transitions.append((HOSTILE, "READY"))
    api.tool_errors.append(HOSTILE)
    return run
