"""``benchmarks.installers``: the pins the harness installs are the project's."""

from __future__ import annotations

import tomllib
from pathlib import Path

from benchmarks.installers import PY_SPY_VERSION

ROOT = Path(__file__).resolve().parents[2]


def test_py_spy_pin_is_the_bench_extra_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert f"py-spy=={PY_SPY_VERSION}" in project["optional-dependencies"]["bench"]
