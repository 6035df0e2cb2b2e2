"""The figures file: one JSON document the lead quotes in the README.

Each run writes its own section (``bad_input``, ``load``, ``crash``...) into
``reports-out/reliability/figures.json``, keeping the sections other runs wrote. The file is
replaced atomically (write to a temporary file, then rename), so a crash mid-write leaves the
previous version, never half a document.

    >>> book = FiguresFile(tmp_path / "figures.json")             # doctest: +SKIP
    >>> book.update("load", {"requests": 1200, "errors": 0})       # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPORT_DIR_ENV = "EXPORTKIT_RELIABILITY_DIR"
FILE_NAME = "figures.json"


def default_path(root: Path, environ: Mapping[str, str]) -> Path:
    """``$EXPORTKIT_RELIABILITY_DIR/figures.json``, else ``<root>/reports-out/reliability/figures.json``."""
    folder = environ.get(REPORT_DIR_ENV)
    return (Path(folder) if folder else root / "reports-out" / "reliability") / FILE_NAME


class FiguresFile:
    """Sections of figures in one JSON file, merged on every update."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        """Everything recorded so far (an empty document if there is no readable file yet)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def update(self, section: str, figures: Mapping[str, Any], *, key: str | None = None) -> dict[str, Any]:
        """Set ``section`` (or ``section[key]``, e.g. one API of ``bad_input``) and write the file."""
        document = self.read()
        entry = {**figures, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if key is None:
            document[section] = entry
        else:
            current = document.get(section)
            document[section] = {**(current if isinstance(current, dict) else {}), key: entry}
        self._write(document)
        return document

    def _write(self, document: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".figures-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def render(section: str, figures: Mapping[str, Any]) -> str:
    """One section as indented JSON under a title line (what a test prints)."""
    return f"reliability figures: {section}\n" + json.dumps(figures, indent=2, sort_keys=True)
