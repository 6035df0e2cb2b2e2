"""``python -m reliability``: the load and crash runs outside pytest, at any size.

    python -m reliability load --seconds 60 --clients 50             # the issue's one-minute load
    python -m reliability load --seconds 60 --clients 50 --kills 3   # with kill -9 of the mock
    python -m reliability fuzz --target http://127.0.0.1:8080/_control/curaeai/target --cases 5000

``load`` starts ``python -m mockserver`` on a free port with a fresh SQLite store in a temporary
folder, runs the scenario, prints the figures and writes them to the figures file (section
``load``, or ``crash`` with ``--kills``). Exit status: 0 when nothing was found, 1 when something
was (each finding is printed), 2 when the run itself could not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reliability import fuzz
from reliability.budget import Budget
from reliability.errors import HarnessError
from reliability.figures import FiguresFile, default_path, render
from reliability.load import LoadOptions
from reliability.process import MockProcess
from reliability.scenario import run_scenario
from specs import API_NAMES

ROOT = Path(__file__).resolve().parents[1]


def load_command(args: argparse.Namespace) -> int:
    """Run one load (or crash) scenario against a fresh mock process."""
    apis = args.apis or list(API_NAMES)
    options = LoadOptions(clients=args.clients, seconds=args.seconds, poll_interval=args.poll_interval)
    section = "crash" if args.kills else "load"
    with tempfile.TemporaryDirectory(prefix="exportkit-reliability-") as folder:
        store = f"sqlite:{Path(folder) / 'mock.sqlite'}"
        log = Path(folder) / "mock.log"
        try:
            with MockProcess(apis, store=store, log=log, time_scale=args.time_scale, cwd=ROOT) as mock:
                report = asyncio.run(run_scenario(mock, apis, options, kills=args.kills))
        except HarnessError as exc:
            print(f"reliability: {exc}", file=sys.stderr)
            return 2
    figures = report.figures()
    FiguresFile(args.figures).update(section, figures)
    print(render(section, figures))
    findings = report.findings()
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s); figures written to {args.figures}")
    return 1 if findings else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m reliability load|fuzz ...``."""
    budget = Budget.from_env(os.environ)
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="create -> poll -> download load against a mock process")
    load.add_argument("--seconds", type=float, default=budget.load_seconds, help="load duration (default: profile)")
    load.add_argument("--clients", type=int, default=budget.load_clients, help="concurrent clients (default: profile)")
    load.add_argument("--kills", type=int, default=0, help="kill -9 the mock this many times during the load")
    load.add_argument("--api", action="append", dest="apis", choices=API_NAMES, help="API to load (repeatable)")
    load.add_argument("--time-scale", type=float, default=budget.time_scale, help="the mock's --time-scale")
    load.add_argument("--poll-interval", type=float, default=budget.poll_interval, help="seconds between polls")
    load.add_argument("--figures", type=Path, default=default_path(ROOT, os.environ), help="figures JSON file")
    commands.add_parser("fuzz", help="Schemathesis negative run of one API (see python -m reliability.fuzz -h)",
                        add_help=False)  # fmt: skip
    args, rest = parser.parse_known_args(argv)
    if args.command == "fuzz":
        return fuzz.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.seconds <= 0 or args.clients < 1 or args.kills < 0:
        parser.error("--seconds must be > 0, --clients >= 1 and --kills >= 0")
    return load_command(args)
