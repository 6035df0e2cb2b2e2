"""``benchmarks.stats``: medians, spread, ratios and memory per item."""

from __future__ import annotations

import pytest

from benchmarks.stats import Summary, growth, median, per_item_bytes, ratio, summarise
from benchmarks.wrk import WrkResult


def run(rps: float, p50: float = 1.0, p99: float = 2.0, bad: int = 0) -> WrkResult:
    return WrkResult(int(rps * 3), 3.0, rps, p50, p50 * 1.5, p99, p99 * 2, 0, bad)


def test_summary_takes_medians_and_keeps_the_spread() -> None:
    summary = summarise([run(900, 30, 80), run(100, 300, 900), run(1000, 20, 60)], [1.5, 9.0, 1.1])
    assert summary.runs == 3
    assert summary.requests_per_s == 900  # the disturbed run does not move it
    assert (summary.p50_ms, summary.p99_ms) == (30, 80)
    assert (summary.slowest_rps, summary.fastest_rps) == (100, 1000)
    assert summary.requests == 6000
    assert summary.cpu_ms_per_request == 1.5
    assert summary.clean


def test_summary_without_cpu_readings_says_none() -> None:
    assert summarise([run(10)]).cpu_ms_per_request is None


def test_a_bad_status_in_any_run_makes_the_summary_unclean() -> None:
    summary = summarise([run(900), run(900, bad=1)])
    assert summary.bad_statuses == 1
    assert not summary.clean
    assert summary.to_json()["clean"] is False


def test_summary_round_trips_through_json() -> None:
    summary = summarise([run(900), run(800)], [2.0])
    assert Summary.from_json(summary.to_json()) == summary


def test_no_runs_is_an_error() -> None:
    with pytest.raises(ValueError, match="no runs"):
        summarise([])
    with pytest.raises(ValueError, match="no values"):
        median([])


def test_even_number_of_runs_takes_the_middle_mean() -> None:
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(880.0, 7200.0, 0.12), (1550.0, 850.0, 1.82), (None, 1.0, None), (1.0, None, None), (1.0, 0.0, None)],
)
def test_ratio(numerator: float | None, denominator: float | None, expected: float | None) -> None:
    assert ratio(numerator, denominator) == expected


def test_growth_compares_last_to_first() -> None:
    assert growth([2.0, 2.2, 2.4]) == 1.2
    assert growth([2.0]) is None


def test_bytes_per_item_between_two_sizes() -> None:
    assert per_item_bytes(60_000, 61_000, 1_000, 2_000) == 1024.0
    assert per_item_bytes(60_000, 59_000, 0, 1_000) == -1024.0  # memory can shrink (freed arenas): shown as is
    assert per_item_bytes(60_000, 61_000, 1_000, 1_000) is None
