"""Clients generated from the specs, once per session, into a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from specs import spec_path
from tests.integration.generated import GeneratedClient, generate_client

ClientOf = Callable[[str], GeneratedClient]


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientOf]:
    """``generated_client("curaeai")``: the client generated from ``specs/curaeai.yaml``.

    Each API is generated on first use only, so one spec the generator rejects fails only the
    test of that API.
    """
    out_dir = tmp_path_factory.mktemp("generated-clients")
    made: dict[str, GeneratedClient] = {}

    def client_of(api: str) -> GeneratedClient:
        if api not in made:
            made[api] = generate_client(spec_path(api), out_dir, api)
        return made[api]

    yield client_of
    for client in made.values():
        client.unload()
