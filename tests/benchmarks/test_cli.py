"""``benchmarks.cli``: options to settings, and refusals of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.cli import QUICK_SIZES, build_parser, main, settings_from_args
from benchmarks.runner import mock_argv
from benchmarks.settings import DEFAULT_SIZES, BenchSettings


def settings(*argv: str) -> BenchSettings:
    return settings_from_args(build_parser().parse_args(list(argv)))


def test_defaults_are_the_issues_settings() -> None:
    s = settings()
    assert (s.wrk.connections, s.wrk.threads, s.wrk.duration_s, s.runs) == (32, 1, 3, 3)
    assert s.sizes == DEFAULT_SIZES == (0, 1_000, 10_000, 100_000)
    assert s.with_prism
    assert s.with_memory
    assert s.with_verify
    assert not s.with_profile
    assert s.apis is None


def test_quick_is_a_smoke_run() -> None:
    s = settings("--quick")
    assert (s.wrk.duration_s, s.runs, s.sizes, s.with_verify, s.startup_runs) == (1, 2, QUICK_SIZES, False, 1)


def test_options_are_carried_into_the_settings(tmp_path: Path) -> None:
    s = settings("--api", "curaeai", "--api", "curaeai", "--api", "spaaza", "--sizes", "0,2k,20_000",
                 "--no-prism", "--out", str(tmp_path), "--duration", "5")  # fmt: skip
    assert s.apis == ("curaeai", "spaaza")
    assert s.sizes == (0, 2_000, 20_000)
    assert (s.with_prism, s.out_dir, s.wrk.duration_s) == (False, tmp_path, 5)
    assert s.to_json()["sizes"] == [0, 2_000, 20_000]
    assert s.to_json()["connections"] == 32


@pytest.mark.parametrize("argv", [["--sizes", "10k,1k"], ["--sizes", "many"], ["--api", "nobody"]])
def test_bad_options_exit_2_with_a_message(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_values_out_of_range_exit_2_before_measuring(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--connections", "0", "--quiet"]) == 2
    assert "threads <= connections" in capsys.readouterr().err


def test_the_mock_is_started_as_a_user_would_with_the_chosen_apis() -> None:
    assert mock_argv(settings(), 8080)[1:] == ["-m", "mockserver", "--port", "8080"]
    chosen = mock_argv(settings("--api", "spaaza"), "PORT")[1:]
    assert chosen == ["-m", "mockserver", "--port", "PORT", "--api", "spaaza"]
