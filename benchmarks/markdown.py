"""The Markdown page of one run (``results/latest.md``), also printed at the end of the run.

Pure formatting of a ``BenchReport``: no figure is computed here except unit changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.results import BenchReport, Comparison, Goal, MemoryPoint
from benchmarks.stats import Summary

NA = "n/a"


def _rps(summary: Summary | None) -> str:
    if summary is None:
        return NA
    flag = "" if summary.clean else " (!)"
    return f"{summary.requests_per_s:,.0f}{flag}"


def _ms(value: float | None) -> str:
    return NA if value is None else f"{value:.1f}"


def _cpu(summary: Summary | None) -> str:
    value = summary.cpu_ms_per_request if summary else None
    return NA if value is None else f"{value:.2f}"


def _ratio(value: float | None) -> str:
    return NA if value is None else f"{value:.2f}x"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def throughput_table(comparisons: Sequence[Comparison]) -> list[str]:
    """Requests/s, the ratios, and what a request costs each server in CPU time.

    The Connexion floor's columns appear only when it was measured (``--connexion-floor``).
    """
    floor = any(c.connexion is not None for c in comparisons)
    header = ["API", "endpoint", "mock req/s", "bare req/s", "Prism req/s", "mock/bare", "mock/Prism"]
    header += ["mock CPU ms/req", "bare CPU ms/req", "Prism CPU ms/req"]
    if floor:
        header += ["Connexion floor req/s", "floor CPU ms/req"]
    rows = []
    for c in comparisons:
        row = [
            c.api,
            c.kind,
            _rps(c.mock),
            _rps(c.bare),
            _rps(c.prism),
            _ratio(c.mock_vs_bare),
            _ratio(c.mock_vs_prism),
        ]
        row += [_cpu(s) for s in (c.mock, c.bare, c.prism)]
        if floor:
            row += [_rps(c.connexion), _cpu(c.connexion)]
        rows.append(row)
    return _table(header, rows)


def latency_table(comparisons: Sequence[Comparison]) -> list[str]:
    header = ["API", "endpoint", "mock p50", "mock p99", "bare p50", "bare p99", "Prism p50", "Prism p99"]
    rows = []
    for c in comparisons:
        cells = [c.api, c.kind]
        for summary in (c.mock, c.bare, c.prism):
            cells += [_ms(summary.p50_ms if summary else None), _ms(summary.p99_ms if summary else None)]
        rows.append(cells)
    return _table(header, rows)


def memory_table(points: Sequence[MemoryPoint]) -> list[str]:
    header = [
        "stored exports", "RSS MiB", "peak RSS MiB", "added B/export", "seed s", "req/s", "p50 ms", "p99 ms",
        "CPU ms/req", "list p50 ms", "list p99 ms",
    ]  # fmt: skip
    rows = [
        [
            f"{p.exports:,}",
            f"{p.rss_kib / 1024:.1f}",
            f"{p.peak_rss_kib / 1024:.1f}",
            NA if p.added_bytes_per_export is None else f"{p.added_bytes_per_export:,.0f}",
            f"{p.seed_s:.1f}",
            _rps(p.latency),
            _ms(p.latency.p50_ms if p.latency else None),
            _ms(p.latency.p99_ms if p.latency else None),
            _cpu(p.latency),
            _ms(p.list_latency.p50_ms if p.list_latency else None),
            _ms(p.list_latency.p99_ms if p.list_latency else None),
        ]
        for p in points
    ]
    return _table(header, rows)


def goals_table(goals: Sequence[Goal]) -> list[str]:
    mark = {True: "met", False: "**missed**", None: "unknown"}
    return _table(
        ["goal", "target", "observed", "verdict"], [[g.name, g.target, g.observed, mark[g.met]] for g in goals]
    )


def render_markdown(report: BenchReport) -> str:
    """The whole page: machine, settings, throughput, start-up, memory, verify, goals, problems."""
    m = report.machine
    s = report.settings
    lines = [
        f"# exportkit benchmark, {report.started_at}",
        "",
        f"Machine: {m.nproc} CPUs ({m.cpu_model}), {m.memory_mib:,} MiB, Linux {m.kernel}, Python {m.python}. "
        f"Load average before/after: {m.load_before[0]:.2f} / {m.load_after[0]:.2f}.",
        f"Tools: {', '.join(f'{k} {v}' for k, v in report.tools.items())}.",
        f"Load: wrk -t{s.get('threads')} -c{s.get('connections')} -d{s.get('duration_s')}s, "
        f"{s.get('runs')} runs per target (medians), {s.get('warmup_s')} s warm-up, loopback only. "
        f"Run took {report.seconds:.0f} s.",
        f"Command: `{' '.join(report.command)}`",
        "",
    ]
    if report.missing_apis:
        lines += ["APIs not measured: " + "; ".join(f"{k} ({v})" for k, v in report.missing_apis.items()), ""]
    lines += ["## Throughput (median of the runs)", "", *throughput_table(report.comparisons), ""]
    lines += ["## Latency in ms (median of the runs' p50 and p99)", "", *latency_table(report.comparisons), ""]
    summaries = [s for c in report.comparisons for s in (c.mock, c.bare, c.prism) if s is not None]
    if any(not s.clean for s in summaries):
        lines += ["(!) some requests failed (status >= 400 or socket errors): that figure is not comparable.", ""]
    if report.startup is not None:
        st = report.startup
        runs = ", ".join(f"{r:.2f}" for r in st.runs_s)
        lines += [
            "## Start-up",
            "",
            f"Spawn to first served request: median {_ms(st.median_s)} s (runs: {runs or NA}) {st.note}".rstrip(),
            "",
        ]
    if report.memory:
        endpoint = next((p.endpoint for p in report.memory if p.endpoint), NA)
        listing = next((p.list_endpoint for p in report.memory if p.list_endpoint), NA)
        lines += ["## Memory and latency by store size", "", f"Loaded endpoint: {endpoint}; list: {listing}.", ""]
        lines += [*memory_table(report.memory), ""]
    if report.verify is not None:
        v = report.verify
        wall = f"{v.wall_s:.1f} s" if v.wall_s is not None else NA
        lines += [
            "## Default verify",
            "",
            f"Status: {v.status}; wall time {wall}; exit {v.exit_code}; "
            f"APIs: {', '.join(v.apis) or NA}; not served: {', '.join(v.missing) or 'none'}. {v.note}".rstrip(),
            "",
        ]
    lines += ["## Goals", "", *goals_table(report.goals), ""]
    if report.profiles:
        lines += ["## Profiles", ""] + [f"- {label}: `{path}`" for label, path in report.profiles.items()] + [""]
    if report.problems:
        lines += ["## Problems during the run", ""] + [f"- {' '.join(p.split())}" for p in report.problems] + [""]
    return "\n".join(lines)
