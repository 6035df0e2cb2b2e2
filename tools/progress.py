"""Progress of a conformance run on the terminal: a live line per check, or plain lines in CI.

On an interactive terminal (and not under ``CI=true``) one status line is rewritten in place as
checks pass, and only what did not pass stays on screen; elsewhere each finished check is one
plain line, so logs stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TextIO

from contract_tests.results import ApiRun, CheckResult, Outcome
from tools.reports.common import OUTCOME_LABELS, count, format_score, one_line

CLEAR_LINE = "\r\x1b[K"
LIVE_WIDTH = 100


def wants_live(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """True for an interactive terminal outside CI (``CI`` unset, or not ``true``/``1``)."""
    in_ci = environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not in_ci and environ.get("TERM") != "dumb"


_RUNNER_LINE = re.compile(
    r"^(?P<api>[^:]*): (?P<check>.+?): (?P<outcome>passed|failed|not_covered|error)(?: \((?P<reason>.*)\))?$", re.S
)


def _parse_line(text: str) -> tuple[Outcome | None, str]:
    """The outcome and a formatted line from the runner's progress line (as is if it differs)."""
    match = _RUNNER_LINE.match(text.strip())
    if match is None:
        return None, f"  {one_line(text)}"
    outcome = Outcome(match["outcome"])
    reason = f"  {one_line(match['reason'])}" if match["reason"] else ""
    return outcome, f"  {OUTCOME_LABELS[outcome]:<5} {one_line(match['check'])}{reason}"


def check_line(check: CheckResult) -> str:
    """One finished check: outcome, id, severity, cases, time and the reason if any."""
    label = OUTCOME_LABELS[check.outcome]
    reason = f"  {one_line(check.reason)}" if check.reason else ""
    return (
        f"  {label:<5} {check.check_id:<18} {check.severity.value:<8} "
        f"{check.cases:>3} cases {check.duration_s:5.1f}s{reason}"
    )


class ProgressPrinter:
    """The ``progress`` callback handed to ``contract_tests.runner.verify``, and API headers.

    The runner calls it once per finished check with a line ``"{api}: {check}: {outcome}
    ({reason})"``; a ``CheckResult`` is accepted too. Live, a passed check only rewrites the
    status line while anything else stays on screen; plain, every check is a line.
    """

    def __init__(self, stream: TextIO, *, live: bool) -> None:
        self.stream = stream
        self.live = live
        self.api = ""
        self.done = 0
        self._pending = False  # a live line is on screen without its newline

    def api_started(self, api: str, base_url: str = "") -> None:
        """Print the header of one API's run."""
        self._end_live()
        where = f" at {one_line(base_url)}" if base_url else ""
        self.stream.write(f"{one_line(api)}: verifying{where}\n")
        self.stream.flush()
        self.api = api
        self.done = 0

    def __call__(self, event: object) -> None:
        outcome: Outcome | None
        if isinstance(event, CheckResult):
            outcome, line = event.outcome, check_line(event)
        else:
            outcome, line = _parse_line(str(event))
        self.done += 1
        if self.live and outcome is Outcome.PASSED:
            status = f"  [{self.done}] {one_line(line)}"[:LIVE_WIDTH]
            self.stream.write(CLEAR_LINE + status)
            self._pending = True
        else:
            self._end_live()
            self.stream.write(line + "\n")
        self.stream.flush()

    def api_finished(self, api_run: ApiRun) -> None:
        """Print one line closing the API's run: score and counts."""
        self._end_live()
        c = count(api_run)
        self.stream.write(
            f"{one_line(api_run.api)}: score {format_score(api_run.score)}, {c.passed} passed, {c.failed} failed, "
            f"{c.not_covered} not covered, {c.errors} errors\n"
        )
        self.stream.flush()

    def _end_live(self) -> None:
        if self._pending:
            self.stream.write(CLEAR_LINE)
            self._pending = False
