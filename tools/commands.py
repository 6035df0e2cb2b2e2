"""What ``exportkit verify``, ``demo`` and ``report`` do, apart from parsing their arguments.

Each returns the exit status: 0 conformant, 1 contract failures, 2 a tool or usage error.
Expected errors (a bad target, an unreachable host) of one API are printed as one line on
stderr and recorded in that API's results, so the other APIs still run and reports still say why.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from contract_tests.results import ApiRun, Run
from specs import API_NAMES, Lifecycle, load_spec
from specs.errors import SpecError
from tools.errors import CliError, ReportWriteError, UsageError
from tools.progress import ProgressPrinter, wants_live
from tools.reports import json as json_report
from tools.reports import write_reports
from tools.reports.common import one_line
from tools.services import Services
from tools.summary import render_summary

API_PLACEHOLDER = "{api}"


@dataclass(frozen=True)
class RunOptions:
    """How to verify and where the reports go."""

    report_dir: Path
    formats: tuple[str, ...]
    max_examples: int = 10
    seed: int | None = None
    checks: tuple[str, ...] | None = None
    request_timeout: float | None = None  # seconds; None leaves the checker's default


@dataclass(frozen=True)
class VerifyJob:
    """One API to verify: what ``load_target`` is called with."""

    api: str | None
    base_url: str | None
    target: str | None

    @property
    def name(self) -> str:
        return self.api or self.target or self.base_url or "?"


def error_line(error: BaseException) -> str:
    """An error's message on one line, safe for a terminal (its type name when it has none)."""
    return one_line(str(error)) or type(error).__name__


def tool_version() -> str:
    """The installed exportkit version, or ``unknown`` when run from an uninstalled tree."""
    try:
        return metadata.version("exportkit")
    except metadata.PackageNotFoundError:
        return "unknown"


def plan_verify(apis: Sequence[str], base_url: str | None, target: str | None) -> list[VerifyJob]:
    """The APIs ``verify`` runs: ``--api`` may repeat or be ``all``; several APIs need ``{api}``."""
    if not base_url and not target:
        raise UsageError("verify needs --base-url URL or --target FILE_OR_URL", "see 'exportkit verify --help'")
    names: list[str] = []
    for name in apis:
        names.extend(API_NAMES if name == "all" else [name])
    names = list(dict.fromkeys(names))
    if not names:
        if not target:
            raise UsageError(
                "verify needs --api NAME (or a --target that names its API)", "see 'exportkit verify --help'"
            )
        return [VerifyJob(None, base_url, target)]
    if len(names) > 1:
        templated = [v for v in (base_url, target) if v]
        if not all(API_PLACEHOLDER in v for v in templated):
            raise UsageError(
                f"{len(names)} APIs need one target each: put {API_PLACEHOLDER} in --target or --base-url",
                "e.g. --api all --target http://127.0.0.1:8080/_control/{api}/target",
            )
    return [
        VerifyJob(
            name,
            base_url.replace(API_PLACEHOLDER, name) if base_url else None,
            target.replace(API_PLACEHOLDER, name) if target else None,
        )
        for name in names
    ]


def prepare_report_dir(directory: Path) -> None:
    """Create the report folder now, so a long run does not end in an unwritable place."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(str(directory), exc.strerror or str(exc)) from exc
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        raise ReportWriteError(str(directory), "not a writable folder")


def _stopped_api_run(job: VerifyJob, problem: str) -> ApiRun:
    states: list[str] = []
    transitions: dict[str, list[str]] = {}
    if job.api in API_NAMES:
        try:
            lifecycle = Lifecycle.from_spec(load_spec(job.api), job.api)
            states = list(lifecycle.states)
            transitions = {k: list(v) for k, v in lifecycle.transitions.items()}
        except SpecError:
            pass  # the drawing is optional; the tool error is what the report must show
    return ApiRun(job.name, job.base_url or job.target or "", states, transitions, tool_errors=[problem])


def verify_jobs(services: Services, jobs: Sequence[VerifyJob], options: RunOptions) -> Run:
    """Verify each job in turn; an expected error stops that API only, as a recorded tool error."""
    out = services.stdout
    progress = ProgressPrinter(out, live=wants_live(out, services.environ))
    expected: tuple[type[BaseException], ...] = (CliError, *services.expected_errors)
    run = Run(version=tool_version(), seed=options.seed)
    # Passed only when given, so a collaborator without the keyword still works with the default.
    timeout = {} if options.request_timeout is None else {"timeout": options.request_timeout}
    for job in jobs:
        progress.api_started(job.name, job.base_url or job.target or "")
        try:
            target = services.load_target(api=job.api, base_url=job.base_url, target=job.target, **timeout)
            # Name the API as the target does from now on, not by the path of its target file.
            job = VerifyJob(getattr(target, "api", None) or job.api, job.base_url, job.target)
            api_run = services.verify(
                target,
                max_examples=options.max_examples,
                seed=options.seed,
                checks=list(options.checks) if options.checks else None,
                progress=progress,
                **timeout,
            )
        except expected as exc:
            services.stderr.write(f"exportkit: error: {one_line(job.name)}: {error_line(exc)}\n")
            services.stderr.flush()
            api_run = _stopped_api_run(job, error_line(exc))
        else:
            if api_run.tool_errors:  # the run went on, but exits 2: say why on stderr too, in one line
                more = len(api_run.tool_errors) - 1
                also = f" (and {more} more tool error{'s' if more > 1 else ''}: see the reports)" if more else ""
                services.stderr.write(
                    f"exportkit: error: {one_line(job.name)}: {one_line(api_run.tool_errors[0])}{also}\n"
                )
                services.stderr.flush()
        progress.api_finished(api_run)
        run.apis.append(api_run)
    return run


def finish(services: Services, run: Run, options: RunOptions) -> int:
    """Write the reports, print the summary and where the reports are; returns the run's exit status."""
    try:
        paths = write_reports(run, options.report_dir, options.formats)
    except OSError as exc:
        raise ReportWriteError(str(options.report_dir), exc.strerror or str(exc)) from exc
    services.stdout.write(render_summary(run, paths))
    services.stdout.flush()
    return run.exit_code


def run_verify(services: Services, jobs: Sequence[VerifyJob], options: RunOptions) -> int:
    """``exportkit verify``."""
    prepare_report_dir(options.report_dir)
    return finish(services, verify_jobs(services, jobs, options), options)


def run_demo(services: Services, apis: Sequence[str], options: RunOptions) -> int:
    """``exportkit demo``: the mock on a free port, a walk-through of each API, then a full run."""
    prepare_report_dir(options.report_dir)
    out = services.stdout
    expected: tuple[type[BaseException], ...] = (CliError, *services.expected_errors)
    walk_errors = 0
    out.write("Starting the exportkit mock on 127.0.0.1 (a free port)...\n")
    out.flush()
    with services.running_mock(apis=list(apis), port=0, seed=options.seed or 0) as mock:
        out.write(f"Mock running at {mock.url}\n\n== Lifecycle walk-through, over HTTP ==\n")
        for api in apis:
            try:
                services.walkthrough(services.load_target(target=mock.target_url(api)), out, options.seed)
            except expected as exc:
                walk_errors += 1
                services.stderr.write(f"exportkit: error: {api}: {error_line(exc)}\n")
                services.stderr.flush()
            out.write("\n")
        out.write("== Conformance run ==\n")
        jobs = [VerifyJob(api, None, mock.target_url(api)) for api in apis]
        run = verify_jobs(services, jobs, options)
    code = finish(services, run, options)
    if walk_errors:
        services.stdout.write(f"The walk-through failed for {walk_errors} API(s) (exit 2).\n")
        return 2
    return code


def run_report(services: Services, source: Path, options: RunOptions) -> int:
    """``exportkit report``: rebuild the reports from a JSON report; exits as the run it reports."""
    run = json_report.load(source)
    prepare_report_dir(options.report_dir)
    return finish(services, run, options)
