"""``benchmarks.side_by_side``: refusals of bad trees, the report's arithmetic, and one real run."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from benchmarks.side_by_side import (
    BARE,
    Measured,
    Tree,
    cpu_us_per_request,
    in_tree,
    main,
    parse_trees,
    render_table,
    report_rows,
    summarise_runs,
)
from benchmarks.wrk import WrkResult

REPO = Path(__file__).resolve().parents[2]


def checkout(tmp_path: Path, name: str, *, venv: bool = False) -> Path:
    """A directory that looks like a checkout of the project (what ``--tree`` checks)."""
    root = tmp_path / name
    (root / "benchmarks").mkdir(parents=True)
    (root / "benchmarks" / "seeded_mock.py").write_text("", encoding="utf-8")
    if venv:
        (root / ".venv" / "bin").mkdir(parents=True)
        (root / ".venv" / "bin" / "python").write_text("", encoding="utf-8")
    return root


def run(rps: float, cpu_s: float, *, requests: int | None = None, bad: int = 0, p50: float = 1.0) -> Measured:
    """A made-up wrk run of 1 s (``requests`` defaults to ``rps``) and the server CPU it cost."""
    count = int(rps) if requests is None else requests
    result = WrkResult(count, 1.0, rps, p50, p50 * 2, p50 * 3, p50 * 4, 0, bad)
    return Measured(result, cpu_s)


def test_trees_are_named_checkouts_with_their_own_interpreter(tmp_path: Path) -> None:
    old, new = checkout(tmp_path, "old", venv=True), checkout(tmp_path, "new")
    trees = parse_trees([f"old={old}", f"new={new}"])
    assert trees == [Tree("old", old), Tree("new", new)]
    assert trees[0].python == str(old / ".venv" / "bin" / "python")
    assert trees[1].python == sys.executable


def test_a_tree_is_started_from_its_own_directory_first_on_the_path(tmp_path: Path) -> None:
    argv = in_tree(tmp_path, "/py", "benchmarks.seeded_mock", "--port", "1")
    assert argv == ["env", "-C", str(tmp_path), f"PYTHONPATH={tmp_path}", "/py", "-m", "benchmarks.seeded_mock",
                    "--port", "1"]  # fmt: skip


@pytest.mark.parametrize(
    ("trees", "message"),
    [
        (["a=REPO"], "at least two --tree"),
        ([], "at least two --tree"),
        (["a=REPO", "a=REPO"], "names must be unique"),
        (["bare=REPO", "a=REPO"], "names must be unique"),
        (["a=REPO", "b=MISSING"], "no benchmarks/seeded_mock.py"),
        (["a=REPO", "REPO"], "expected NAME=DIR"),
    ],
)
def test_bad_trees_exit_2_with_one_line(
    trees: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [part for t in trees for part in ("--tree", t.replace("REPO", str(REPO)).replace("MISSING", str(tmp_path)))]
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("python -m benchmarks.side_by_side: error: ")
    assert message in err


@pytest.mark.parametrize(("option", "message"), [("--rounds=0", "--rounds"), ("--connections=0", "connections")])
def test_values_out_of_range_exit_2_before_starting_anything(
    option: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--tree", f"a={REPO}", "--tree", f"b={REPO}", option, "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_cpu_per_request_is_the_servers_cpu_over_the_requests() -> None:
    assert cpu_us_per_request(0.5, 10_000) == pytest.approx(50.0)
    assert cpu_us_per_request(0.5, 0) is None


def test_a_target_is_summarised_by_the_medians_of_its_runs() -> None:
    row = summarise_runs("old", [run(1000, 0.08, p50=3.0), run(1200, 0.06, p50=1.0), run(900, 0.09, bad=2, p50=2.0)])
    assert (row.requests_per_s, row.p50_ms, row.p99_ms) == (1000.0, 2.0, 6.0)
    assert row.cpu_us_per_request == 80.0  # 80, 50 and 100 µs per request
    assert row.runs_rps == (1000.0, 1200.0, 900.0)
    assert row.flagged_runs == (3,)
    with pytest.raises(ValueError, match="no runs"):
        summarise_runs("old", [])


def test_trees_are_compared_to_the_first_trees_cpu_and_to_bares_rate() -> None:
    runs = {
        BARE: [run(4000, 0.16)],  # 40 µs per request
        "new": [run(3000, 0.21)],  # 70 µs
        "old": [run(2500, 0.2)],  # 80 µs
    }
    rows = report_rows(runs, ["old", "new"])
    assert [r.target for r in rows] == ["old", "new", BARE]
    assert [r.cpu_us_per_request for r in rows] == [80.0, 70.0, 40.0]
    assert [r.cpu_vs_first for r in rows] == [1.0, 0.88, 0.5]
    assert [r.rps_vs_bare for r in rows] == [0.62, 0.75, None]
    without_bare = report_rows({"old": runs["old"], "new": runs["new"]}, ["old", "new"])
    assert [r.rps_vs_bare for r in without_bare] == [None, None]


def test_the_table_shows_every_run_and_marks_the_flagged_ones() -> None:
    rows = report_rows({"old": [run(2500, 0.2), run(2400, 0.2, bad=5)], "new": [run(3000, 0.21)]}, ["old", "new"])
    table = render_table(rows, "carevalidate download")
    assert table.startswith("### carevalidate download\n")  # 80 and 83.3 µs per request: median 81.7
    assert "| old | 2450 | 81.7 |" in table
    assert "| 2500, 2400! | 1.00 | — |" in table
    assert "| new | 3000 | 70 |" in table
    assert table.rstrip().endswith("(marked !): old run 2.")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not on PATH (apt-get install wrk)")
def test_two_trees_and_bare_under_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "side.json"
    argv = ["--tree", f"one={REPO}", "--tree", f"two={REPO}", "--api", "spaaza", "--rounds", "1", "--duration", "1"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    table = capsys.readouterr().out
    for target in ("one", "two", BARE):
        assert f"| {target} |" in table
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [r["target"] for r in rows] == ["one", "two", BARE]
    assert all(r["requests_per_s"] > 0 and r["cpu_us_per_request"] > 0 and not r["flagged_runs"] for r in rows)
