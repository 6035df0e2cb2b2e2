"""The mock with N exports already stored, for the memory and latency-by-size measurements.

Seeding 100,000 exports one ``POST /_control/{api}/provider-states`` at a time would take minutes
at the mock's current speed, and the mock has no bulk endpoint yet. So this launcher builds the
server exactly as ``python -m mockserver`` does (``mockserver.cli`` options and factory), runs
the provider-state set-up of the control plane (``ControlPlane.setup``: the code behind that
endpoint) N times in-process, writes a manifest of credentials and sample ids, then serves.

    python -m benchmarks.seeded_mock --exports 10000 --manifest m.json --port 9001 [mock options]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mockserver.app import MockServer
from mockserver.cli import add_serve_arguments, bind_socket, build_from_args, uvicorn_server
from mockserver.control import ControlPlane

MAX_EXPORTS = 1_000_000


def seed_exports(server: MockServer, count: int, sample: int) -> dict[str, Any]:
    """Store ``count`` exports in their ready state, spread over the served APIs in turn.

    Returns the manifest: per API the provider-state answers of up to ``sample`` jobs spread
    evenly over the seeded ones (their ids, params and credentials), and the seeding time.
    """
    control = ControlPlane(server.runtimes, store=server.store, clock=server.clock, faults=server.faults)
    names = list(server.runtimes)
    per_api = {name: count // len(names) + (1 if i < count % len(names) else 0) for i, name in enumerate(names)}
    began = time.perf_counter()
    manifest: dict[str, Any] = {"exports": count, "apis": {}}
    for name in names:
        runtime = server.runtimes[name]
        tenant = runtime.tenant("primary")
        n = per_api[name]
        every = max(n // sample, 1) if sample else n + 1
        samples: list[dict[str, Any]] = []
        for index in range(n):
            answer = control.setup(runtime, runtime.lifecycle.ready, tenant, {})
            if index % every == 0 and len(samples) < sample:
                samples.append(answer)
        manifest["apis"][name] = {"exports": n, "samples": samples}
    manifest["seed_seconds"] = time.perf_counter() - began
    gc.collect()  # what is left is what the stored exports really hold
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.seeded_mock --exports N --manifest FILE [--sample K] [mock options]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seeded_mock", description=__doc__.split("\n")[0])
    add_serve_arguments(parser)
    parser.add_argument("--exports", type=int, required=True, help=f"exports to store, 0..{MAX_EXPORTS}")
    parser.add_argument("--manifest", type=Path, required=True, help="where to write ids and credentials (JSON)")
    parser.add_argument("--sample", type=int, default=1000, help="sample ids per API in the manifest (default 1000)")
    args = parser.parse_args(argv)
    if not 0 <= args.exports <= MAX_EXPORTS or args.sample < 0:
        parser.error(f"--exports must be 0..{MAX_EXPORTS} and --sample >= 0")
    server = build_from_args(args)
    manifest = seed_exports(server, args.exports, args.sample)
    args.manifest.write_text(json.dumps(manifest), encoding="utf-8")
    sock = bind_socket(args.host, args.port)
    try:
        uvicorn_server(server.app).run(sockets=[sock])
    finally:
        sock.close()
        server.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
