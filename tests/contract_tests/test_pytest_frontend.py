"""``pytest contract_tests --target …``: one test per check; breaks fail, gaps are skipped with the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.contract_tests.conftest import FakeTarget

ROOT = Path(__file__).resolve().parents[2]


def run_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "contract_tests", "-rfs", "-q", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_checks_run_as_tests(fake: FakeTarget, tmp_path: Path) -> None:
    fake.vendor.breaks = frozenset({"auth"})
    target = fake.target(clock=False)  # no clock: url-expiry (60 s) cannot be covered
    path = tmp_path / "target.yaml"
    data = {"api": target.api, "base_url": target.base_url, "spec": target.spec}
    data["provider_states_url"] = target.provider_states_url
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run_pytest("--target", str(path), "--checks", "auth,url-expiry,readiness-gate", "--seed", "3")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "FAILED contract_tests/test_contract.py::test_check[auth]" in out
    assert "[auth] getExport with missing apiKey credentials is not refused as documented" in out
    assert "reproduce: curl -i " in out
    assert "not covered: the URL lives 60 s and the target has no clock_url to advance" in out
    assert "1 failed, 1 passed, 22 skipped" in out  # 11 domain + 13 Schemathesis checks


def test_a_bad_target_is_a_tool_error_not_a_pass(tmp_path: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text("api: curaeai\n", encoding="utf-8")
    done = run_pytest("--target", str(path), "--checks", "auth")
    assert done.returncode == 1
    assert "tool error:" in done.stdout
    assert "no base URL given" in done.stdout
