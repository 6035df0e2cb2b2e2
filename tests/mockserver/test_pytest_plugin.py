"""The pytest plugin gives a user's suite a reset, running mock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SUITE = """
pytest_plugins = ["mockserver.pytest_plugin"]

import pytest

@pytest.fixture(scope="session")
def exportkit_mock_options():
    return {"apis": ["hookbridge"]}

def test_first(exportkit_mock):
    assert exportkit_mock.provider_state("hookbridge", "completed")["id"]
    exportkit_mock.advance(10)

def test_second_starts_clean(exportkit_mock):
    import httpx
    assert httpx.get(exportkit_mock.url + "/_control/clock").json()["offsetSeconds"] == 0
"""


def test_plugin_runs_a_users_suite(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(SUITE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
