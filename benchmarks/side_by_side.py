"""Side by side: the mock of two or more source trees under the same HTTP load, in turn.

What a code change changes under load (in-process timing, ``benchmarks.app_cost``, understates
it). Each ``--tree NAME=DIR`` is a checkout of this project; its ``benchmarks.seeded_mock`` is
started from DIR (DIR's ``.venv`` if it has one) with one ready export of ``--api``, and the same
endpoint of each is loaded by the same wrk settings: a 1 s warm-up per target, then ``--rounds``
rounds that each load every target once (interleaved, so drift hits all alike), reading the
server's CPU time around each run. Unless ``--no-bare``, bare Starlette serving the first tree's
recorded answer is loaded too. Exit 0 when measured, 1 when a run saw errors, 2 when it could not
measure (bad option, no wrk, a server that does not start), 130 on Ctrl-C.

    python -m benchmarks.side_by_side --tree old=../old-checkout --tree new=. --api carevalidate
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.endpoints import Endpoint, mock_endpoints
from benchmarks.errors import BenchError
from benchmarks.installers import ensure_wrk
from benchmarks.payloads import save_payloads
from benchmarks.processes import ServerPool, ServerProcess, answered_ok, free_port
from benchmarks.results import write_atomic
from benchmarks.settings import ROOT
from benchmarks.settings import Log as StderrLog
from benchmarks.stats import median, ratio
from benchmarks.throughput import Target, load_in_turn, record_payloads
from benchmarks.wrk import WrkResult, WrkSettings
from specs import API_NAMES, load_spec

PROG = "python -m benchmarks.side_by_side"
BARE = "bare"
WARMUP_S = 1
START_TIMEOUT_S = 120.0
Log = Callable[[str], None]


@dataclass(frozen=True)
class Tree:
    """A checkout of this project whose mock is loaded, under the name the table shows."""

    name: str
    root: Path

    @property
    def python(self) -> str:
        own = self.root / ".venv" / "bin" / "python"
        return str(own) if own.exists() else sys.executable


def parse_trees(specs: Sequence[str]) -> list[Tree]:
    """``NAME=DIR`` options to trees; ``ValueError`` unless two or more, names unique, checkouts."""
    trees: list[Tree] = []
    for spec in specs:
        name, sep, directory = spec.partition("=")
        if not sep or not name or not directory:
            raise ValueError(f"--tree {spec!r}: expected NAME=DIR")
        root = Path(directory).expanduser().resolve()
        if not (root / "benchmarks" / "seeded_mock.py").is_file():
            raise ValueError(f"--tree {name}={directory}: no benchmarks/seeded_mock.py in {root}")
        if name == BARE or name in (t.name for t in trees):
            raise ValueError(f"--tree {name}: names must be unique (and not {BARE!r})")
        trees.append(Tree(name, root))
    if len(trees) < 2:
        raise ValueError("at least two --tree NAME=DIR are needed to compare")
    return trees


def in_tree(root: Path, python: str, module: str, *args: str) -> list[str]:
    """``python -m module args`` run from ``root`` with ``root`` first on the path (env execs: same pid)."""
    return ["env", "-C", str(root), f"PYTHONPATH={root}", python, "-m", module, *args]


@dataclass(frozen=True)
class Measured:
    """One wrk run of one target, and the CPU seconds its server spent during it."""

    result: WrkResult
    cpu_s: float


@dataclass(frozen=True)
class Row:
    """One target's figures: medians over its runs, each run's req/s, and the ratios of the table."""

    target: str
    requests_per_s: float
    cpu_us_per_request: float | None
    p50_ms: float
    p99_ms: float
    runs_rps: tuple[float, ...]
    flagged_runs: tuple[int, ...]  # run numbers (from 1) with a status >= 400 or a socket error
    cpu_vs_first: float | None = None  # CPU per request / the first tree's
    rps_vs_bare: float | None = None  # req/s / bare Starlette's (trees only)


def cpu_us_per_request(cpu_s: float, requests: int) -> float | None:
    """The server's CPU microseconds per request of a run (``None`` for a run without requests)."""
    return cpu_s / requests * 1e6 if requests > 0 else None


def summarise_runs(target: str, runs: Sequence[Measured]) -> Row:
    """Medians of one target's runs (``ValueError`` for none)."""
    if not runs:
        raise ValueError(f"{target}: no runs")
    cpu = [c for c in (cpu_us_per_request(m.cpu_s, m.result.requests) for m in runs) if c is not None]
    return Row(
        target=target,
        requests_per_s=round(median([m.result.requests_per_s for m in runs]), 1),
        cpu_us_per_request=round(median(cpu), 1) if cpu else None,
        p50_ms=round(median([m.result.p50_ms for m in runs]), 3),
        p99_ms=round(median([m.result.p99_ms for m in runs]), 3),
        runs_rps=tuple(round(m.result.requests_per_s, 1) for m in runs),
        flagged_runs=tuple(number for number, m in enumerate(runs, 1) if not m.result.clean),
    )


def report_rows(runs: Mapping[str, Sequence[Measured]], trees: Sequence[str]) -> list[Row]:
    """A row per target (the trees in order, then bare if loaded): CPU vs the first tree, req/s vs bare."""
    rows = {name: summarise_runs(name, measured) for name, measured in runs.items()}
    first_cpu = rows[trees[0]].cpu_us_per_request
    bare = rows.get(BARE)
    return [
        dataclasses.replace(
            rows[name],
            cpu_vs_first=ratio(rows[name].cpu_us_per_request, first_cpu),
            rps_vs_bare=ratio(rows[name].requests_per_s, bare.requests_per_s) if bare and name != BARE else None,
        )
        for name in [*trees, *([BARE] if bare else [])]
    ]


def _shown(value: float | None, spec: str = "g") -> str:
    return "—" if value is None else format(value, spec)


def render_table(rows: Sequence[Row], title: str) -> str:
    """The Markdown table of the report; a flagged run's req/s is marked ``!``."""
    lines = [
        f"### {title}",
        "",
        f"| target | req/s | CPU µs/req | p50 ms | p99 ms | runs (req/s) | CPU vs {rows[0].target} | req/s vs bare |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for row in rows:
        runs = ", ".join(f"{rps:g}" + "!" * (n in row.flagged_runs) for n, rps in enumerate(row.runs_rps, 1))
        lines.append(
            f"| {row.target} | {row.requests_per_s:g} | {_shown(row.cpu_us_per_request)} | {row.p50_ms:g} "
            f"| {row.p99_ms:g} | {runs} | {_shown(row.cpu_vs_first, '.2f')} | {_shown(row.rps_vs_bare, '.2f')} |"
        )
    flagged = [f"{row.target} run {n}" for row in rows for n in row.flagged_runs]
    if flagged:
        lines += ["", "Runs with a status >= 400 or a socket error (marked !): " + ", ".join(flagged) + "."]
    return "\n".join(lines) + "\n"


def start_trees(
    trees: Sequence[Tree], api: str, kind: str, pool: ServerPool, workdir: Path
) -> list[tuple[ServerProcess, Endpoint]]:
    """Each tree's seeded mock with one ready export of ``api``, and its endpoint of ``kind``."""
    spec = load_spec(api)
    started = []
    for tree in trees:
        port, manifest = free_port(), workdir / f"manifest-{tree.name}.json"
        args = ("--api", api, "--exports", "1", "--sample", "1", "--manifest", str(manifest), "--port", str(port))
        argv = in_tree(tree.root, tree.python, "benchmarks.seeded_mock", *args)
        server = pool.start(
            tree.name, argv, port=port, logdir=workdir, ready_path="/_control/health", timeout=START_TIMEOUT_S,
            ready=answered_ok,
        )  # fmt: skip
        state = json.loads(manifest.read_text(encoding="utf-8"))["apis"][api]["samples"][0]
        endpoint = next((e for e in mock_endpoints(api, spec, state) if e.kind == kind), None)
        if endpoint is None:
            raise ValueError(f"{api} has no separate {kind} endpoint (its download answers both)")
        started.append((server, endpoint))
    return started


def measure(
    trees: Sequence[Tree], api: str, kind: str, settings: WrkSettings, rounds: int, *, bare: bool, wrk: str, log: Log
) -> list[Row]:
    """Start every tree's mock (and bare Starlette), load them in turn, stop them all; the rows of the table."""
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as tmp, ServerPool(log) as pool:
        workdir = Path(tmp)
        started = start_trees(trees, api, kind, pool, workdir)
        targets, payloads = [], []
        for tree, (server, endpoint) in zip(trees, started, strict=True):
            payloads += record_payloads(server.url, [endpoint])
            log(f"{tree.name} ({tree.python}): {endpoint.path} -> {payloads[-1].status}, {len(payloads[-1].body)} B")
            targets.append(Target(tree.name, server.url, endpoint.path, endpoint.headers, server.pid))
        if bare:
            port = free_port()
            save_payloads(payloads[:1], workdir / "payloads.json")
            args = ("--port", str(port), "--payloads", str(workdir / "payloads.json"))
            argv = in_tree(ROOT, sys.executable, "benchmarks.bare_app", *args)
            server = pool.start(BARE, argv, port=port, logdir=workdir, ready_path="/_bare/health", ready=answered_ok)
            targets.append(dataclasses.replace(targets[0], name=BARE, base_url=server.url, pid=server.pid))
        measured = load_in_turn(
            targets, wrk=wrk, settings=settings, runs=rounds, warmup_s=WARMUP_S, workdir=workdir, log=log
        )
    runs = {name: [Measured(result, cpu or 0.0) for result, cpu in runs_of] for name, runs_of in measured.items()}
    return report_rows(runs, [tree.name for tree in trees])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=DIR", help="a checkout (2 or more)")
    parser.add_argument("--api", choices=API_NAMES, default="carevalidate", help="default carevalidate")
    parser.add_argument("--kind", choices=("download", "status"), default="download", help="default download")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds, medians taken (default 5)")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--no-bare", action="store_true", help="do not load bare Starlette")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Compare the trees; exit 0 measured, 1 a run was flagged, 2 could not measure, 130 interrupted."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(arguments)
    log = StderrLog(args.quiet)
    try:
        trees = parse_trees(args.tree)
        settings = WrkSettings(connections=args.connections, threads=1, duration_s=args.duration)
        if args.rounds < 1:
            raise ValueError("--rounds must be >= 1")
        wrk = ensure_wrk(log).path or "wrk"
        rows = measure(trees, args.api, args.kind, settings, args.rounds, bare=not args.no_bare, wrk=wrk, log=log)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; every server it started is stopped", file=sys.stderr)
        return 130
    except (BenchError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    load = f"wrk -t1 -c{settings.connections} -d{settings.duration_s}s"
    print(render_table(rows, f"{args.api} {args.kind}: {load}, medians of {args.rounds} interleaved rounds"))
    if args.out is not None:
        trees_json = {tree.name: str(tree.root) for tree in trees}
        report = {"api": args.api, "kind": args.kind, "command": [PROG, *arguments], "trees": trees_json}
        figures = {**report, "wrk": asdict(settings), "rounds": args.rounds, "rows": [asdict(r) for r in rows]}
        write_atomic(args.out, json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        log(f"wrote {args.out}")
    return 1 if any(row.flagged_runs for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
