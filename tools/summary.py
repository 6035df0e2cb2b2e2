"""The one-screen summary printed after a run: a line per API, the worst failures, the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from contract_tests.results import Outcome, Run
from tools.reports.common import count, format_score, one_line, verdict

MAX_FAILURE_LINES = 10


def render_summary(run: Run, report_paths: Sequence[Path] = ()) -> str:
    """The summary as text: per API score and counts, up to ten failures, reports, verdict."""
    names = [one_line(a.api)[:40] for a in run.apis]
    width = max([len("API"), *(len(n) for n in names)])
    lines = [
        "",
        "Conformance summary",
        f"{'API':<{width}}  {'score':>7}  {'passed':>6}  {'failed':>6}  {'not covered':>11}  {'errors':>6}",
    ]
    for name, api in zip(names, run.apis, strict=True):
        c = count(api)
        lines.append(
            f"{name:<{width}}  {format_score(api.score):>7}  {c.passed:>6}  {c.failed:>6}  "
            f"{c.not_covered:>11}  {c.errors:>6}"
        )
    failures = [
        f"  {one_line(api.api)} {one_line(check.check_id)} ({check.severity.value}): "
        + one_line(check.reason or (check.failures[0].message if check.failures else "failed"))[:160]
        for api in run.apis
        for check in api.checks
        if check.outcome is Outcome.FAILED
    ]
    failures += [
        f"  {one_line(api.api)} (tool error): {one_line(p)[:160]}" for api in run.apis for p in api.tool_errors
    ]
    if failures:
        lines += ["", "Failures and errors:", *failures[:MAX_FAILURE_LINES]]
        if len(failures) > MAX_FAILURE_LINES:
            lines.append(f"  ... and {len(failures) - MAX_FAILURE_LINES} more: see the reports")
    if report_paths:
        lines += ["", "Reports:", *(f"  {p}" for p in report_paths)]
    lines += ["", f"Result: {verdict(run)}"]
    return "\n".join(lines) + "\n"
