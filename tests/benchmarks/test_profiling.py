"""``benchmarks.profiling``: ranking frames of py-spy's folded stacks."""

from __future__ import annotations

import pytest

from benchmarks.profiling import charged_package, package_of, render_summary, summarise_folded

MAIN = "main (/r/mockserver/app.py:1)"
HANDLE = "handle (/v/lib/python3.11/site-packages/starlette/routing.py:9)"
FOLDED = f"""\
{MAIN};{HANDLE};sign (/r/mockserver/signing.py:5) 6
{MAIN};{HANDLE} 3
{MAIN};json (/usr/lib/python3.11/json/encoder.py:2) 1
"""


def test_own_and_inclusive_shares() -> None:
    summary = summarise_folded(FOLDED, root="/r")
    assert summary.samples == 10
    assert summary.own[0] == ("sign (mockserver/signing.py:5)", 0.6)
    assert dict(summary.own)["handle (starlette/routing.py:9)"] == 0.3
    assert dict(summary.inclusive)["main (mockserver/app.py:1)"] == 1.0
    assert dict(summary.inclusive)["handle (starlette/routing.py:9)"] == 0.9
    assert dict(summary.inclusive)["json (json/encoder.py:2)"] == pytest.approx(0.1)


def test_top_limits_the_lists_and_rendering_shows_percentages() -> None:
    summary = summarise_folded(FOLDED, top=1, root="/r")
    assert len(summary.own) == len(summary.inclusive) == 1
    assert " 60.0%  sign (mockserver/signing.py:5)" in render_summary("t", summary)


def test_no_samples_and_bad_lines() -> None:
    assert summarise_folded("\n").samples == 0
    summary = summarise_folded("a;b 1\nnot a count line\n")  # py-spy may print a garbled frame name
    assert (summary.samples, summary.skipped) == (1, 1)
    with pytest.raises(ValueError, match="no line is 'stack count'"):
        summarise_folded("not a count line\n")


def test_samples_without_a_python_frame_are_counted_apart() -> None:
    summary = summarise_folded("a (x/m.py:1) 1\n 3\n")
    assert summary.samples == 4
    assert dict(summary.own)["(no Python frame)"] == 0.75


def test_time_is_charged_to_the_first_package_that_is_not_the_standard_library() -> None:
    assert package_of("f (connexion/security.py:9)") == "connexion"
    assert package_of("f (inspect.py:3)") == "inspect"
    frames = ["main (mockserver/cli.py:1)", "w (connexion/utils.py:4)", "signature (inspect.py:3)", "i (copy.py:2)"]
    assert charged_package(frames) == "connexion"
    assert (
        charged_package(["run (asyncio/runners.py:1)", "x (<frozen abc>:1)"]) == "<frozen abc>"
    )  # all stdlib: the leaf
    assert dict(summarise_folded(FOLDED, root="/r").packages) == {
        "mockserver": 0.7,
        "starlette": 0.3,
    }  # json by the mock
