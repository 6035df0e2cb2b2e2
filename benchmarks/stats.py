"""From repeated wrk runs to one figure each: medians, spread, and ratios between targets.

A target's figure is the median over its runs (requests/s, p50, p99), so one disturbed run
does not move it; the spread (slowest and fastest run) is kept so a reader sees the noise.
Ratios compare medians taken in the same benchmark run, never figures from another day.

    >>> summary = summarise([run1, run2, run3])            # doctest: +SKIP
    >>> ratio(7200.0, 880.0)
    8.18
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.wrk import WrkResult


@dataclass(frozen=True)
class Summary:
    """The median figures of one endpoint on one target over ``runs`` runs."""

    runs: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    slowest_rps: float
    fastest_rps: float
    requests: int  # over all runs
    socket_errors: int  # over all runs
    bad_statuses: int  # over all runs
    cpu_ms_per_request: float | None = None  # the server's CPU time per request (median of the runs)

    @property
    def clean(self) -> bool:
        """Every request of every run got an answer below 400."""
        return self.socket_errors == 0 and self.bad_statuses == 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "clean": self.clean}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Summary:
        return cls(**{k: v for k, v in raw.items() if k != "clean"})


def median(values: Sequence[float]) -> float:
    """The median; ``ValueError`` for no values."""
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def summarise(results: Sequence[WrkResult], cpu_ms_per_request: Sequence[float] = ()) -> Summary:
    """Medians and spread of ``results`` (one or more runs of the same endpoint and target).

    ``cpu_ms_per_request`` (per run, when the server's CPU time was read) tells what a request
    costs the server whatever else the machine runs, unlike requests/s on a shared machine.
    """
    if not results:
        raise ValueError("no runs to summarise")
    rates = [r.requests_per_s for r in results]
    return Summary(
        runs=len(results),
        requests_per_s=round(median(rates), 1),
        p50_ms=round(median([r.p50_ms for r in results]), 3),
        p99_ms=round(median([r.p99_ms for r in results]), 3),
        slowest_rps=round(min(rates), 1),
        fastest_rps=round(max(rates), 1),
        requests=sum(r.requests for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        bad_statuses=sum(r.bad_statuses for r in results),
        cpu_ms_per_request=round(median(cpu_ms_per_request), 3) if cpu_ms_per_request else None,
    )


def ratio(numerator: float | None, denominator: float | None, digits: int = 2) -> float | None:
    """``numerator / denominator`` rounded; ``None`` when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, digits)


def growth(values: Sequence[float]) -> float | None:
    """How much the last value exceeds the first, as a ratio (1.0 = flat); ``None`` if undefined."""
    if len(values) < 2:
        return None
    return ratio(values[-1], values[0])


def per_item_bytes(kib_before: int, kib_after: int, items_before: int, items_after: int) -> float | None:
    """Resident memory added per stored item between two sizes, in bytes (``None`` if no items were added)."""
    added = items_after - items_before
    if added <= 0:
        return None
    return round((kib_after - kib_before) * 1024 / added, 1)
