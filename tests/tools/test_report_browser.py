"""The HTML report in a real headless Chromium: it renders, its script runs, the console stays clean.

Chromium's console (errors, uncaught exceptions, Content-Security-Policy refusals, blocked
loads) is read from its log on stderr (``--enable-logging=stderr``): the report writes nothing
to the console, so any console line is a failure. A control page with a deliberate error proves
that the log is really read. ``tools/ensure_chromium.sh`` installs Chromium; without it, these
tests fail (they never skip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tools.sample_runs import hostile_run, mixed_run
from tools.reports import html

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
)


def find_chromium() -> str:
    """The Chromium to use: ``$CHROMIUM``, else one on PATH; fails the test with what to do."""
    candidates = [os.environ.get("CHROMIUM", "")]
    candidates += [shutil.which(n) or "" for n in ("chromium", "chromium-browser", "google-chrome")]
    found = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if found is None:
        pytest.fail(
            "headless Chromium not found: run `sh tools/ensure_chromium.sh` (as root it installs Debian's "
            "chromium with apt-get) or set CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    return found


@dataclass
class Rendered:
    dom: str
    console: list[str]


def render_in_chromium(page: Path, profile: Path) -> Rendered:
    """Load ``page`` in headless Chromium; the DOM after scripts ran, and every console line."""
    command = [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    return Rendered(done.stdout, console)


def test_report_renders_with_its_matrix_and_a_clean_console(tmp_path: Path) -> None:
    page = html.write(mixed_run(), tmp_path / "report.html")
    shown = render_in_chromium(page, tmp_path / "profile")
    assert shown.console == []
    assert 'id="check-matrix"' in shown.dom
    assert "url-expiry" in shown.dom
    assert 'class="edge observed"' in shown.dom
    # the script ran under the page's policy: it added the copy button of the one curl block
    assert 'data-enhanced="1"' in shown.dom
    assert '<button type="button" class="copy" aria-label="Copy the curl command">Copy</button>' in shown.dom


def test_hostile_report_runs_nothing_it_was_sent(tmp_path: Path) -> None:
    page = html.write(hostile_run(), tmp_path / "report.html")
    shown = render_in_chromium(page, tmp_path / "profile")
    assert shown.console == []  # an injected script or image would be refused, and logged
    assert "<img" not in shown.dom
    assert shown.dom.count("<script>") == 1
    assert 'data-enhanced="1"' in shown.dom
    assert "&lt;script&gt;alert" in shown.dom


def test_console_errors_are_really_caught(tmp_path: Path) -> None:
    """Control: a page that logs an error, throws, and tries the network is seen to do so."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'script-src \'unsafe-inline\'"></head><body><img src="https://example.invalid/x.png">'
        '<script>console.error("control-error"); notDefined();</script></body></html>',
        encoding="utf-8",
    )
    shown = render_in_chromium(page, tmp_path / "profile")
    assert any("control-error" in line for line in shown.console), shown.console
    assert any("Uncaught ReferenceError" in line for line in shown.console), shown.console
    assert any("Content Security Policy" in line for line in shown.console), shown.console
