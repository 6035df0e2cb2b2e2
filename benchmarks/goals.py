"""The issue's targets, checked against one run's figures.

Each goal is met (``True``), missed (``False``) or unknown (``None``: its figures could not be
taken in this run, e.g. Prism not installed or an API the mock does not serve yet). Thresholds
live in ``Targets`` so a test can pass other ones.

Besides the issue's own goals, the CPU time per request by store size is judged too: unlike
wall-clock latency it does not move when other processes share the machine, so it tells whether
the mock's work grows with the store (the list operation scans it; download should not).

    >>> [g.name for g in evaluate(report)]                       # doctest: +SKIP
    ['download vs bare Starlette', 'download vs Prism', ...]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.results import BenchReport, Goal, MemoryPoint
from benchmarks.stats import growth


@dataclass(frozen=True)
class Targets:
    """Thresholds of issue 6."""

    min_vs_bare: float = 0.5  # download endpoint, mock / bare Starlette
    min_vs_prism: float = 1.0  # download endpoint, mock / Prism: strictly ahead
    max_p99_ms: float = 25.0  # every mock endpoint, 32 connections
    max_latency_growth: float = 1.25  # largest store / 1k store, for p50 and CPU per request
    max_bytes_per_export: float = 2048.0
    max_startup_s: float = 1.5
    max_verify_s: float = 60.0
    verify_apis: int = 5


def _all(values: Sequence[bool]) -> bool | None:
    return all(values) if values else None


def _ratio_goal(report: BenchReport, name: str, target: str, attribute: str, threshold: float) -> Goal:
    figures = [(c.api, getattr(c, attribute)) for c in report.comparisons if c.kind == "download"]
    known = [(api, value) for api, value in figures if value is not None]
    observed = ", ".join(f"{api} {value:.2f}x" for api, value in known) or "not measured"
    if attribute == "mock_vs_prism":
        met = _all([value > threshold for _, value in known])
    else:
        met = _all([value >= threshold for _, value in known])
    return Goal(name, target, observed, met)


def _p99_goal(report: BenchReport, targets: Targets) -> Goal:
    rows = [(f"{c.api} {c.kind}", c.mock.p99_ms) for c in report.comparisons if c.mock is not None]
    worst = max(rows, key=lambda row: row[1]) if rows else None
    observed = f"worst {worst[0]} {worst[1]:.1f} ms" if worst else "not measured"
    return Goal(
        "p99 latency",
        f"<= {targets.max_p99_ms:g} ms, every endpoint",
        observed,
        _all([p99 <= targets.max_p99_ms for _, p99 in rows]),
    )


def _sized(points: Sequence[MemoryPoint]) -> list[MemoryPoint]:
    return [p for p in points if p.exports >= 1000]


def _flatness_goal(
    report: BenchReport, targets: Targets, name: str, unit: str, figure: Callable[[MemoryPoint], float | None]
) -> Goal:
    """Whether ``figure`` at the largest store stays within ``max_latency_growth`` of the 1k one."""
    values = [(p.exports, figure(p)) for p in _sized(report.memory)]
    known = [(exports, value) for exports, value in values if value is not None]
    change = growth([value for _, value in known])
    if change is None:
        return Goal(name, f"<= {targets.max_latency_growth:g} x from 1k to the largest store", "not measured", None)
    observed = " -> ".join(f"{exports:,}: {value:.2f} {unit}" for exports, value in known) + f" (x{change:.2f})"
    target = f"<= {targets.max_latency_growth:g} x from 1k to the largest store"
    return Goal(name, target, observed, change <= targets.max_latency_growth)


def _p50(point: MemoryPoint) -> float | None:
    return point.latency.p50_ms if point.latency else None


def _cpu(point: MemoryPoint) -> float | None:
    return point.latency.cpu_ms_per_request if point.latency else None


def _list_cpu(point: MemoryPoint) -> float | None:
    return point.list_latency.cpu_ms_per_request if point.list_latency else None


def _memory_goal(report: BenchReport, targets: Targets) -> Goal:
    steps = [p for p in _sized(report.memory) if p.added_bytes_per_export is not None]
    if not steps:
        return Goal("memory per export", f"<= {targets.max_bytes_per_export:g} B, flat", "not measured", None)
    observed = ", ".join(f"{p.exports:,}: {p.added_bytes_per_export:.0f} B" for p in steps)
    limit = targets.max_bytes_per_export
    met = all(p.added_bytes_per_export is not None and p.added_bytes_per_export <= limit for p in steps)
    return Goal("memory per export", f"<= {limit:g} B per added export at every size from 1k", observed, met)


def _startup_goal(report: BenchReport, targets: Targets) -> Goal:
    median = report.startup.median_s if report.startup else None
    observed = f"{median:.2f} s (median)" if median is not None else "not measured"
    met = None if median is None else median <= targets.max_startup_s
    return Goal("start-up", f"<= {targets.max_startup_s:g} s to the first served request", observed, met)


def _verify_goal(report: BenchReport, targets: Targets) -> Goal:
    target = f"<= {targets.max_verify_s:g} s for all {targets.verify_apis} APIs"
    timing = report.verify
    if timing is None or timing.wall_s is None:
        return Goal("default verify", target, timing.status if timing else "not measured", None)
    observed = f"{timing.wall_s:.1f} s for {len(timing.apis)} API(s) ({timing.status}, exit {timing.exit_code})"
    if timing.status != "ok" or len(timing.apis) < targets.verify_apis:
        return Goal("default verify", target, observed, None if timing.wall_s <= targets.max_verify_s else False)
    return Goal("default verify", target, observed, timing.wall_s <= targets.max_verify_s)


def _clean_goal(report: BenchReport) -> Goal:
    summaries = [s for c in report.comparisons for s in (c.mock, c.bare, c.prism) if s is not None]
    summaries += [s for p in report.memory for s in (p.latency, p.list_latency) if s is not None]
    bad = sum(s.bad_statuses + s.socket_errors for s in summaries)
    observed = f"{bad} failed of {sum(s.requests for s in summaries):,} requests"
    return Goal(
        "every request answered", "no status >= 400, no socket error", observed, _all([bad == 0]) if summaries else None
    )


def evaluate(report: BenchReport, targets: Targets | None = None) -> list[Goal]:
    """Every goal of the issue for ``report``, in the order RESULTS.md discusses them."""
    t = targets or Targets()
    return [
        _ratio_goal(
            report, "download vs bare Starlette", f">= {t.min_vs_bare:g} x bare", "mock_vs_bare", t.min_vs_bare
        ),
        _ratio_goal(report, "download vs Prism", "ahead of Prism (> 1 x)", "mock_vs_prism", t.min_vs_prism),
        _p99_goal(report, t),
        _flatness_goal(report, t, "latency flat 1k -> 100k (download p50)", "ms", _p50),
        _flatness_goal(report, t, "CPU per request flat (download)", "ms", _cpu),
        _flatness_goal(report, t, "CPU per request flat (list)", "ms", _list_cpu),
        _memory_goal(report, t),
        _startup_goal(report, t),
        _verify_goal(report, t),
        _clean_goal(report),
    ]
