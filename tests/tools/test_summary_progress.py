"""The terminal output: the one-screen summary and the progress lines, safe from what a target sends."""

from __future__ import annotations

import io
from pathlib import Path

from contract_tests.results import Outcome
from tests.tools.sample_runs import api_run, hostile_run, mixed_run
from tools.progress import ProgressPrinter, wants_live
from tools.summary import MAX_FAILURE_LINES, render_summary


def test_summary_has_a_line_per_api_the_failures_reports_and_verdict() -> None:
    text = render_summary(mixed_run(), [Path("out/report.html")])
    lines = text.splitlines()
    assert "curaeai      100.0%       3       0            1       0" in lines
    assert "hookbridge    71.4%       3       1            0       1" in lines
    assert "  hookbridge url-expiry (critical): the URL was still accepted" in lines
    assert "  out/report.html" in lines
    assert lines[-1] == "Result: contract failures in hookbridge (exit 1)"
    assert len(lines) < 25  # one screen


def test_summary_caps_the_failure_lines() -> None:
    run = mixed_run()
    run.apis = [api_run(f"api{i}", {"url-expiry": Outcome.FAILED}) for i in range(MAX_FAILURE_LINES + 3)]
    text = render_summary(run)
    assert "... and 3 more: see the reports" in text


def test_terminal_output_carries_no_control_characters_from_the_target() -> None:
    run = hostile_run()
    run.apis[0].checks[0].reason = "\x1b[2J\x1b[31mred\rover"
    text = render_summary(run)
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\x00" not in text
    out = io.StringIO()
    printer = ProgressPrinter(out, live=False)
    printer("curaeai: auth: failed (\x1b]0;title\x07 401 expected)")
    assert out.getvalue() == "  FAIL  auth  ]0;title 401 expected\n"


def test_live_mode_keeps_only_what_did_not_pass() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out, live=True)
    printer.api_started("curaeai")
    printer("curaeai: readiness-gate: passed")
    printer("curaeai: url-expiry: failed (still served)")
    printer.api_finished(api_run("curaeai", {"readiness-gate": Outcome.PASSED, "url-expiry": Outcome.FAILED}))
    shown = out.getvalue()
    assert "\r\x1b[K  [1] PASS readiness-gate" in shown
    assert "\r\x1b[K  FAIL  url-expiry  still served\n" in shown
    assert shown.endswith("curaeai: score 50.0%, 1 passed, 1 failed, 0 not covered, 0 errors\n")


def test_live_only_on_a_terminal_outside_ci() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_live(Tty(), {})
    assert not wants_live(Tty(), {"CI": "true"})
    assert not wants_live(Tty(), {"TERM": "dumb"})
    assert not wants_live(io.StringIO(), {})
