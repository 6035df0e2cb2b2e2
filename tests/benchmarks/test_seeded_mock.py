"""``benchmarks.seeded_mock``: N ready exports through the control plane's provider-state set-up."""

from __future__ import annotations

import pytest

from benchmarks.seeded_mock import seed_exports
from mockserver.app import build_server
from mockserver.clock import VirtualClock
from mockserver.signing import SignedUrlSigner
from mockserver.store import MemoryStore


@pytest.mark.parametrize(("count", "sample"), [(7, 2), (0, 5)])
def test_spreads_exports_over_the_apis_and_samples_them(count: int, sample: int) -> None:
    server = build_server(["curaeai", "spaaza"], store=MemoryStore(), clock=VirtualClock(), signer=SignedUrlSigner("s"))
    manifest = seed_exports(server, count, sample)
    apis = manifest["apis"]
    assert manifest["exports"] == count
    assert [apis["curaeai"]["exports"], apis["spaaza"]["exports"]] == [(count + 1) // 2, count // 2]
    for name, seeded in apis.items():
        assert len(seeded["samples"]) == min(sample, seeded["exports"])
        for answer in seeded["samples"]:
            job = server.store.get_job(name, str(answer["id"]))
            assert job is not None
            ready = server.runtimes[name].lifecycle.ready
            assert server.runtimes[name].progress(job).state == ready
            assert answer["credentials"]  # what the load needs to authenticate
