"""Shared fixtures: one running mock (curaeai + hookbridge) per module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.testing import MockHandle, running_mock

SERVED = ["curaeai", "hookbridge"]


@pytest.fixture(scope="module")
def mock_session() -> Iterator[MockHandle]:
    with running_mock(SERVED, seed=7, validate_responses=True) as handle:
        yield handle


@pytest.fixture
def mock(mock_session: MockHandle) -> MockHandle:
    mock_session.reset()
    return mock_session


def client_for(mock: MockHandle, api: str, tenant: str = "primary", **headers: str) -> httpx.Client:
    """An HTTP client of ``api`` authenticated as ``tenant`` (credentials from the target)."""
    target: dict[str, Any] = mock.target(api)
    credentials = target["tenants"][tenant]["credentials"]
    token = next(iter(credentials.values()))
    return httpx.Client(
        base_url=mock.base_url(api), headers={"Authorization": f"Bearer {token}", **headers}, timeout=10.0
    )
