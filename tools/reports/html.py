"""The HTML report: one self-contained page, no external asset and no network.

API x check matrix, a severity-weighted conformance score per API, an SVG drawing of each
lifecycle with the observed transitions marked, and every failing case with its curl command
and a copy button. Everything from the target is escaped, and a Content-Security-Policy with
the hashes of the page's own style and script blocks forbids anything else from running or loading.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from importlib import resources
from pathlib import Path

from contract_tests.results import ApiRun, CheckResult, Outcome, Run, Severity
from tools.reports.common import (
    LEGEND,
    OUTCOME_LABELS,
    cell_label,
    check_columns,
    count,
    find_check,
    format_score,
    slug,
    verdict,
    write_atomic,
    xml_safe,
)
from tools.reports.lifecycle_svg import render_lifecycle

FILENAME = "report.html"


def _asset(name: str) -> str:
    return resources.files("tools.reports").joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _e(text: object) -> str:
    return escape(xml_safe(str(text)), quote=True)


def failure_anchor(api_index: int, api: ApiRun, check_index: int, check: CheckResult, n: int = 0) -> str:
    """The ``id`` of the ``n``-th failure of a check (the matrix cell links to the first)."""
    return slug("fail", api.api, check.check_id) + f"-{api_index}-{check_index}-{n}"


def _weighted(api: ApiRun) -> str:
    exercised = [c for c in api.checks if c.outcome in (Outcome.PASSED, Outcome.FAILED)]
    total = sum(c.severity.weight for c in exercised)
    passed = sum(c.severity.weight for c in exercised if c.outcome is Outcome.PASSED)
    return f"{passed} of {total} weighted points" if total else "no check exercised"


def _scores(run: Run) -> str:
    rows = []
    for api in run.apis:
        c = count(api)
        score = api.score
        meter = (
            f'<meter min="0" max="100" low="60" high="90" optimum="100" value="{score}">'
            f"{_e(format_score(score))}</meter>"
            if score is not None
            else ""
        )
        rows.append(
            f'<tr><th scope="row">{_e(api.api)}</th><td>{meter}<strong>{_e(format_score(score))}</strong> '
            f'<span class="hint">({_e(_weighted(api))})</span></td><td class="num">{c.passed}</td>'
            f'<td class="num">{c.failed}</td><td class="num">{c.not_covered}</td><td class="num">{c.errors}</td>'
            f"<td><code>{_e(api.base_url)}</code></td></tr>"
        )
    weights = ", ".join(f"{s.value} {s.weight}" for s in Severity)
    return (
        '<table class="scores"><thead><tr><th>API</th><th>Conformance score</th><th>Passed</th><th>Failed</th>'
        "<th>Not covered</th><th>Errors</th><th>Base URL</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + '<p class="hint">The score is the share of exercised checks that passed, '
        + f"weighted by severity ({_e(weights)}). "
        "Checks not covered or not finished do not count either way.</p>"
    )


def _matrix(run: Run) -> str:
    columns = check_columns(run)
    if not columns:
        return '<p id="check-matrix">No check ran.</p>'
    head = "".join(f'<th scope="col">{_e(a.api)}</th>' for a in run.apis)
    rows = []
    for col in columns:
        cells = []
        for ai, api in enumerate(run.apis):
            check = find_check(api, col.check_id)
            label = _e(cell_label(check))
            if check is None:
                cells.append(f'<td class="outcome not-run" title="not run">{label}</td>')
                continue
            tip = _e(check.reason or check.outcome.value.replace("_", " "))
            if check.outcome is Outcome.FAILED:
                ci = api.checks.index(check)
                label = f'<a href="#{failure_anchor(ai, api, ci, check)}">{label}</a>'
            cells.append(f'<td class="outcome {check.outcome.value}" title="{tip}">{label}</td>')
        rows.append(
            f'<tr><th scope="row"><code>{_e(col.check_id)}</code><br>{_e(col.title)}</th>'
            f'<td class="sev sev-{_e(col.severity.value)}">{_e(col.severity.value)}</td>{"".join(cells)}</tr>'
        )
    return (
        '<table class="matrix" id="check-matrix"><thead><tr><th scope="col">Check</th><th scope="col">Severity</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p class="hint">Legend: {_e(LEGEND)}. A FAIL links to its details.</p>'
    )


def _lifecycles(run: Run) -> str:
    figures = []
    for ai, api in enumerate(run.apis):
        svg = render_lifecycle(
            api.states,
            api.transitions,
            api.observed_transitions,
            prefix=f"lc{ai}",
            title=f"{api.api} lifecycle: allowed and observed transitions",
        )
        seen = ", ".join(f"{a} → {b}" for a, b in dict.fromkeys(api.observed_transitions) if a != b) or "none"
        figures.append(
            f'<figure id="{slug("lifecycle", api.api)}-{ai}"><h3>{_e(api.api)}</h3>{svg}'
            f"<figcaption>Observed transitions: {_e(seen)}</figcaption></figure>"
        )
    return "".join(figures) or "<p>No API in this run.</p>"


def _failure(anchor: str, api: ApiRun, check: CheckResult, index: int) -> str:
    heading = (
        f"<h3>{_e(api.api)} · <code>{_e(check.check_id)}</code> {_e(check.title)} "
        f'<span class="sev sev-{_e(check.severity.value)}">{_e(check.severity.value)}</span></h3>'
    )
    if not check.failures:
        return f'<article class="failure" id="{anchor}">{heading}<p>{_e(check.reason or "failed")}</p></article>'
    f = check.failures[index]
    where = " · ".join(_e(x) for x in (f.operation, f.spec_clause or check.spec_clause) if x)
    curl = f'<dt>Reproduce</dt><dd><div class="curl"><pre><code>{_e(f.curl)}</code></pre></div></dd>' if f.curl else ""
    return (
        f'<article class="failure" id="{anchor}">{heading}<p>{_e(f.message)}</p>'
        + (f'<p class="hint">{where}</p>' if where else "")
        + f"<dl><dt>Expected</dt><dd><pre>{_e(f.expected)}</pre></dd>"
        f"<dt>Observed</dt><dd><pre>{_e(f.observed)}</pre></dd>{curl}</dl></article>"
    )


def _failures(run: Run) -> str:
    articles = []
    for ai, api in enumerate(run.apis):
        for ci, check in enumerate(api.checks):
            if check.outcome is Outcome.FAILED:
                for n in range(max(1, len(check.failures))):
                    articles.append(_failure(failure_anchor(ai, api, ci, check, n), api, check, n))
    if not articles:
        return '<h2 id="failures">Failures</h2><p>No contract failure.</p>'
    return f'<h2 id="failures">Failures ({len(articles)})</h2>' + "".join(articles)


def _reasons(run: Run, outcome: Outcome, title: str, anchor: str) -> str:
    items = [
        f"<li><strong>{_e(api.api)}</strong> <code>{_e(c.check_id)}</code>: {_e(c.reason or 'no reason given')}</li>"
        for api in run.apis
        for c in api.checks
        if c.outcome is outcome
    ]
    if outcome is Outcome.ERROR:
        items += [
            f"<li><strong>{_e(a.api)}</strong> (whole run): {_e(p)}</li>" for a in run.apis for p in a.tool_errors
        ]
    if not items:
        return ""
    return f'<h2 id="{anchor}">{_e(title)} ({len(items)})</h2><ul class="reasons">{"".join(items)}</ul>'


def render(run: Run) -> str:
    """The run as one self-contained HTML page."""
    css, js = _asset("report.css"), _asset("report.js")
    csp = (
        f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    seed = "none" if run.seed is None else str(run.seed)
    meta = f"{run.tool} {run.version}".strip() + f" · seed {seed} · {len(run.apis)} API(s)"
    outcome_words = ", ".join(f"{label} = {o.value.replace('_', ' ')}" for o, label in OUTCOME_LABELS.items())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        "<title>exportkit conformance report</title>"
        f"<style>{css}</style></head><body>"
        f'<header><h1>exportkit conformance report</h1><p class="verdict exit-{run.exit_code}">{_e(verdict(run))}</p>'
        f'<p class="meta">{_e(meta)}</p></header>'
        f'<main><h2 id="scores">Conformance score per API</h2>{_scores(run)}'
        f'<h2 id="matrix">API &times; check matrix</h2>{_matrix(run)}'
        f'<h2 id="lifecycles">Lifecycles</h2><p class="hint">States as nodes, the spec\'s allowed transitions as '
        "edges; what this run observed is drawn solid.</p>"
        f"{_lifecycles(run)}{_failures(run)}"
        f"{_reasons(run, Outcome.NOT_COVERED, 'Not covered', 'not-covered')}"
        f"{_reasons(run, Outcome.ERROR, 'Tool errors', 'tool-errors')}</main>"
        f"<footer>{_e(outcome_words)}. Generated by {_e(meta)}.</footer>"
        f"<script>{js}</script></body></html>\n"
    )


def write(run: Run, path: Path) -> Path:
    """Write ``render(run)`` to ``path`` atomically; returns ``path``."""
    return write_atomic(path, render(run))
