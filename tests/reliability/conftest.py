"""Fixtures of the reliability tests: the run's budget, the figures file, the APIs to cover.

Every API of ``specs.API_NAMES`` is covered; an API whose vendor module is not written yet
fails its tests (``require_vendor``) rather than being skipped, so the gap stays visible.
The figures each test records are printed at the end of the run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mockserver.app import available_apis
from reliability.budget import Budget
from reliability.figures import FiguresFile, default_path
from specs import API_NAMES

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = pytest.StashKey[list[str]]()  # sections written in this session, printed at the end


def require_vendor(api: str) -> None:
    """Fail (never skip) when the mock cannot serve ``api`` yet."""
    if api not in available_apis():
        pytest.fail(
            f"{api}: mockserver/vendors/{api}.py does not exist yet, so the mock cannot serve it; "
            f"this reliability test stays red until it does (served now: {available_apis()})"
        )


def served_apis() -> list[str]:
    """The APIs of ``API_NAMES`` the mock serves today, in that order."""
    ready = set(available_apis())
    return [api for api in API_NAMES if api in ready]


@pytest.fixture(scope="session")
def budget() -> Budget:
    return Budget.from_env(os.environ)


class Figures:
    """The session's handle on the figures file: records a section and remembers it for the summary."""

    def __init__(self, book: FiguresFile, written: list[str]) -> None:
        self.book = book
        self.written = written

    def record(self, section: str, figures: dict[str, object], *, key: str | None = None) -> None:
        self.book.update(section, figures, key=key)
        label = section if key is None else f"{section}.{key}"
        if label not in self.written:
            self.written.append(label)


@pytest.fixture(scope="session")
def figures(request: pytest.FixtureRequest) -> Figures:
    written: list[str] = []
    request.config.stash[WRITTEN] = written
    return Figures(FiguresFile(default_path(ROOT, os.environ)), written)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    written = config.stash.get(WRITTEN, [])
    if not written:
        return
    path = default_path(ROOT, os.environ)
    document = FiguresFile(path).read()
    terminalreporter.section("reliability figures")
    terminalreporter.write_line(f"written to {path}")
    for label in written:
        section, _, key = label.partition(".")
        value = document.get(section, {})
        value = value.get(key, {}) if key and isinstance(value, dict) else value
        terminalreporter.write_line(f"{label}: {json.dumps(value, sort_keys=True)}")
