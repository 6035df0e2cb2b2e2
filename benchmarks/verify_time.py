"""The wall time of the default ``exportkit verify`` of every API against a fresh mock.

The mock is started as a user would (``python -m mockserver``); verify runs with its defaults
(``--api ... --target http://127.0.0.1:PORT/_control/{api}/target``), reports into a scratch
folder. When the command line is not there yet, or the mock serves fewer than five APIs, the
result says so ("not available", "partial") instead of timing something else.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.errors import ServerStartError
from benchmarks.processes import ServerPool, free_port, running
from benchmarks.results import VerifyTiming
from benchmarks.settings import BenchSettings
from specs import API_NAMES

Log = Callable[[str], None]


def served_apis(mock_url: str) -> list[str]:
    """The APIs whose target description the mock serves."""
    with httpx.Client(base_url=mock_url, timeout=10.0) as client:
        return [api for api in API_NAMES if client.get(f"/_control/{api}/target").status_code == 200]


def classify(exit_code: int, apis: list[str], missing: list[str]) -> str:
    """``ok`` (exit 0 conformant or 1 contract failures, all APIs), ``partial``, or ``failed`` (exit 2+)."""
    if exit_code not in (0, 1):
        return "failed"
    return "partial" if missing else "ok"


def time_verify(settings: BenchSettings, pool: ServerPool, workdir: Path, log: Log) -> VerifyTiming:
    """Start a fresh mock, run the default verify of every API it serves, and time it."""
    exportkit = Path(settings.python).with_name("exportkit")
    if not exportkit.exists():
        return VerifyTiming("not available", note=f"{exportkit} is not installed")
    usage = subprocess.run(
        [str(exportkit), "verify", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    if usage.returncode != 0:
        return VerifyTiming("not available", note=f"'exportkit verify --help' exits {usage.returncode}")
    port = free_port()
    argv = [settings.python, "-m", "mockserver", "--port", str(port)]
    try:
        mock = pool.start(
            "verify-mock",
            argv,
            port=port,
            logdir=workdir,
            ready_path="/_control/health",
            timeout=settings.start_timeout_s,
            ready=lambda status: status == 200,
        )
    except ServerStartError as exc:
        return VerifyTiming("not available", note=f"the mock did not start: {exc.problem}")
    with running(pool, mock):
        apis = served_apis(mock.url)
        missing = [api for api in API_NAMES if api not in apis]
        if not apis:
            return VerifyTiming("not available", missing=missing, note="the mock serves no API")
        command = [
            str(exportkit),
            "verify",
            *[arg for api in apis for arg in ("--api", api)],
            "--target",
            f"{mock.url}/_control/{{api}}/target",
            "--report-dir",
            str(workdir / "verify-reports"),
        ]
        log(f"timing: {' '.join(command)}")
        began = time.perf_counter()
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=settings.verify_timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return VerifyTiming(
                "timeout",
                settings.verify_timeout_s,
                None,
                apis,
                missing,
                command,
                f"stopped after {settings.verify_timeout_s:g} s",
            )
        wall = time.perf_counter() - began
        (workdir / "verify.log").write_text(done.stdout + "\n--- stderr ---\n" + done.stderr, encoding="utf-8")
    status = classify(done.returncode, apis, missing)
    last = (done.stderr.strip().splitlines() or [""])[-1][:300]
    note = f"not served: {', '.join(missing)}" if missing else ""
    if status == "failed":
        note = f"{note}; last error: {last}".lstrip("; ")
    log(f"verify: {status}, {wall:.1f} s, exit {done.returncode}")
    return VerifyTiming(status, round(wall, 2), done.returncode, apis, missing, command, note)
