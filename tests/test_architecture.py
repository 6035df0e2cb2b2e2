"""The layering of ARCHITECTURE.md, enforced by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"specs", "mockserver", "contract_tests", "tools", "benchmarks", "reliability"}
ALLOWED = {
    "specs": {"specs"},
    "mockserver": {"specs", "mockserver"},
    "contract_tests": {"specs", "contract_tests"},
    "tools": {"specs", "mockserver", "contract_tests", "tools"},
    # Harnesses that measure the mock from outside; nothing imports them.
    "benchmarks": {"specs", "mockserver", "benchmarks"},
    "reliability": {"specs", "mockserver", "reliability"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"{package} imports layers it may not: {offenders}"


def test_detects_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import os\nfrom mockserver.app import create_app\n", encoding="utf-8")
    assert imported_packages(module) == {"mockserver"}
