"""One benchmark run, phase by phase, into a ``BenchReport``.

Phases: start-up of the mock, throughput against bare Starlette and Prism (and, with
``--profile``, py-spy samples), memory and latency by store size, and the default verify. A phase
that fails records the problem and the run goes on; every server started is stopped when the run
ends, also on Ctrl-C or SIGTERM (``ServerPool``).
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.endpoints import Endpoint
from benchmarks.errors import BenchError
from benchmarks.goals import evaluate
from benchmarks.installers import Tool, ensure_prism, ensure_py_spy, ensure_wrk
from benchmarks.memory import measure_size
from benchmarks.payloads import Payload, save_payloads
from benchmarks.processes import ServerPool, ServerProcess, answered_ok, free_port, running
from benchmarks.profiling import profile_under_load
from benchmarks.results import BenchReport, Comparison, Machine, Startup
from benchmarks.settings import BenchSettings
from benchmarks.stats import median
from benchmarks.throughput import Target, discover, load_in_turn, prism_endpoint, probe, record_payloads, summarised
from benchmarks.verify_time import time_verify
from specs import spec_path

Log = Callable[[str], None]
PRISM_START_TIMEOUT_S = 90.0


@dataclass
class Run:
    """What every phase shares: the settings, the tools, the servers, the scratch folder, the report."""

    settings: BenchSettings
    pool: ServerPool
    workdir: Path
    log: Log
    report: BenchReport
    wrk: str
    prism: Tool
    py_spy: Tool | None

    def start_mock(self, name: str = "mock") -> ServerProcess:
        port = free_port()
        return self.pool.start(
            name,
            mock_argv(self.settings, port),
            port=port,
            logdir=self.workdir,
            ready_path="/_control/health",
            timeout=self.settings.start_timeout_s,
            ready=answered_ok,
        )

    def start_recorded(self, module: str, payloads: Sequence[Payload], health: str) -> ServerProcess:
        """A server of ``benchmarks.<module>`` answering the recorded ``payloads``."""
        file = self.workdir / "payloads.json"
        save_payloads(payloads, file)
        port = free_port()
        argv = [self.settings.python, "-m", f"benchmarks.{module}", "--port", str(port), "--payloads", str(file)]
        return self.pool.start(module, argv, port=port, logdir=self.workdir, ready_path=health, ready=answered_ok)

    def start_prism(self, api: str) -> ServerProcess | None:
        """Prism serving ``api``'s spec, or ``None`` (the problem recorded) when it cannot be had."""
        if self.prism.path is None:
            return None
        port = free_port()
        argv = [self.prism.path, "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "error", str(spec_path(api))]
        try:
            return self.pool.start(f"prism-{api}", argv, port=port, logdir=self.workdir, timeout=PRISM_START_TIMEOUT_S)
        except BenchError as exc:
            self.report.problems.append(f"Prism for {api} did not start: {exc}")
            return None


def mock_argv(settings: BenchSettings, port: int | str) -> list[str]:
    """``python -m mockserver`` with its defaults (all APIs, memory store, validation and auth on)."""
    argv = [settings.python, "-m", "mockserver", "--port", str(port)]
    for api in settings.apis or ():
        argv += ["--api", api]
    return argv


def startup_phase(run: Run) -> None:
    """Fresh starts of the mock, each timed from spawn to its first ``200`` on the health route."""
    runs = []
    for number in range(run.settings.startup_runs):
        server = run.start_mock(name=f"startup-{number + 1}")
        with running(run.pool, server):
            runs.append(round(server.startup_s, 3))
    shown = ["python", *mock_argv(run.settings, "PORT")[1:]]
    run.report.startup = Startup(runs, round(median(runs), 3) if runs else None, shown)


def compare_endpoint(
    run: Run,
    endpoint: Endpoint,
    mock: ServerProcess,
    bare: ServerProcess,
    prism: ServerProcess | None,
    floor: ServerProcess | None,
) -> Comparison:
    """One endpoint on the mock, bare Starlette and (if it answers its example path) Prism."""
    comparison = Comparison(endpoint.api, endpoint.kind, endpoint.path)
    targets = [
        Target("mock", mock.url, endpoint.path, endpoint.headers, mock.pid),
        Target("bare", bare.url, endpoint.path, endpoint.headers, bare.pid),
    ]
    if floor is not None:
        targets.append(Target("connexion", floor.url, endpoint.path, endpoint.headers, floor.pid))
    example = prism_endpoint(endpoint.api, endpoint.kind) if prism is not None else None
    if prism is not None and example is not None:
        target = Target("prism", prism.url, example.path, example.headers, prism.pid)
        try:
            probe(target, None)
            targets.append(target)
            comparison.prism_path = example.path
        except BenchError as exc:
            comparison.notes.append(f"Prism left out: {exc}")
    run.log(f"{endpoint.label}: {', '.join(t.name for t in targets)}")
    try:
        summaries = summarised(
            load_in_turn(
                targets,
                wrk=run.wrk,
                settings=run.settings.wrk,
                runs=run.settings.runs,
                warmup_s=run.settings.warmup_s,
                workdir=run.workdir,
                log=run.log,
            )
        )
    except BenchError as exc:  # one endpoint's failure leaves the others measurable
        run.report.problems.append(f"{endpoint.label}: {exc}")
        return comparison
    comparison.mock, comparison.bare = summaries.get("mock"), summaries.get("bare")
    comparison.prism, comparison.connexion = summaries.get("prism"), summaries.get("connexion")
    return comparison


def usable_endpoints(run: Run, mock: ServerProcess) -> tuple[list[Endpoint], list[Payload]]:
    """The endpoints of every served API that answer as expected, with those answers."""
    endpoints, run.report.missing_apis = discover(mock.url, run.settings.apis, run.log)
    run.report.apis = list(endpoints)
    usable, payloads = [], []
    for endpoint in (e for listed in endpoints.values() for e in listed):
        try:
            payloads += record_payloads(mock.url, [endpoint])
            usable.append(endpoint)
        except BenchError as exc:
            run.report.problems.append(f"{endpoint.label} left out: {exc}")
    return usable, payloads


def throughput_phase(run: Run) -> None:
    """The mock and bare Starlette side by side for the whole phase, Prism one API at a time."""
    mock = run.start_mock()
    with running(run.pool, mock):
        endpoints, payloads = usable_endpoints(run, mock)
        if not endpoints:
            run.report.problems.append("no endpoint of the mock answered as expected: nothing to load")
            return
        floor = (
            run.start_recorded("connexion_floor", payloads, "/_floor/health")
            if run.settings.with_connexion_floor
            else None
        )
        try:
            with running(run.pool, run.start_recorded("bare_app", payloads, "/_bare/health")) as bare:
                for api in dict.fromkeys(e.api for e in endpoints):
                    prism = run.start_prism(api)
                    try:
                        for endpoint in (e for e in endpoints if e.api == api):
                            run.report.comparisons.append(compare_endpoint(run, endpoint, mock, bare, prism, floor))
                    finally:
                        if prism is not None:
                            run.pool.stop(prism)
        finally:
            if floor is not None:
                run.pool.stop(floor)
        if run.py_spy is not None and run.py_spy.path is not None:
            for endpoint in endpoints:
                profile_endpoint(run, run.py_spy.path, mock, endpoint)


def profile_endpoint(run: Run, py_spy: str, mock: ServerProcess, endpoint: Endpoint) -> None:
    out = run.settings.out_dir / "profiles" / f"{endpoint.api}-{endpoint.kind}.folded"
    try:
        text = profile_under_load(
            py_spy,
            mock.pid,
            wrk=run.wrk,
            url=mock.url + endpoint.path,
            headers=endpoint.headers,
            settings=run.settings.wrk,
            out=out,
            root=run.settings.root,
            workdir=run.workdir,
        )
    except BenchError as exc:
        run.report.problems.append(str(exc))
        return
    shown = text.relative_to(run.settings.root) if text.is_relative_to(run.settings.root) else text
    run.report.profiles[endpoint.label] = str(shown)
    run.log(f"profile of {endpoint.label}: {shown}")


def memory_phase(run: Run) -> None:
    """Each store size in turn, smallest first (the first one is the baseline of added bytes)."""
    apis = run.report.apis or list(run.settings.apis or ())
    for size in run.settings.sizes:
        point = measure_size(
            size, apis=apis, settings=run.settings, pool=run.pool, wrk=run.wrk, workdir=run.workdir, log=run.log
        )
        run.report.add_memory_point(point)


def verify_phase(run: Run) -> None:
    run.report.verify = time_verify(run.settings, run.pool, run.workdir, run.log)


def run_benchmark(settings: BenchSettings, log: Log, command: Sequence[str]) -> BenchReport:
    """Every phase the settings ask for; the report is complete even when phases fail.

    Raises ``ToolMissing`` only when wrk cannot be had (nothing can be measured without it).
    """
    began = time.perf_counter()
    report = BenchReport(_now(), list(command), settings.to_json(), Machine.detect())
    wrk = ensure_wrk(log)
    prism = (
        ensure_prism(settings.root / ".venv" / "node", log)
        if settings.with_prism
        else Tool("prism", None, note="skipped (--no-prism)")
    )
    py_spy = ensure_py_spy(log) if settings.with_profile else None
    for tool in (wrk, prism, py_spy):
        if tool is not None:
            report.tools[tool.name] = tool.version if tool.path else f"not available ({tool.note})"
    phases: list[tuple[str, Callable[[Run], None]]] = [("start-up", startup_phase), ("throughput", throughput_phase)]
    if settings.with_memory:
        phases.append(("memory by size", memory_phase))
    if settings.with_verify:
        phases.append(("verify", verify_phase))
    with tempfile.TemporaryDirectory(prefix="exportkit-bench-") as scratch, ServerPool(log) as pool:
        run = Run(settings, pool, Path(scratch), log, report, wrk.path or "wrk", prism, py_spy)
        for name, phase in phases:
            log(f"== {name}")
            try:
                phase(run)
            except BenchError as exc:
                report.problems.append(f"{name}: {exc}")
                log(f"{name} failed: {exc}")
            except Exception as exc:  # a bug in one phase must not lose the figures of the others
                report.problems.append(f"{name}: internal error {type(exc).__name__}: {exc}")
                log(f"{name} failed with an internal error:\n{traceback.format_exc()}")
    report.machine.load_after = os.getloadavg()
    report.goals = evaluate(report)
    report.finished_at = _now()
    report.seconds = round(time.perf_counter() - began, 1)
    return report


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
