"""``benchmarks.results``, ``markdown`` and ``goals``: what a run writes and how it judges itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.goals import Targets, evaluate
from benchmarks.markdown import render_markdown
from benchmarks.results import (
    BenchReport,
    Comparison,
    Goal,
    Machine,
    MemoryPoint,
    Startup,
    VerifyTiming,
    write_results,
)
from benchmarks.stats import Summary


def summary(rps: float, p50: float = 2.0, p99: float = 10.0, bad: int = 0, cpu: float | None = 0.5) -> Summary:
    return Summary(3, rps, p50, p99, rps * 0.9, rps * 1.1, int(rps * 9), 0, bad, cpu)


def sample_report() -> BenchReport:
    report = BenchReport(
        started_at="2026-01-01T00:00:00Z",
        command=["python", "-m", "benchmarks"],
        settings={"threads": 1, "connections": 32, "duration_s": 3, "runs": 3, "warmup_s": 1},
        machine=Machine(2, 24_000, "Test CPU", "6.1", "3.11.7", (0.5, 0.4, 0.3), (0.6, 0.5, 0.4)),
        tools={"wrk": "4.1.0", "prism": "5.16.0"},
        apis=["curaeai", "hookbridge"],
        missing_apis={"carevalidate": "not served by the mock yet"},
    )
    report.comparisons = [
        Comparison("curaeai", "download", "/curaeai/x/download", summary(4000), summary(7000), summary(1000)),
        Comparison("curaeai", "status", "/curaeai/x", summary(5000, p99=30.0), summary(7200), None),
        Comparison("hookbridge", "download", "/hookbridge/x/download", summary(3000), summary(7000), summary(900)),
    ]
    report.startup = Startup([1.2, 1.1, 1.3], 1.2, ["python", "-m", "mockserver"])
    for exports, rss, p50 in [(0, 50_000, None), (1_000, 51_000, 2.0), (10_000, 60_000, 2.1), (100_000, 150_000, 2.2)]:
        latency = None if p50 is None else summary(4000, p50=p50)
        report.add_memory_point(MemoryPoint(exports, rss, rss + 100, 0.1, "curaeai download", latency))
    report.verify = VerifyTiming("ok", 42.0, 0, ["curaeai", "hookbridge", "a", "b", "c"], [], ["exportkit", "verify"])
    return report


def goal(goals: list[Goal], name: str) -> Goal:
    return next(g for g in goals if g.name == name)


def test_memory_points_get_the_bytes_each_added_export_costs() -> None:
    added = [p.added_bytes_per_export for p in sample_report().memory]
    assert added == [None, 1024.0, pytest.approx(9000 * 1024 / 9000), pytest.approx(90_000 * 1024 / 90_000)]


def test_comparisons_carry_their_ratios() -> None:
    first, second, _ = sample_report().comparisons
    assert (first.mock_vs_bare, first.mock_vs_prism) == (0.57, 4.0)
    assert second.mock_vs_prism is None


def test_goals_of_a_run_that_meets_most_of_them() -> None:
    goals = evaluate(sample_report())
    assert goal(goals, "download vs bare Starlette").met is False  # hookbridge 0.43x
    assert goal(goals, "download vs bare Starlette").observed == "curaeai 0.57x, hookbridge 0.43x"
    assert goal(goals, "download vs Prism").met is True
    assert goal(goals, "p99 latency").met is False  # curaeai status 30 ms
    assert goal(goals, "p99 latency").observed == "worst curaeai status 30.0 ms"
    assert goal(goals, "latency flat 1k -> 100k (download p50)").met is True  # 2.0 -> 2.2 ms
    assert goal(goals, "CPU per request flat (download)").met is True
    assert goal(goals, "CPU per request flat (list)").met is None  # not measured in this sample
    assert goal(goals, "memory per export").met is True
    assert goal(goals, "start-up").met is True
    assert goal(goals, "default verify").met is True
    assert goal(goals, "every request answered").met is True


def test_thresholds_can_be_changed() -> None:
    goals = evaluate(sample_report(), Targets(min_vs_bare=0.4, max_bytes_per_export=512, max_startup_s=1.0))
    assert goal(goals, "download vs bare Starlette").met is True
    assert goal(goals, "memory per export").met is False
    assert goal(goals, "start-up").met is False


def test_what_was_not_measured_is_unknown_not_met() -> None:
    report = sample_report()
    report.comparisons = [Comparison("curaeai", "download", "/x", summary(10), None, None)]
    report.memory, report.startup = [], None
    report.verify = VerifyTiming("not available", note="exportkit is not installed")
    goals = evaluate(report)
    unknown = {"download vs bare Starlette", "download vs Prism", "memory per export"}
    unknown |= {
        "latency flat 1k -> 100k (download p50)",
        "CPU per request flat (download)",
        "CPU per request flat (list)",
    }
    assert {g.name for g in goals if g.met is None} == unknown | {"start-up", "default verify"}
    assert goal(goals, "default verify").observed == "not available"


def test_a_partial_verify_is_never_met() -> None:
    report = sample_report()
    report.verify = VerifyTiming("partial", 20.0, 0, ["curaeai"], ["hookbridge"], [])
    assert goal(evaluate(report), "default verify").met is None
    report.verify = VerifyTiming("partial", 90.0, 0, ["curaeai"], ["hookbridge"], [])
    assert goal(evaluate(report), "default verify").met is False  # already too slow with fewer APIs


def test_a_list_that_scans_the_store_misses_the_cpu_flatness_goal() -> None:
    report = sample_report()
    for point, cpu in zip(report.memory[1:], [5.0, 9.0, 60.0], strict=True):
        point.list_latency = summary(100, cpu=cpu)
    found = goal(evaluate(report), "CPU per request flat (list)")
    assert found.met is False
    assert found.observed == "1,000: 5.00 ms -> 10,000: 9.00 ms -> 100,000: 60.00 ms (x12.00)"


def test_failed_requests_are_flagged() -> None:
    report = sample_report()
    report.comparisons[0].mock = summary(4000, bad=3)
    assert goal(evaluate(report), "every request answered").met is False
    assert "(!)" in render_markdown(report)


def test_writes_json_and_markdown_that_read_back(tmp_path: Path) -> None:
    report = sample_report()
    report.goals = evaluate(report)
    json_path, md_path = write_results(report, tmp_path / "results", render_markdown(report))
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["comparisons"][0]["mock_vs_bare"] == 0.57
    assert data["comparisons"][0]["mock"]["requests_per_s"] == 4000
    assert data["comparisons"][1]["prism"] is None
    assert data["memory"][3]["added_bytes_per_export"] == pytest.approx(1024.0)
    assert data["machine"]["load_before"] == [0.5, 0.4, 0.3]
    assert data["goals"][0]["name"] == "download vs bare Starlette"
    assert data["missing_apis"] == {"carevalidate": "not served by the mock yet"}
    assert md_path.read_text(encoding="utf-8") == render_markdown(report)
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["latest.json", "latest.md"]  # no .partial left


def test_markdown_has_a_row_per_endpoint_and_says_n_a() -> None:
    text = render_markdown(sample_report())
    assert "| curaeai | download | 4,000 | 7,000 | 1,000 | 0.57x | 4.00x | 0.50 | 0.50 | 0.50 |" in text
    assert "| curaeai | status | 5,000 | 7,200 | n/a | 0.69x | n/a |" in text
    assert "| 100,000 | 146.5 | 146.6 | 1,024 |" in text
    assert "APIs not measured: carevalidate (not served by the mock yet)" in text
    assert "(!)" not in text
