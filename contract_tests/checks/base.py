"""What a domain check is, and how one run of it becomes a ``CheckResult``.

A check is a function of a ``Session`` and a ``Probe``: it calls the target, counts what it
exercised (``probe.case()``) and records each break (``probe.fail(...)``). It raises
``NotCovered`` when it cannot get what it needs, or ``Failure`` to stop at a break it cannot get
past. It never passes what it did not exercise: no case counted means not covered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contract_tests.checks.answers import unusable_answers
from contract_tests.client import Exchange
from contract_tests.errors import Failure, NotCovered, ToolError
from contract_tests.results import CheckResult, FailureRecord, Outcome, Severity
from contract_tests.session import Session

MAX_FAILURES_PER_CHECK = 20  # beyond this a report only gets longer, not clearer


class Probe:
    """Collects the cases a check exercised and the failures it found."""

    def __init__(self, check: Check, api: str) -> None:
        self.check = check
        self.api = api
        self.cases = 0
        self.failures: list[FailureRecord] = []
        self.notes: list[str] = []  # what was not exercised although the check ran (partial coverage)

    def case(self, count: int = 1) -> None:
        self.cases += count

    def record(
        self,
        message: str,
        *,
        expected: str,
        observed: str,
        exchange: Exchange | None = None,
        curl: str | None = None,
        clause: str | None = None,
    ) -> FailureRecord:
        """Build the failure record (with the curl of ``exchange``) without keeping it."""
        return FailureRecord(
            check_id=self.check.id,
            severity=self.check.severity,
            message=message,
            expected=expected,
            observed=observed,
            curl=curl if curl is not None else (exchange.curl if exchange is not None else ""),
            operation=(exchange.operation or "") if exchange is not None else "",
            spec_clause=clause or self.check.clause,
        )

    def fail(
        self,
        message: str,
        *,
        expected: str,
        observed: str,
        exchange: Exchange | None = None,
        curl: str | None = None,
        clause: str | None = None,
    ) -> None:
        """Record a break and carry on checking."""
        if len(self.failures) < MAX_FAILURES_PER_CHECK:
            self.failures.append(
                self.record(message, expected=expected, observed=observed, exchange=exchange, curl=curl, clause=clause)
            )

    def stop(
        self,
        message: str,
        *,
        expected: str,
        observed: str,
        exchange: Exchange | None = None,
        clause: str | None = None,
    ) -> Failure:
        """A ``Failure`` to raise when the check cannot go on past this break."""
        return Failure(self.record(message, expected=expected, observed=observed, exchange=exchange, clause=clause))


def judge_answers(session: Session, probe: Probe, exchanges: Sequence[Exchange]) -> None:
    """Fail the check for each answer among ``exchanges`` that was no usable answer at all.

    However a check ends (even not covered for want of a job), a target that resets, hangs,
    floods or loops is what the run found, not a gap: it is the target's fault.
    """
    cited = {f.curl for f in probe.failures}
    for found in unusable_answers(session, [e for e in exchanges if e.curl not in cited]):
        probe.fail(
            f"{found.label} gave no usable answer: {found.problem}",
            expected="an HTTP answer within the timeout, with a body under the size cap in its declared media type",
            observed=found.exchange.describe(),
            exchange=found.exchange,
            clause=found.clause,
        )


@dataclass(frozen=True)
class Check:
    """A domain check: stable id, title, severity, the spec clause it enforces, and its function."""

    id: str
    title: str
    severity: Severity
    clause: str
    run: Callable[[Session, Probe], None]


def run_check(check: Check, session: Session) -> CheckResult:
    """Run ``check`` once; target misbehaviour becomes failures, tool trouble an ``error`` outcome."""
    probe = Probe(check, session.target.api)
    started = time.monotonic()
    result = CheckResult(
        api=session.target.api,
        check_id=check.id,
        title=check.title,
        severity=check.severity,
        spec_clause=check.clause,
        outcome=Outcome.PASSED,
    )
    first = len(session.client.exchanges)
    try:
        check.run(session, probe)
    except Failure as failure:
        probe.failures.append(failure.record)
    except NotCovered as gap:
        if not probe.failures:
            result.outcome = Outcome.NOT_COVERED
            result.reason = gap.reason
        else:
            probe.notes.append(gap.reason)
    except ToolError as exc:
        result.outcome = Outcome.ERROR
        result.reason = str(exc)
    except Exception as exc:  # a bug of ours must not look like the target's fault, nor stop the run
        result.outcome = Outcome.ERROR
        result.reason = f"internal error in check {check.id}: {type(exc).__name__}: {exc}"
    judge_answers(session, probe, session.client.exchanges[first:])
    result.failures = probe.failures
    result.cases = probe.cases
    result.duration_s = round(time.monotonic() - started, 3)
    if probe.failures:
        result.outcome = Outcome.FAILED
        result.reason = probe.failures[0].message
    elif result.outcome is Outcome.PASSED and probe.cases == 0:
        result.outcome = Outcome.NOT_COVERED
        result.reason = "; ".join(probe.notes) or "the check exercised nothing on this target"
    elif result.outcome is Outcome.PASSED and probe.notes:
        result.reason = "partly covered: " + "; ".join(probe.notes)
    return result


__all__ = ["MAX_FAILURES_PER_CHECK", "Check", "Probe", "judge_answers", "run_check"]
