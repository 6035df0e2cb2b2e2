"""A pytest plugin with a running mock: ``pytest_plugins = ["mockserver.pytest_plugin"]``.

Fixtures:

- ``exportkit_mock_options``: keyword arguments of ``running_mock`` (override it in your
  ``conftest.py`` to choose APIs, time scale, seed or store).
- ``exportkit_mock_session``: one server for the whole session.
- ``exportkit_mock``: that server, reset (no jobs, no faults, clock offset 0) before each test.

    def test_ready_export_downloads(exportkit_mock):
        job = exportkit_mock.provider_state("curaeai", "READY")
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.testing import MockHandle, running_mock


@pytest.fixture(scope="session")
def exportkit_mock_options() -> dict[str, Any]:
    """Options of the session's mock; override to change them."""
    return {}


@pytest.fixture(scope="session")
def exportkit_mock_session(exportkit_mock_options: dict[str, Any]) -> Iterator[MockHandle]:
    with running_mock(**exportkit_mock_options) as handle:
        yield handle


@pytest.fixture
def exportkit_mock(exportkit_mock_session: MockHandle) -> MockHandle:
    exportkit_mock_session.reset()
    return exportkit_mock_session
