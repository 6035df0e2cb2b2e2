"""``python -m benchmarks``: the whole benchmark in one command (``make bench``).

    python -m benchmarks                      # everything, about 8 minutes on 2 cores
    python -m benchmarks --quick              # 1 s runs, small stores, no verify: a smoke run
    python -m benchmarks --api curaeai --no-prism --duration 5 --profile

It installs what it lacks (wrk, Prism), starts every server on 127.0.0.1, loads each in turn,
prints the Markdown table, writes ``benchmarks/results/latest.json`` and ``latest.md``, and
stops every server it started. Exit status: 0 done (goals met or not: the table says), 2 when
the run could not measure at all (no wrk, bad options), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.errors import BenchError
from benchmarks.markdown import render_markdown
from benchmarks.results import write_results
from benchmarks.runner import run_benchmark
from benchmarks.settings import DEFAULT_SIZES, BenchSettings, Log
from benchmarks.wrk import WrkSettings
from specs import API_NAMES

QUICK_SIZES = (0, 1_000, 10_000)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part.replace("_", "").replace("k", "000")) for part in text.split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected sizes like 0,1k,10k,100k") from None
    if list(values) != sorted(set(values)) or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be distinct, ascending and >= 0")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--api", action="append", choices=API_NAMES, help="only this API (repeatable; default all)")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="runs per target, medians taken (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of discarded warm-up per target (default 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the other core serves)")
    parser.add_argument("--sizes", type=_sizes, default=DEFAULT_SIZES, help="stored exports, e.g. 0,1k,10k,100k")
    parser.add_argument("--startup-runs", type=int, default=3, help="fresh starts timed (default 3)")
    parser.add_argument("--no-prism", action="store_true", help="do not install or run Prism")
    parser.add_argument("--no-memory", action="store_true", help="skip memory and latency by store size")
    parser.add_argument("--no-verify", action="store_true", help="skip timing 'exportkit verify'")
    parser.add_argument("--profile", action="store_true", help="also sample the mock with py-spy under load")
    parser.add_argument(
        "--connexion-floor",
        action="store_true",
        help="also load the specs in Connexion with do-nothing handlers (Connexion's own cost)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s runs, 2 runs, stores to 10k, no verify")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def settings_from_args(args: argparse.Namespace) -> BenchSettings:
    """The run the options describe; ``ValueError`` for values out of range."""
    quick = bool(args.quick)
    defaults = BenchSettings()
    return BenchSettings(
        wrk=WrkSettings(connections=args.connections, threads=args.threads, duration_s=1 if quick else args.duration),
        runs=2 if quick else args.runs,
        warmup_s=1 if quick else args.warmup,
        apis=tuple(dict.fromkeys(args.api)) if args.api else None,
        sizes=QUICK_SIZES if quick and args.sizes == DEFAULT_SIZES else args.sizes,
        startup_runs=1 if quick else args.startup_runs,
        with_prism=not args.no_prism,
        with_memory=not args.no_memory,
        with_verify=not (args.no_verify or quick),
        with_profile=args.profile,
        with_connexion_floor=args.connexion_floor,
        out_dir=args.out or defaults.out_dir,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(arguments)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"python -m benchmarks: error: {exc}", file=sys.stderr)
        return 2
    log = Log(args.quiet)
    try:
        report = run_benchmark(settings, log, ["python", "-m", "benchmarks", *arguments])
    except KeyboardInterrupt:
        print("python -m benchmarks: interrupted; every server it started is stopped", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"python -m benchmarks: error: {exc}", file=sys.stderr)
        return 2
    markdown = render_markdown(report)
    json_path, md_path = write_results(report, settings.out_dir, markdown)
    print(markdown)
    log(f"wrote {json_path} and {md_path}")
    return 0
