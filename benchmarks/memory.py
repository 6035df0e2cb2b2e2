"""Memory and latency by store size: a fresh mock per size, seeded, measured idle and under load.

For each size (0 first, as the baseline) ``benchmarks.seeded_mock`` starts with that many ready
exports spread over the served APIs. Its resident memory is read once it serves (so the added
bytes per export compare like with like), then one API's download endpoint is loaded, cycling
through the same number of stored exports at every size, and the peak RSS is read after.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.endpoints import Endpoint, list_endpoint, mock_endpoints
from benchmarks.errors import SetupError
from benchmarks.processes import ServerPool, free_port, running
from benchmarks.results import MemoryPoint
from benchmarks.settings import ROTATION, BenchSettings
from benchmarks.stats import Summary
from benchmarks.throughput import Target, load_in_turn, probe, summarised
from specs import load_spec

Log = Callable[[str], None]
SEED_TIMEOUT_S = 600.0


def rotation_endpoints(api: str, samples: Sequence[dict[str, Any]], count: int) -> list[Endpoint]:
    """The download endpoints of ``count`` sampled exports, evenly spread (one tenant: the same headers)."""
    if not samples:
        raise SetupError(f"seed {api}", 0, "the seeded mock's manifest lists no exports")
    step = max(len(samples) // count, 1)
    chosen = samples[::step][:count]
    spec = load_spec(api)
    return [next(e for e in mock_endpoints(api, spec, state) if e.kind == "download") for state in chosen]


def measure_size(
    size: int,
    *,
    apis: Sequence[str],
    settings: BenchSettings,
    pool: ServerPool,
    wrk: str,
    workdir: Path,
    log: Log,
) -> MemoryPoint:
    """One store size: the seeded mock serving ``apis``; its memory, and the first API's download latency."""
    port = free_port()
    manifest_path = workdir / f"manifest-{size}.json"
    argv = [
        settings.python,
        "-m",
        "benchmarks.seeded_mock",
        "--port",
        str(port),
        "--exports",
        str(size),
        "--manifest",
        str(manifest_path),
        "--sample",
        str(ROTATION),
    ]
    for name in apis:
        argv += ["--api", name]
    server = pool.start(
        f"seeded-mock-{size}",
        argv,
        port=port,
        logdir=workdir,
        ready_path="/_control/health",
        timeout=SEED_TIMEOUT_S,
        ready=lambda status: status == 200,
    )
    with running(pool, server):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        rss = server.rss_kib()
        point = MemoryPoint(size, rss, server.peak_rss_kib(), float(manifest["seed_seconds"]), "")
        chosen = apis[0] if apis else next(iter(manifest["apis"]))
        samples = manifest["apis"].get(chosen, {}).get("samples") or []
        log(f"{size:,} exports: RSS {rss / 1024:.1f} MiB after seeding in {point.seed_s:.1f} s")
        if size == 0 or not samples:
            return point
        endpoints = rotation_endpoints(chosen, samples, ROTATION)
        first = endpoints[0]
        point.endpoint = f"{chosen} download, cycling {len(endpoints)} stored exports"
        target = Target("mock", server.url, first.path, first.headers, server.pid, tuple(e.path for e in endpoints))
        point.latency = _load(target, first.expected_status, settings, wrk, workdir, log)
        listing = _list_endpoint(manifest)
        if listing is not None:
            point.list_endpoint = f"{listing.api} list ({listing.path.split('?')[0]})"
            log(f"  {point.list_endpoint}:")
            target = Target("mock", server.url, listing.path, listing.headers, server.pid)
            point.list_latency = _load(target, listing.expected_status, settings, wrk, workdir, log)
        point.peak_rss_kib = server.peak_rss_kib()
        return point


def _list_endpoint(manifest: dict[str, Any]) -> Endpoint | None:
    """The list operation of the first seeded API that has one."""
    for api, seeded in manifest["apis"].items():
        if seeded.get("samples"):
            found = list_endpoint(api, load_spec(api), seeded["samples"][0])
            if found is not None:
                return found
    return None


def _load(target: Target, expected: int | None, settings: BenchSettings, wrk: str, workdir: Path, log: Log) -> Summary:
    probe(target, expected)
    summaries = summarised(
        load_in_turn(
            [target],
            wrk=wrk,
            settings=settings.wrk,
            runs=settings.runs,
            warmup_s=settings.warmup_s,
            workdir=workdir,
            log=log,
        )
    )
    return summaries["mock"]
