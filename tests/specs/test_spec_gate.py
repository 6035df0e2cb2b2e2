"""The spec gate: every spec in specs/ loads in each tool that consumes it and passes the project lint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import connexion
import pytest
import schemathesis
from connexion.resolver import Resolver
from openapi_core import OpenAPI
from openapi_spec_validator import validate
from schemathesis.core.result import Err

from specs import API_NAMES, Lifecycle, load_spec, spec_path
from specs.lint import lint_spec

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "spectral"


def _unused_handler(**_: Any) -> None:
    raise AssertionError("the gate never serves a request")


@pytest.fixture(params=API_NAMES)
def api(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_spec_exists_and_is_openapi_303(api: str) -> None:
    assert spec_path(api).is_file(), f"specs/{api}.yaml is missing"
    assert load_spec(api)["openapi"] == "3.0.3"


def test_passes_openapi_spec_validator(api: str) -> None:
    validate(load_spec(api))


def test_loads_in_connexion(api: str) -> None:
    app = connexion.AsyncApp(__name__)
    app.add_api(spec_path(api), base_path=f"/{api}", resolver=Resolver(function_resolver=lambda _: _unused_handler))


def test_loads_in_openapi_core(api: str) -> None:
    OpenAPI.from_dict(load_spec(api))


def test_loads_in_schemathesis(api: str) -> None:
    schema = schemathesis.openapi.from_path(spec_path(api))
    results = list(schema.get_all_operations())
    broken = [str(result.err()) for result in results if isinstance(result, Err)]
    assert not broken, broken
    assert results, "Schemathesis found no operations"


def test_lifecycle_extension_is_consistent(api: str) -> None:
    lifecycle = Lifecycle.from_spec(load_spec(api), api)
    assert lifecycle.downloadable


def test_passes_project_lint(api: str) -> None:
    problems = lint_spec(load_spec(api), api)
    assert not problems, "\n".join(str(p) for p in problems)


@pytest.fixture(scope="module")
def spectral_findings() -> list[dict[str, Any]]:
    """One Spectral run over every spec (node start-up dominates, so lint them together)."""
    spectral = os.environ.get("SPECTRAL") or (str(SPECTRAL) if SPECTRAL.exists() else shutil.which("spectral"))
    assert spectral, "Spectral is not installed: `make install` puts it in .venv/node (needs node and npm)"
    paths = [str(spec_path(api)) for api in API_NAMES if spec_path(api).is_file()]
    result = subprocess.run(
        [spectral, "lint", *paths, "--ruleset", str(ROOT / ".spectral.yaml"), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Spectral prints the JSON array, then a human summary line: read only the array.
    findings, _ = json.JSONDecoder().raw_decode(result.stdout.strip() or "[]")
    assert isinstance(findings, list), result.stdout + result.stderr
    return findings


def test_spectral_oas_reports_no_errors(api: str, spectral_findings: list[dict[str, Any]]) -> None:
    mine = [f for f in spectral_findings if Path(f.get("source", "")).resolve() == spec_path(api)]
    errors = [f for f in mine if f.get("severity") == 0]
    assert not errors, "\n".join(f"{'.'.join(map(str, f['path']))}: {f['message']}" for f in errors)
