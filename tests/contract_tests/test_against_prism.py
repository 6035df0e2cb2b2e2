"""``exportkit verify`` against Prism, a stateless mock of the same spec: it completes, never passes
the lifecycle, and says why.

Prism (``@stoplight/prism-cli``, installed pinned into ``.venv/node`` by ``tools/ensure_prism.sh``)
answers every request with the spec's examples: any id is "found", every create returns the
same job, and its download URLs are the examples' long-expired ones. The checker must run to the
end against it (exit 0 or 1, never 2, no traceback), write its JSON report, and report every
check that needs a real lifecycle as failed or not covered, with a reason a person can act on.
The test fails, and does not skip, when Prism cannot be installed or started.
"""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contract_tests.results import ApiRun, Outcome
from specs import API_NAMES, load_spec
from tools.cli import main
from tools.reports import json as json_report
from tools.services import default_services

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ENSURE_PRISM = ROOT / "tools" / "ensure_prism.sh"
INSTALL_TIMEOUT_S = 600.0  # a first npm install of Prism takes about half a minute
START_TIMEOUT_S = 60.0  # Prism takes a few seconds to start, more on a busy machine
STOP_GRACE_S = 10.0

# The domain checks that need a job to really move through its states; a stateless mock can
# never pass one of them. (auth and error-envelope do not depend on the lifecycle.)
LIFECYCLE_CHECKS = (
    "readiness-gate",
    "ready-download",
    "artifact",
    "url-expiry",
    "url-tamper",
    "fresh-url",
    "tenant-isolation",
    "lifecycle",
    "vendor-rules",
)
# Words of a reason that betray a crash of ours rather than an explanation for a person.
CRASH_MARKERS = ("Traceback", "internal error", "Exception", "KeyError", "TypeError", "AttributeError")

# Two tenants per API, keyed by the spec's security scheme names, in each vendor's documented
# shape (syntactically valid, known to no one): Prism checks only that they are present.
CREDENTIALS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "curaeai": ({"platformApiKey": "cae_test_prism_primary_0001"}, {"platformApiKey": "cae_test_prism_secondary_0002"}),
    "hookbridge": ({"apiKey": "hb_test_prism_primary_0001"}, {"apiKey": "hb_test_prism_secondary_0002"}),
    "carevalidate": (
        {
            "cvApiKey": "cv_prism_primary_0001",
            "accessToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcmltYXJ5In0.cHJpc20tcHJpbWFyeQ",
        },
        {
            "cvApiKey": "cv_prism_secondary_0002",
            "accessToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNvbmRhcnkifQ.cHJpc20tc2Vjb25kYXJ5",
        },
    ),
    "spaaza": (
        {"accessToken": "3fa85f64-5717-4562-b3fc-2c963f66afa6:prism-primary-secret"},
        {"accessToken": "9c4f5a1e-1b2c-4d3e-8f90-123456789abc:prism-secondary-secret"},
    ),
    "webadmit": ({"apiKey": "0123456789abcdef0123456789abcdef"}, {"apiKey": "fedcba9876543210fedcba9876543210"}),
}
# Values a create request needs that no example body carries (webadmit's path parameters), so
# the checker gets as far as Prism lets it instead of stopping at the first request.
FIXTURES: dict[str, dict[str, Any]] = {"webadmit": {"user_identity_id": 24567, "export_id": 1234}}


@pytest.fixture(scope="module")
def prism() -> str:
    """The pinned Prism binary; installing it is part of the test, so a failure fails, never skips."""
    try:
        done = subprocess.run(
            ["sh", str(ENSURE_PRISM)], capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{ENSURE_PRISM} did not finish within {INSTALL_TIMEOUT_S:g} s")
    binary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not os.access(binary, os.X_OK):
        pytest.fail(f"Prism could not be installed (exit {done.returncode}): {done.stderr.strip()[-1500:]}")
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Prism and the node processes it forked (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE_S)


def _log_tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-1500:]


@contextmanager
def running_prism(binary: str, api: str, log: Path) -> Iterator[str]:
    """``prism mock specs/<api>.yaml`` on 127.0.0.1 and a free port; yields its base URL, stops it on exit."""
    port = free_port()
    argv = [binary, "mock", str(ROOT / "specs" / f"{api}.yaml"), "-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"Prism exited with {process.returncode} before serving {api}:\n{_log_tail(log)}")
            try:
                httpx.get(url, timeout=1.0)  # any HTTP answer means it is serving
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    pytest.fail(f"Prism did not serve {api} within {START_TIMEOUT_S:g} s:\n{_log_tail(log)}")
                time.sleep(0.1)
        yield url
    finally:
        _stop(process)


def write_target(path: Path, api: str, base_url: str) -> Path:
    """A target without provider_states_url or clock_url: all a stateless mock can offer."""
    primary, secondary = CREDENTIALS[api]
    fixtures = FIXTURES.get(api, {})
    target = {
        "api": api,
        "base_url": base_url,
        "tenants": {
            "primary": {"credentials": primary, "fixtures": fixtures},
            "secondary": {"credentials": secondary, "fixtures": fixtures},
        },
    }
    path.write_text(yaml.safe_dump(target, sort_keys=False), encoding="utf-8")
    return path


def run_verify(api: str, base_url: str, target: Path, report_dir: Path) -> tuple[int, str, str]:
    """``exportkit verify`` in this process; returns (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    services = dataclasses.replace(default_services(), stdout=out, stderr=err, environ={"CI": "true"})
    argv = ["verify", "--api", api, "--base-url", base_url, "--target", str(target)]
    argv += ["--report-dir", str(report_dir), "--max-examples", "1", "--seed", "0"]
    return main(argv, services=services), out.getvalue(), err.getvalue()


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` does not explain itself to a person, or None when it does."""
    if len(reason.split()) < 5:
        return "fewer than five words"
    crash = next((m for m in CRASH_MARKERS if m in reason), None)
    return f"mentions {crash!r}" if crash else None


def test_credentials_cover_exactly_each_specs_security_schemes() -> None:
    for api in API_NAMES:
        schemes = set(load_spec(api)["components"]["securitySchemes"])
        for tenant in CREDENTIALS[api]:
            assert set(tenant) == schemes, api


@pytest.mark.parametrize("api", API_NAMES)
def test_verify_against_prism_completes_and_covers_no_lifecycle_check(prism: str, api: str, tmp_path: Path) -> None:
    with running_prism(prism, api, tmp_path / "prism.log") as base_url:
        target = write_target(tmp_path / "target.yaml", api, base_url)
        code, out, err = run_verify(api, base_url, target, tmp_path / "reports")

    assert code in (0, 1), f"exit {code}\n{err}\n{out}"
    assert "Traceback" not in out + err
    assert err == "", err
    run = json_report.load(tmp_path / "reports" / "results.json")
    (api_run,) = run.apis
    assert api_run.api == api
    assert api_run.tool_errors == [], api_run.tool_errors
    assert code == (1 if api_run.failed else 0), "the exit status disagrees with the report"
    assert not [c.check_id for c in api_run.checks if c.outcome is Outcome.ERROR]

    by_id = {c.check_id: c for c in api_run.checks}
    problems = []
    for check_id in LIFECYCLE_CHECKS:
        result = by_id[check_id]
        if result.outcome not in (Outcome.FAILED, Outcome.NOT_COVERED):
            problems.append(f"{check_id} is {result.outcome.value} against a stateless mock ({result.reason!r})")
            continue
        trouble = reason_problem(result.reason)
        if trouble:
            problems.append(f"{check_id}: unclear reason ({trouble}): {result.reason!r}")
        for failure in result.failures:
            if not (failure.expected and failure.observed and failure.curl):
                problems.append(f"{check_id}: a failure without expected/observed/curl: {failure.message!r}")
    assert not problems, "\n".join(problems) + "\n\n" + describe(api_run)


def describe(api_run: ApiRun) -> str:
    """One line per check, for the assertion message."""
    return "\n".join(f"{c.check_id}: {c.outcome.value}: {c.reason}" for c in api_run.checks)
