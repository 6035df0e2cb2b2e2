"""The in-process cost benchmark times real answers of the mock and of the bare app."""

from __future__ import annotations

import pytest

from benchmarks.app_cost import main, measure


def test_each_endpoint_is_timed_on_its_real_answer() -> None:
    costs = measure(["hookbridge", "curaeai"], calls=20, rounds=1, bare=True)
    assert [(c.api, c.kind, c.status) for c in costs] == [
        ("hookbridge", "download", 302),  # the redirect download: the presigned URL in Location
        ("hookbridge", "status", 200),
        ("curaeai", "download", 200),
        ("curaeai", "status", 200),
    ]
    assert all(c.mock_us > 0 and c.bare_us is not None and c.bare_us > 0 for c in costs)


def test_the_command_prints_a_line_per_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--api", "spaaza", "--calls", "10", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["spaaza", "download"], ["spaaza", "status"]]
    assert all("µs/call" in line and "bare" not in line for line in lines)


@pytest.mark.parametrize("argv", [["--calls", "0"], ["--rounds", "0"], ["--api", "nope"]])
def test_bad_options_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
