"""The Markdown report, for pull-request comments and CI job summaries (``$GITHUB_STEP_SUMMARY``).

Per-API score table, API x check matrix in plain symbols, every failure with its curl command in
a code block, and the reason of every check not covered. Text from the target is escaped, and
long values are cut so the summary stays under the size CI services accept.
"""

from __future__ import annotations

import re
from pathlib import Path

from contract_tests.results import CheckResult, FailureRecord, Outcome, Run
from tools.reports.common import (
    LEGEND,
    cell_label,
    check_columns,
    count,
    find_check,
    format_score,
    verdict,
    write_atomic,
)

FILENAME = "summary.md"
MAX_FAILURES = 50  # GitHub caps a step summary at 1 MiB; the HTML and JUnit reports keep them all
MAX_BLOCK = 4000
MAX_INLINE = 300

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def inline(text: str, limit: int = MAX_INLINE) -> str:
    """``text`` as one line of Markdown that renders literally (no links, HTML or table breaks)."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def code_span(text: str) -> str:
    """``text`` as inline code, fenced with more backticks than it contains."""
    flat = " ".join(text.split()).replace("|", "\\|")  # a bare | would end a table cell
    runs = [len(r) for r in re.findall(r"`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def code_block(text: str, language: str = "text") -> str:
    """``text`` as a fenced code block whose fence no line of ``text`` can close."""
    if len(text) > MAX_BLOCK:
        text = text[:MAX_BLOCK] + f"\n… ({len(text) - MAX_BLOCK} more characters in the HTML report)"
    runs = [len(r) for r in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _score_table(run: Run) -> list[str]:
    lines = [
        "| API | Base URL | Score | Passed | Failed | Not covered | Errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for api in run.apis:
        c = count(api)
        lines.append(
            f"| **{inline(api.api)}** | {inline(api.base_url) or '-'} | {format_score(api.score)} "
            f"| {c.passed} | {c.failed} | {c.not_covered} | {c.errors} |"
        )
    return lines


def _matrix(run: Run) -> list[str]:
    columns = check_columns(run)
    if not columns:
        return ["No check ran."]
    lines = [
        "| Check | Severity | " + " | ".join(inline(a.api) for a in run.apis) + " |",
        "|---|---|" + ":-:|" * len(run.apis),
    ]
    for col in columns:
        cells = []
        for api in run.apis:
            check = find_check(api, col.check_id)
            label = cell_label(check)
            cells.append(f"**{label}**" if check is not None and check.outcome is Outcome.FAILED else label)
        lines.append(
            f"| {code_span(col.check_id)} {inline(col.title)} | {col.severity.value} | " + " | ".join(cells) + " |"
        )
    return [*lines, "", f"Legend: {LEGEND}."]


def _failures(run: Run) -> list[str]:
    records: list[tuple[str, CheckResult, FailureRecord | None]] = [
        (api.api, check, failure)
        for api in run.apis
        for check in api.checks
        if check.outcome is Outcome.FAILED
        for failure in (list[FailureRecord | None](check.failures) or [None])
    ]
    if not records:
        return []
    lines = [f"## Failures ({len(records)})", ""]
    for api_name, check, failure in records[:MAX_FAILURES]:
        lines += [f"### {inline(api_name)}: {code_span(check.check_id)} ({check.severity.value})", ""]
        if failure is None:
            lines += [inline(check.reason or "failed without details"), ""]
            continue
        lines += [inline(failure.message, limit=1000), ""]
        if failure.operation or failure.spec_clause:
            where = ", ".join(inline(x) for x in (failure.operation, failure.spec_clause) if x)
            lines += [f"Where: {where}", ""]
        lines += ["Expected:", "", code_block(failure.expected), "", "Observed:", "", code_block(failure.observed), ""]
        if failure.curl:
            lines += ["Reproduce:", "", code_block(failure.curl, "bash"), ""]
    if len(records) > MAX_FAILURES:
        lines += [f"… and {len(records) - MAX_FAILURES} more failures: see the HTML or JUnit report.", ""]
    return lines


def _reasons(run: Run, outcome: Outcome, title: str) -> list[str]:
    items = [
        f"- **{inline(api.api)}** {code_span(check.check_id)}: {inline(check.reason or 'no reason given')}"
        for api in run.apis
        for check in api.checks
        if check.outcome is outcome
    ]
    if outcome is Outcome.ERROR:
        items += [
            f"- **{inline(api.api)}** (whole run): {inline(problem)}" for api in run.apis for problem in api.tool_errors
        ]
    return [f"## {title}", "", *items, ""] if items else []


def render(run: Run) -> str:
    """The run as GitHub-flavoured Markdown."""
    seed = "none" if run.seed is None else str(run.seed)
    lines = [
        "# exportkit conformance report",
        "",
        f"**Result:** {inline(verdict(run))}",
        "",
        " · ".join(
            x
            for x in (f"{inline(run.tool)} {inline(run.version)}".strip(), f"seed {seed}", f"{len(run.apis)} API(s)")
            if x
        ),
        "",
        "## Scores",
        "",
        "Score: the share of exercised checks that passed, weighted by severity "
        "(critical 8, high 4, medium 2, low 1); checks not covered do not count.",
        "",
        *_score_table(run),
        "",
        "## Checks",
        "",
        *_matrix(run),
        "",
        *_failures(run),
        *_reasons(run, Outcome.NOT_COVERED, "Not covered"),
        *_reasons(run, Outcome.ERROR, "Tool errors"),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def write(run: Run, path: Path) -> Path:
    """Write ``render(run)`` to ``path`` atomically; returns ``path``."""
    return write_atomic(path, render(run))
