"""The JSON report: ``Run.to_dict`` with stable key order; ``load`` reads it back into a ``Run``.

It is the report every other one can be rebuilt from (``exportkit report --from results.json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contract_tests.results import Run
from tools.errors import ReportInputError
from tools.reports.common import write_atomic

FILENAME = "results.json"


def render(run: Run) -> str:
    """The run as indented JSON with sorted keys, so two equal runs give identical files."""
    return json.dumps(run.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(run: Run, path: Path) -> Path:
    """Write ``render(run)`` to ``path`` atomically; returns ``path``."""
    return write_atomic(path, render(run))


def parse(text: str, *, source: str = "<string>") -> Run:
    """A ``Run`` from the text of a JSON report; raises ``ReportInputError`` naming what is wrong."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportInputError(source, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("apis"), list):
        raise ReportInputError(source, "not an exportkit JSON report (no 'apis' list at the top)")
    try:
        return Run.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportInputError(source, f"not an exportkit JSON report: {type(exc).__name__}: {exc}") from exc


def load(path: Path) -> Run:
    """Read a JSON report written by ``write``; raises ``ReportInputError`` if it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReportInputError(str(path), "no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError(str(path), f"cannot be read: {exc}") from exc
    return parse(text, source=str(path))
