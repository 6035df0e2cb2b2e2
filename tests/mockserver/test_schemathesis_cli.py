"""Schemathesis' own CLI, all checks and all phases (stateful included), against each API of the mock.

The acceptance of the mock: zero failures, with the documented credentials of the mock's target
description. The configuration is derived at test time from the spec and the target
(``tests/mockserver/schemathesis/derive.py``, tested in ``schemathesis/test_derive.py``); the checks
turned off on an operation, and why, are in ``tests/mockserver/schemathesis/README.md``. Each run
gets a fresh mock and a temporary working folder (Schemathesis leaves caches there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mockserver.testing import running_mock
from specs import API_NAMES, Lifecycle, load_spec, spec_path
from tests.mockserver.schemathesis.derive import derive_config

PHASES = "examples,coverage,fuzzing,stateful"
SEED = 20260521
MOCK_SEED = 11
TIME_SCALE = 100
# The coverage phase costs the same at any --max-examples; these bound fuzzing and stateful.
CI_MAX_EXAMPLES = 15
DEV_MAX_EXAMPLES = 5
RUN_TIMEOUT_S = 600.0


def max_examples(environ: Mapping[str, str]) -> int:
    """Examples per operation for the Hypothesis profile in force (selected as ``tests/conftest.py`` does)."""
    profile = environ.get("HYPOTHESIS_PROFILE", "ci" if environ.get("CI") else "dev")
    return CI_MAX_EXAMPLES if profile == "ci" else DEV_MAX_EXAMPLES


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, DEV_MAX_EXAMPLES),
        ({"CI": "true"}, CI_MAX_EXAMPLES),
        ({"HYPOTHESIS_PROFILE": "ci"}, CI_MAX_EXAMPLES),
        ({"HYPOTHESIS_PROFILE": "dev", "CI": "true"}, DEV_MAX_EXAMPLES),
    ],
)
def test_examples_follow_the_hypothesis_profile(environ: dict[str, str], expected: int) -> None:
    assert max_examples(environ) == expected


@dataclass(frozen=True)
class CliRun:
    """One finished ``schemathesis run``: exit code, console output and its JSON run report."""

    returncode: int
    output: str
    report: dict[str, Any]

    def failure_codes(self) -> set[str]:
        return {str(failure["code"]) for failure in self.report.get("failures", [])}


def run_cli(api: str, base_url: str, config: Path, workdir: Path, *, examples: int, phases: str = PHASES) -> CliRun:
    """The real CLI from this interpreter's environment, with every check, in ``workdir``."""
    executable = Path(sys.executable).parent / "schemathesis"
    assert executable.is_file(), f"no Schemathesis CLI beside {sys.executable}"
    report = workdir / "report.json"
    command = [
        str(executable),
        "--config-file",
        str(config),
        "run",
        str(spec_path(api)),
        "--url",
        base_url,
        # No --checks: the derived file selects all of them (derive.ALL_CHECKS says why).
        "--phases",
        phases,
        "--max-examples",
        str(examples),
        "--seed",
        str(SEED),
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    output = done.stdout + (f"\n--- stderr ---\n{done.stderr}" if done.stderr.strip() else "")
    assert report.is_file(), f"Schemathesis wrote no report (exit {done.returncode}):\n{output}"
    return CliRun(done.returncode, output, json.loads(report.read_text(encoding="utf-8")))


def run_against_mock(api: str, workdir: Path, *, examples: int, phases: str = PHASES, violation: str = "") -> CliRun:
    """Start a fresh mock of ``api``, derive its configuration, run the CLI, stop the mock."""
    with running_mock([api], time_scale=TIME_SCALE, seed=MOCK_SEED) as mock:
        if violation:
            mock.set_fault(api, violation=violation)
        config = derive_config(load_spec(api), mock.target(api)).write(workdir / "config")
        return run_cli(api, mock.base_url(api), config, workdir, examples=examples, phases=phases)


def label_of(api: str, operation_id: str) -> str:
    """Schemathesis' label of an operation: ``POST /tasks``."""
    for path, item in load_spec(api)["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return f"{method.upper()} {path}"
    raise AssertionError(f"{api} has no operation {operation_id}")


@pytest.mark.slow
@pytest.mark.parametrize("api", API_NAMES)
def test_schemathesis_cli_finds_no_failure(api: str, tmp_path: Path) -> None:
    run = run_against_mock(api, tmp_path, examples=max_examples(os.environ))
    assert run.returncode == 0, f"Schemathesis failed on {api} (exit {run.returncode}):\n{run.output}"
    phases = {name: phase["status"] for name, phase in run.report["phases"].items()}
    assert phases == dict.fromkeys(PHASES.split(","), "success"), f"{api}: not every phase ran: {phases}"
    # Not vacuous: with the derived credentials and fixtures, generated creates are accepted (2xx).
    create = label_of(api, Lifecycle.from_spec(load_spec(api), api).operations.create)
    accepted = sum(rate["accepted"] for rate in run.report["valid_rates"].get(create, {}).values())
    assert accepted > 0, f"{api}: no generated {create} was accepted:\n{run.output}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("violation", "code"),
    [("tenant-isolation", "ST402"), ("auth", "ST401")],
    ids=["object_level_authorization", "ignored_auth"],
)
def test_a_broken_mock_fails_the_run(violation: str, code: str, tmp_path: Path) -> None:
    """The derived peers and credentials are live: a mock that leaks a job or skips auth fails the CLI."""
    run = run_against_mock("curaeai", tmp_path, examples=DEV_MAX_EXAMPLES, phases="stateful", violation=violation)
    assert run.returncode == 1, run.output
    assert code in run.failure_codes(), run.output
