"""One benchmark run, phase by phase, into a ``BenchReport``.

Phases: tools (wrk, Prism, py-spy), start-up of the mock, throughput against bare Starlette and
Prism, memory and latency by store size, and the default verify. A phase that fails records the
problem and the run goes on; every server started is stopped when the run ends, also on Ctrl-C.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bare_app import save_payloads
from benchmarks.endpoints import Endpoint
from benchmarks.errors import BenchError
from benchmarks.goals import evaluate
from benchmarks.installers import Tool, ensure_prism, ensure_py_spy, ensure_wrk
from benchmarks.memory import measure_size
from benchmarks.processes import ServerPool, ServerProcess, free_port, running
from benchmarks.profiling import profile_under_load
from benchmarks.results import BenchReport, Comparison, Machine, Startup
from benchmarks.settings import BenchSettings
from benchmarks.stats import median
from benchmarks.throughput import Target, compare, discover, prism_endpoint, probe, record_payloads
from benchmarks.verify_time import time_verify
from specs import spec_path

Log = Callable[[str], None]
PRISM_START_TIMEOUT_S = 90.0


def _healthy(status: int | None) -> bool:
    return status == 200


def mock_argv(settings: BenchSettings, port: int) -> list[str]:
    """``python -m mockserver`` with its defaults (all APIs, memory store, validation and auth on)."""
    argv = [settings.python, "-m", "mockserver", "--port", str(port)]
    for api in settings.apis or ():
        argv += ["--api", api]
    return argv


def start_mock(pool: ServerPool, settings: BenchSettings, workdir: Path, name: str = "mock") -> ServerProcess:
    port = free_port()
    return pool.start(name, mock_argv(settings, port), port=port, logdir=workdir, ready_path="/_control/health",
                      timeout=settings.start_timeout_s, ready=_healthy)  # fmt: skip


def measure_startup(settings: BenchSettings, pool: ServerPool, workdir: Path) -> Startup:
    """Fresh starts of the mock, each timed from spawn to its first ``200`` on the health route."""
    runs = []
    for number in range(settings.startup_runs):
        server = start_mock(pool, settings, workdir, name=f"startup-{number + 1}")
        with running(pool, server):
            runs.append(round(server.startup_s, 3))
    command = mock_argv(settings, 0)[1:]
    return Startup(runs, round(median(runs), 3) if runs else None, ["python", *command[:-1], "PORT"])


def start_prism(tool: Tool, api: str, pool: ServerPool, workdir: Path) -> ServerProcess:
    assert tool.path is not None
    port = free_port()
    argv = [tool.path, "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "error", str(spec_path(api))]
    return pool.start(f"prism-{api}", argv, port=port, logdir=workdir, timeout=PRISM_START_TIMEOUT_S)


def compare_api(
    api: str,
    endpoints: Sequence[Endpoint],
    *,
    mock: ServerProcess,
    bare: ServerProcess,
    prism_tool: Tool,
    settings: BenchSettings,
    pool: ServerPool,
    wrk: str,
    workdir: Path,
    log: Log,
    report: BenchReport,
) -> None:
    """Every endpoint of ``api`` on the mock, bare Starlette and (if it can be had) Prism."""
    prism: ServerProcess | None = None
    if prism_tool.path is not None:
        try:
            prism = start_prism(prism_tool, api, pool, workdir)
        except BenchError as exc:
            report.problems.append(f"Prism for {api} did not start: {exc}")
    try:
        for endpoint in endpoints:
            comparison = Comparison(api, endpoint.kind, endpoint.path)
            targets = [
                Target("mock", mock.url, endpoint.path, endpoint.headers),
                Target("bare", bare.url, endpoint.path, endpoint.headers),
            ]
            example = prism_endpoint(api, endpoint.kind) if prism else None
            if prism is not None and example is not None:
                try:
                    probe(Target("prism", prism.url, example.path, example.headers), None)
                    targets.append(Target("prism", prism.url, example.path, example.headers))
                    comparison.prism_path = example.path
                except BenchError as exc:
                    comparison.notes.append(f"Prism left out: {exc}")
            log(f"{endpoint.label}: {', '.join(t.name for t in targets)}")
            summaries = compare(targets, wrk=wrk, settings=settings.wrk, runs=settings.runs,
                                warmup_s=settings.warmup_s, workdir=workdir, log=log)  # fmt: skip
            comparison.mock = summaries.get("mock")
            comparison.bare = summaries.get("bare")
            comparison.prism = summaries.get("prism")
            report.comparisons.append(comparison)
    finally:
        if prism is not None:
            pool.stop(prism)


def throughput_phase(
    settings: BenchSettings, pool: ServerPool, wrk: Tool, prism: Tool, py_spy: Tool | None, workdir: Path,
    log: Log, report: BenchReport,
) -> None:  # fmt: skip
    """The mock and bare Starlette side by side for the whole phase, Prism one API at a time."""
    assert wrk.path is not None
    mock = start_mock(pool, settings, workdir)
    with running(pool, mock):
        endpoints, report.missing_apis = discover(mock.url, settings.apis, log)
        report.apis = list(endpoints)
        usable: dict[str, list[Endpoint]] = {}
        payloads = []
        for api, listed in endpoints.items():
            for endpoint in listed:
                try:
                    payloads += record_payloads(mock.url, [endpoint])
                    usable.setdefault(api, []).append(endpoint)
                except BenchError as exc:
                    report.problems.append(f"{endpoint.label} left out: {exc}")
        if not payloads:
            report.problems.append("no endpoint of the mock answered as expected: nothing to load")
            return
        save_payloads(payloads, workdir / "payloads.json")
        port = free_port()
        bare = pool.start("bare-starlette", [settings.python, "-m", "benchmarks.bare_app", "--port", str(port),
                          "--payloads", str(workdir / "payloads.json")], port=port, logdir=workdir,
                          ready_path="/_bare/health", ready=_healthy)  # fmt: skip
        with running(pool, bare):
            for api, listed in usable.items():
                compare_api(api, listed, mock=mock, bare=bare, prism_tool=prism, settings=settings, pool=pool,
                            wrk=wrk.path, workdir=workdir, log=log, report=report)  # fmt: skip
        if py_spy is not None and py_spy.path is not None:
            for endpoint in (e for listed in usable.values() for e in listed):
                out = settings.out_dir / "profiles" / f"{endpoint.api}-{endpoint.kind}.folded"
                try:
                    text = profile_under_load(py_spy.path, mock.pid, wrk=wrk.path, url=mock.url + endpoint.path,
                                              headers=endpoint.headers, settings=settings.wrk, out=out,
                                              root=settings.root)  # fmt: skip
                    report.profiles[endpoint.label] = str(text.relative_to(settings.root))
                except BenchError as exc:
                    report.problems.append(str(exc))


def run_benchmark(settings: BenchSettings, log: Log, command: Sequence[str]) -> BenchReport:
    """Every phase the settings ask for; the report is complete even when phases fail."""
    began = time.perf_counter()
    report = BenchReport(
        started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        command=list(command),
        settings=settings.to_json(),
        machine=Machine.detect(),
    )
    wrk = ensure_wrk(log)
    prism = ensure_prism(settings.root / ".venv" / "prism", log) if settings.with_prism else Tool(
        "prism", None, note="skipped (--no-prism)")  # fmt: skip
    py_spy = ensure_py_spy(log) if settings.with_profile else None
    for tool in (wrk, prism, py_spy):
        if tool is not None:
            report.tools[tool.name] = tool.version if tool.path else f"not available ({tool.note})"
    assert wrk.path is not None
    with tempfile.TemporaryDirectory(prefix="exportkit-bench-") as scratch, ServerPool(log) as pool:
        workdir = Path(scratch)
        phases: list[tuple[str, Callable[[], None]]] = [
            ("start-up", lambda: setattr(report, "startup", measure_startup(settings, pool, workdir))),
            ("throughput", lambda: throughput_phase(settings, pool, wrk, prism, py_spy, workdir, log, report)),
        ]
        if settings.with_memory:
            phases.append(("memory by size", lambda: _memory_phase(settings, pool, wrk.path or "", workdir, log, report)))
        if settings.with_verify:
            phases.append(("verify", lambda: setattr(report, "verify", time_verify(settings, pool, workdir, log))))
        for name, phase in phases:
            log(f"== {name}")
            try:
                phase()
            except BenchError as exc:
                report.problems.append(f"{name}: {exc}")
                log(f"{name} failed: {exc}")
    report.machine.load_after = os.getloadavg()
    report.goals = evaluate(report)
    report.finished_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    report.seconds = round(time.perf_counter() - began, 1)
    return report


def _memory_phase(
    settings: BenchSettings, pool: ServerPool, wrk: str, workdir: Path, log: Log, report: BenchReport
) -> None:
    apis = report.apis or list(settings.apis or ())
    for size in settings.sizes:
        point = measure_size(size, apis=apis, settings=settings, pool=pool, wrk=wrk, workdir=workdir, log=log)
        report.add_memory_point(point)
