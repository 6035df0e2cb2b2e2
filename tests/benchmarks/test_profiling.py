"""``benchmarks.profiling``: ranking frames of py-spy's folded stacks."""

from __future__ import annotations

import pytest

from benchmarks.profiling import render_summary, summarise_folded

FOLDED = """\
main (/r/app.py:1);handle (/v/lib/python3.11/site-packages/starlette/routing.py:9);sign (/r/signing.py:5) 6
main (/r/app.py:1);handle (/v/lib/python3.11/site-packages/starlette/routing.py:9) 3
main (/r/app.py:1);json (/usr/lib/python3.11/json/encoder.py:2) 1
"""


def test_own_and_inclusive_shares() -> None:
    summary = summarise_folded(FOLDED, root="/r")
    assert summary.samples == 10
    assert summary.own[0] == ("sign (signing.py:5)", 0.6)
    assert dict(summary.own)["handle (starlette/routing.py:9)"] == 0.3
    assert dict(summary.inclusive)["main (app.py:1)"] == 1.0
    assert dict(summary.inclusive)["handle (starlette/routing.py:9)"] == 0.9
    assert dict(summary.inclusive)["json (json/encoder.py:2)"] == pytest.approx(0.1)


def test_top_limits_the_lists_and_rendering_shows_percentages() -> None:
    summary = summarise_folded(FOLDED, top=1, root="/r")
    assert len(summary.own) == len(summary.inclusive) == 1
    assert " 60.0%  sign (signing.py:5)" in render_summary("t", summary)


def test_no_samples_and_bad_lines() -> None:
    assert summarise_folded("\n").samples == 0
    with pytest.raises(ValueError, match="line 2"):
        summarise_folded("a;b 1\nnot a count line\n")
