"""The ``exportkit`` command line: ``serve``, ``verify``, ``demo`` and ``report``.

Exit status: 0 conformant, 1 contract failures, 2 a tool or usage error. An error is one line
on stderr, never a traceback (``--debug`` adds it). ``main`` takes its collaborators as a
``Services`` so tests run it with fakes.

    $ exportkit verify --api curaeai --base-url https://staging.example.com --target staging.yaml
    $ exportkit verify --api all --target http://127.0.0.1:8080/_control/{api}/target
    $ exportkit demo --report-dir reports-out
    $ exportkit report --from reports-out/results.json --report-dir rebuilt --format html
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tools.commands import RunOptions, error_line, plan_verify, run_demo, run_report, run_verify, tool_version
from tools.errors import CliError, UsageError
from tools.reports import ALL_FORMATS, parse_formats
from tools.services import Services, default_services

DEFAULT_REPORT_DIR = "reports-out"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are a ``UsageError`` (one line), not a usage dump and exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, f"see '{self.prog} --help'")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 and at most 3600 seconds")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path(DEFAULT_REPORT_DIR),
        help=f"folder for the reports (default: {DEFAULT_REPORT_DIR}/)",
    )
    parser.add_argument(
        "--format",
        default=",".join(ALL_FORMATS),
        help=f"comma-separated report formats among {','.join(ALL_FORMATS)} (default: all)",
    )
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")


def _run_options(parser: argparse.ArgumentParser, *, seed_default: int | None) -> None:
    parser.add_argument(
        "--max-examples", type=_positive_int, default=10, help="generated cases per property check (default: 10)"
    )
    parser.add_argument(
        "--seed", type=_int, default=seed_default, help=f"random seed, for a reproducible run (default: {seed_default})"
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``exportkit`` parser. ``serve`` takes the mock's own flags (``exportkit serve --help``)."""
    parser = _Parser(
        prog="exportkit",
        description="Contract testing and stateful mocking of asynchronous export APIs.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"exportkit {tool_version()}")
    parser.add_argument("--debug", action="store_true", default=False, help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    commands.add_parser(
        "serve", help="run the mock of the five APIs until Ctrl-C (see 'exportkit serve --help')", add_help=False
    )

    verify = commands.add_parser(
        "verify",
        help="verify a server against an API's spec",
        description="Verify a server against its API's spec and write the reports. "
        "Exit 0 conformant, 1 contract failures, 2 tool or usage error.",
        allow_abbrev=False,
    )
    verify.add_argument(
        "--api",
        action="append",
        default=[],
        metavar="NAME",
        help="API to verify; repeat it, or say 'all' (several APIs need {api} in --target or --base-url)",
    )
    verify.add_argument("--base-url", help="the server's base URL (the spec's paths are appended to it)")
    verify.add_argument(
        "--target", metavar="FILE_OR_URL", help="target file (YAML/JSON) or URL serving one: credentials, fixtures, ..."
    )
    verify.add_argument(
        "--check", action="append", default=None, metavar="ID", help="run only this check id (repeatable)"
    )
    verify.add_argument(
        "--request-timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="seconds to connect and for each read of a request to the target (default: 10)",
    )
    _run_options(verify, seed_default=None)
    _report_options(verify)

    demo = commands.add_parser(
        "demo",
        help="start the mock, walk each API's lifecycle, verify all five, write the reports",
        allow_abbrev=False,
    )
    demo.add_argument("--api", action="append", default=[], metavar="NAME", help="only this API (repeatable)")
    _run_options(demo, seed_default=0)
    _report_options(demo)

    report = commands.add_parser("report", help="rebuild the reports from a JSON report", allow_abbrev=False)
    report.add_argument("--from", dest="source", type=Path, required=True, metavar="RESULTS_JSON")
    _report_options(report)
    return parser


def _options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        report_dir=args.report_dir,
        formats=parse_formats(args.format),
        max_examples=getattr(args, "max_examples", 10),
        seed=getattr(args, "seed", None),
        checks=tuple(args.check) if getattr(args, "check", None) else None,
        request_timeout=getattr(args, "request_timeout", None),
    )


def _serve(services: Services, argv: Sequence[str]) -> int:
    parser = _Parser(prog="exportkit serve", description="Run the mock of the five APIs until Ctrl-C.")
    services.add_serve_arguments(parser)
    return services.serve_from_args(parser.parse_args(list(argv)))


def _dispatch(args: argparse.Namespace, extras: list[str], services: Services) -> int:
    if args.command is None:
        raise UsageError("choose a command: serve, verify, demo or report", "see 'exportkit --help'")
    if args.command == "serve":
        return _serve(services, extras)
    if extras:
        raise UsageError(f"unrecognized arguments: {' '.join(extras)}", f"see 'exportkit {args.command} --help'")
    if args.command == "verify":
        return run_verify(services, plan_verify(args.api, args.base_url, args.target), _options(args))
    if args.command == "demo":
        from specs import API_NAMES

        apis = list(dict.fromkeys(a for name in args.api for a in (API_NAMES if name == "all" else [name])))
        unknown = [a for a in apis if a not in API_NAMES]
        if unknown:
            raise UsageError(f"unknown API(s) {', '.join(unknown)}", f"known: {', '.join(API_NAMES)}")
        return run_demo(services, apis or list(API_NAMES), _options(args))
    return run_report(services, args.source, _options(args))


def main(argv: Sequence[str] | None = None, *, services: Services | None = None) -> int:
    """Run ``exportkit`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    services = services or default_services()
    expected: tuple[type[BaseException], ...] = (CliError, *services.expected_errors)
    try:
        args, extras = build_parser().parse_known_args(arguments)
        return _dispatch(args, extras, services)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        services.stderr.write("exportkit: interrupted\n")
        return 130
    except expected as exc:
        if debug:
            traceback.print_exc(file=services.stderr)
        services.stderr.write(f"exportkit: error: {error_line(exc)}\n")
        return 2
    except Exception as exc:
        if debug:
            traceback.print_exc(file=services.stderr)
        hint = "" if debug else " (run again with --debug for the traceback)"
        services.stderr.write(f"exportkit: internal error: {type(exc).__name__}: {error_line(exc)}{hint}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
