"""Conformance report writers, one module per format, each a function of a ``Run``.

Every writer module has ``render(run) -> str``, ``write(run, path) -> Path`` and ``FILENAME``.

    >>> from tools.reports import write_reports
    >>> paths = write_reports(run, Path("reports-out"))          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from contract_tests.results import Run
from tools.errors import UsageError
from tools.reports import html, json, junit, markdown


@dataclass(frozen=True)
class ReportFormat:
    """One report format: its name on the command line, its file name and its writer."""

    name: str
    filename: str
    render: Callable[[Run], str]
    write: Callable[[Run, Path], Path]


FORMATS: dict[str, ReportFormat] = {
    m.__name__.rsplit(".", 1)[-1]: ReportFormat(m.__name__.rsplit(".", 1)[-1], m.FILENAME, m.render, m.write)
    for m in (junit, json, markdown, html)
}
ALL_FORMATS: tuple[str, ...] = tuple(FORMATS)


def parse_formats(text: str) -> tuple[str, ...]:
    """``"junit,html"`` -> ``("junit", "html")``; ``"all"`` -> every format; raises ``UsageError``."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--format is empty", f"choose from {','.join(ALL_FORMATS)} or all")
    if "all" in names:
        return ALL_FORMATS
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UsageError(f"unknown report format(s) {', '.join(unknown)}", f"choose from {','.join(ALL_FORMATS)}")
    return tuple(dict.fromkeys(names))


def write_reports(run: Run, directory: Path, formats: Iterable[str] = ALL_FORMATS) -> list[Path]:
    """Write the run in each of ``formats`` into ``directory`` (created if needed); returns the paths."""
    return [FORMATS[name].write(run, directory / FORMATS[name].filename) for name in formats]


def report_paths(directory: Path, formats: Sequence[str] = ALL_FORMATS) -> dict[str, Path]:
    """Where ``write_reports`` puts each format."""
    return {name: directory / FORMATS[name].filename for name in formats}


__all__ = ["ALL_FORMATS", "FORMATS", "ReportFormat", "parse_formats", "report_paths", "write_reports"]
