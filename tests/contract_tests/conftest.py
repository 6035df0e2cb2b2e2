"""Fixtures of the checker's tests: the fixture spec and a fake server that breaks rules on demand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.target import Target
from tests.contract_tests.fake_server import FakeVendor, create_fake_app
from tests.contract_tests.servers import serving

FIXTURES = Path(__file__).parent / "fixtures"
FAKE_SPEC = FIXTURES / "fakeapi.yaml"


class FakeTarget:
    """A running fake server and a target pointing at it; ``vendor.breaks`` may be changed."""

    def __init__(self, vendor: FakeVendor, url: str) -> None:
        self.vendor = vendor
        self.url = url

    def target(self, *, provider: bool = True, clock: bool = True, **extra: object) -> Target:
        data: dict[str, object] = {"api": "fakeapi", "base_url": f"{self.url}/fakeapi", "spec": str(FAKE_SPEC)}
        if provider:
            data["provider_states_url"] = f"{self.url}/_control/fakeapi/provider-states"
        if clock:
            data["clock_url"] = f"{self.url}/_control/clock"
        data.update(extra)
        return Target.from_dict(data)


@pytest.fixture
def fake() -> Iterator[FakeTarget]:
    """A fake server that keeps every rule (set ``fake.vendor.breaks`` to break some)."""
    vendor = FakeVendor()
    with serving(create_fake_app(vendor)) as url:
        vendor.base_url = url
        yield FakeTarget(vendor, url)
