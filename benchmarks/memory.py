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

from benchmarks.endpoints import mock_endpoints
from benchmarks.errors import BenchError
from benchmarks.processes import ServerPool, free_port, running
from benchmarks.results import MemoryPoint
from benchmarks.settings import ROTATION, BenchSettings
from benchmarks.stats import summarise
from benchmarks.throughput import Target, probe
from benchmarks.wrk import WrkSettings, run_wrk
from specs import load_spec

Log = Callable[[str], None]
SEED_TIMEOUT_S = 600.0


def rotation_paths(api: str, samples: Sequence[dict[str, Any]], count: int) -> tuple[list[str], dict[str, str]]:
    """The download paths of ``count`` sampled exports, evenly spread, and their (shared) auth headers."""
    if not samples:
        raise BenchError(f"{api}: the seeded mock listed no exports")
    step = max(len(samples) // count, 1)
    chosen = samples[::step][:count]
    spec = load_spec(api)
    endpoints = [next(e for e in mock_endpoints(api, spec, state) if e.kind == "download") for state in chosen]
    return [e.path for e in endpoints], dict(endpoints[0].headers)


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
    argv = [settings.python, "-m", "benchmarks.seeded_mock", "--port", str(port), "--exports", str(size),
            "--manifest", str(manifest_path), "--sample", str(ROTATION)]  # fmt: skip
    for name in apis:
        argv += ["--api", name]
    server = pool.start(
        f"seeded-mock-{size}", argv, port=port, logdir=workdir, ready_path="/_control/health",
        timeout=SEED_TIMEOUT_S, ready=lambda status: status == 200,
    )  # fmt: skip
    with running(pool, server):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        rss = server.rss_kib()
        point = MemoryPoint(size, rss, server.peak_rss_kib(), float(manifest["seed_seconds"]), "")
        chosen = apis[0] if apis else next(iter(manifest["apis"]))
        samples = manifest["apis"].get(chosen, {}).get("samples") or []
        log(f"{size:,} exports: RSS {rss / 1024:.1f} MiB after seeding in {point.seed_s:.1f} s")
        if size == 0 or not samples:
            return point
        paths, headers = rotation_paths(chosen, samples, ROTATION)
        point.endpoint = f"{chosen} download, cycling {len(paths)} stored exports"
        probe(Target("mock", server.url, paths[0], headers), None)
        if settings.warmup_s > 0:
            warm = WrkSettings(settings.wrk.connections, settings.wrk.threads, settings.warmup_s, settings.wrk.timeout_s)
            run_wrk(wrk, server.url + paths[0], warm, workdir, headers=headers, paths=paths)
        results = []
        for number in range(settings.runs):
            result = run_wrk(wrk, server.url + paths[0], settings.wrk, workdir, headers=headers, paths=paths)
            results.append(result)
            log(f"  run {number + 1}/{settings.runs}: {result.requests_per_s:.1f} req/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms")  # fmt: skip
        point.latency = summarise(results)
        point.peak_rss_kib = server.peak_rss_kib()
        return point
