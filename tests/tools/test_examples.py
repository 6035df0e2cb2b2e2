"""The examples stay usable: the workflow is valid YAML doing what it promises; the target file loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contract_tests.target import Target

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_workflow_verifies_publishes_and_fails_on_1_and_2() -> None:
    workflow: dict[Any, Any] = yaml.safe_load((EXAMPLES / "github-actions" / "verify-staging.yml").read_text("utf-8"))
    steps = workflow["jobs"]["verify"]["steps"]
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    assert "pip install" in runs
    assert "exportkit verify" in runs
    assert "secrets.STAGING_BASE_URL" in str(steps)
    assert '>> "$GITHUB_STEP_SUMMARY"' in runs
    uses = [str(s.get("uses", "")) for s in steps]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("dorny/test-reporter@") for u in uses)
    gate = steps[-1]
    assert gate["if"] == "always()"
    for status in ("1", "2"):
        assert f"{status}) " in gate["run"]
        assert f"exit {status}" in gate["run"]
    publishing = [
        s for s in steps if "summary" in str(s.get("name", "")).lower() or ("uses" in s and "upload" in s["uses"])
    ]
    assert all(str(s.get("if", "")).startswith("always()") for s in publishing)


def test_example_target_file_loads() -> None:
    target = Target.from_path(EXAMPLES / "targets" / "curaeai-staging.example.yaml")
    assert target.api == "curaeai"
    assert set(target.tenants) == {"primary", "secondary"}
