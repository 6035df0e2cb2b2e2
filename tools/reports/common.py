"""What every report writer shares: outcome labels, counts, the check matrix, safe writing."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from contract_tests.results import ApiRun, CheckResult, Outcome, Run, Severity

# Plain words, no emoji: they read the same in a terminal, a CI log and a screen reader.
OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.PASSED: "PASS",
    Outcome.FAILED: "FAIL",
    Outcome.NOT_COVERED: "N/C",
    Outcome.ERROR: "ERROR",
}
NOT_RUN_LABEL = "-"
LEGEND = "PASS passed, FAIL failed, N/C not covered (reason listed), ERROR the tool could not finish, - not run"

# XML 1.0 forbids most control characters, even escaped; a hostile target may send them.
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True)
class CheckColumn:
    """One check as a row of the API x check matrix."""

    check_id: str
    title: str
    severity: Severity


@dataclass(frozen=True)
class ApiCounts:
    """How one API's checks ended."""

    passed: int
    failed: int
    not_covered: int
    errors: int

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.not_covered + self.errors


def count(api: ApiRun) -> ApiCounts:
    """Counts of each outcome; a tool error that stopped the API's run counts as an error."""
    outcomes = [c.outcome for c in api.checks]
    return ApiCounts(
        passed=outcomes.count(Outcome.PASSED),
        failed=outcomes.count(Outcome.FAILED),
        not_covered=outcomes.count(Outcome.NOT_COVERED),
        errors=outcomes.count(Outcome.ERROR) + len(api.tool_errors),
    )


def check_columns(run: Run) -> list[CheckColumn]:
    """Every check of the run, in the order it first appears (the checker's order)."""
    seen: dict[str, CheckColumn] = {}
    for api in run.apis:
        for check in api.checks:
            seen.setdefault(check.check_id, CheckColumn(check.check_id, check.title, check.severity))
    return list(seen.values())


def find_check(api: ApiRun, check_id: str) -> CheckResult | None:
    """The result of ``check_id`` for this API, or None when it did not run."""
    return next((c for c in api.checks if c.check_id == check_id), None)


def cell_label(check: CheckResult | None) -> str:
    """The matrix symbol of one check's outcome."""
    return NOT_RUN_LABEL if check is None else OUTCOME_LABELS[check.outcome]


def format_score(score: float | None) -> str:
    """``87.5%``, or ``n/a`` when no check could be exercised."""
    return "n/a" if score is None else f"{score:.1f}%"


def verdict(run: Run) -> str:
    """One sentence saying what the exit status will mean."""
    code = run.exit_code
    if code == 2:
        return "tool errors stopped part of the run (exit 2)"
    failing = [a.api for a in run.apis if a.failed]
    if code == 1:
        return f"contract failures in {', '.join(failing)} (exit 1)"
    if not run.apis:
        return "nothing was verified (exit 0)"
    return "conformant: no contract failures (exit 0)"


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry at all."""
    return _XML_INVALID.sub("\ufffd", text)


def one_line(text: str) -> str:
    """``text`` on one line, without control characters: a target cannot move the cursor or recolour."""
    return " ".join(_TERMINAL_CONTROLS.sub(" ", text).split())


def slug(*parts: str) -> str:
    """A fragment identifier made of ``parts``, safe in ``id`` and ``href`` attributes."""
    return "-".join(_SLUG_UNSAFE.sub("_", p) for p in parts) or "x"


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` so a crash never leaves half a report (or destroys the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)  # mkstemp makes it private; a report is meant to be read
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
