"""Bring the load generator and the comparison servers onto the machine, pinned, on first use.

- wrk from Debian's packages (``apt-get install wrk``; needs root, as the project's machines are);
- Prism (``@stoplight/prism-cli``) from npm into ``.venv/node``, the one npm prefix of the project
  (Spectral and ``tools/ensure_prism.sh`` use it too, at the same pinned version);
- py-spy (only for ``--profile``) from PyPI into the project's ``.venv``.

wrk is required: without it nothing can be measured. Prism and py-spy are optional: when they
cannot be had, ``Tool.path`` is ``None`` and ``Tool.note`` says why, and the run goes on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import ToolMissing

Log = Callable[[str], None]

PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.16.0"
PY_SPY_VERSION = "0.4.1"
INSTALL_TIMEOUT = 300.0


@dataclass(frozen=True)
class Tool:
    """A program the benchmark runs: where it is and its version, or why it is absent."""

    name: str
    path: str | None
    version: str = ""
    note: str = ""


def _run(argv: list[str], timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def _first_line(argv: list[str]) -> str:
    try:
        done = _run(argv, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else ""


def ensure_wrk(log: Log) -> Tool:
    """wrk on ``PATH``, installed with apt-get when missing; raises ``ToolMissing`` otherwise."""
    found = shutil.which("wrk")
    if found is None:
        apt = shutil.which("apt-get")
        if apt is None or os.geteuid() != 0:
            raise ToolMissing("wrk", "not installed, and apt-get as root is not available: install wrk by hand")
        log("installing wrk from Debian's packages (apt-get install wrk)...")
        env_argv = ["env", "DEBIAN_FRONTEND=noninteractive", apt, "-y", "-qq", "install", "wrk"]
        done = _run(env_argv)
        if done.returncode != 0:  # a fresh machine may have no package lists yet
            _run(["env", "DEBIAN_FRONTEND=noninteractive", apt, "-qq", "update"])
            done = _run(env_argv)
        found = shutil.which("wrk")
        if done.returncode != 0 or found is None:
            raise ToolMissing("wrk", f"apt-get install wrk failed: {done.stderr.strip()[-300:]}")
    version = _first_line([found, "--version"]).split(" [")[0].removeprefix("wrk ")
    return Tool("wrk", found, version)


def ensure_prism(prefix: Path, log: Log) -> Tool:
    """Prism CLI in ``prefix`` (npm install on first use); ``path=None`` with a note if impossible."""
    binary = prefix / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            return Tool("prism", None, note="node/npm not installed")
        log(f"installing {PRISM_PACKAGE}@{PRISM_VERSION} from npm into {prefix} ...")
        try:
            done = _run(
                [
                    npm,
                    "install",
                    "--silent",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(prefix),
                    f"{PRISM_PACKAGE}@{PRISM_VERSION}",
                ]
            )
        except subprocess.TimeoutExpired:
            return Tool("prism", None, note=f"npm install did not finish within {INSTALL_TIMEOUT:g} s")
        if done.returncode != 0 or not binary.exists():
            return Tool("prism", None, note=f"npm install failed: {done.stderr.strip()[-300:]}")
    return Tool("prism", str(binary), _first_line([str(binary), "--version"]))


def ensure_py_spy(log: Log) -> Tool:
    """py-spy beside this Python (pip install on first use); ``path=None`` with a note if impossible."""
    binary = Path(sys.executable).with_name("py-spy")
    if not binary.exists():
        log(f"installing py-spy=={PY_SPY_VERSION} from PyPI into {binary.parent} ...")
        try:
            done = _run([sys.executable, "-m", "pip", "install", "--quiet", f"py-spy=={PY_SPY_VERSION}"])
        except subprocess.TimeoutExpired:
            return Tool("py-spy", None, note="pip install did not finish in time")
        if done.returncode != 0 or not binary.exists():
            return Tool("py-spy", None, note=f"pip install failed: {done.stderr.strip()[-300:]}")
    return Tool("py-spy", str(binary), _first_line([str(binary), "--version"]).removeprefix("py-spy "))
