"""The results of one benchmark run as plain data, and writing them (JSON and Markdown).

``BenchReport`` is what every phase fills in and what ``write_results`` turns into
``results/latest.json`` (for machines) and ``results/latest.md`` (for people). A figure that
could not be measured is ``None`` with a note saying why, never a made-up number.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.stats import Summary, per_item_bytes, ratio


@dataclass
class Machine:
    """Where the figures were taken; the load averages show whether others used the CPU meanwhile."""

    nproc: int
    memory_mib: int
    cpu_model: str
    kernel: str
    python: str
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @classmethod
    def detect(cls) -> Machine:
        return cls(
            nproc=os.cpu_count() or 0,
            memory_mib=_meminfo_mib(),
            cpu_model=_cpu_model(),
            kernel=platform.release(),
            python=sys.version.split()[0],
            load_before=os.getloadavg(),
        )


@dataclass
class Comparison:
    """One endpoint on the three targets, loaded in turn with the same wrk settings."""

    api: str
    kind: str
    path: str
    mock: Summary | None = None
    bare: Summary | None = None
    prism: Summary | None = None
    connexion: Summary | None = None  # the Connexion floor (``--connexion-floor``)
    prism_path: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def mock_vs_bare(self) -> float | None:
        return ratio(self.mock.requests_per_s if self.mock else None, self.bare.requests_per_s if self.bare else None)

    @property
    def mock_vs_prism(self) -> float | None:
        return ratio(self.mock.requests_per_s if self.mock else None, self.prism.requests_per_s if self.prism else None)

    @property
    def connexion_vs_bare(self) -> float | None:
        bare = self.bare.requests_per_s if self.bare else None
        return ratio(self.connexion.requests_per_s if self.connexion else None, bare)

    def to_json(self) -> dict[str, Any]:
        ratios = {
            "mock_vs_bare": self.mock_vs_bare,
            "mock_vs_prism": self.mock_vs_prism,
            "connexion_vs_bare": self.connexion_vs_bare,
        }
        return {**_plain_fields(self), **ratios}


@dataclass
class Startup:
    """Seconds from spawning ``python -m mockserver`` to its first answer, per fresh start."""

    runs_s: list[float] = field(default_factory=list)
    median_s: float | None = None
    command: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class MemoryPoint:
    """The mock holding ``exports`` stored exports: its memory and the latency of one endpoint."""

    exports: int
    rss_kib: int
    peak_rss_kib: int
    seed_s: float
    endpoint: str
    latency: Summary | None = None
    added_bytes_per_export: float | None = None  # vs the previous (smaller) size
    list_endpoint: str = ""
    list_latency: Summary | None = None  # a list of the tenant's jobs: does the store scan them all?


@dataclass
class VerifyTiming:
    """The wall time of the default ``exportkit verify`` of every API against a fresh mock."""

    status: str  # "ok", "partial" (some APIs not served), "not available", "failed", "timeout"
    wall_s: float | None = None
    exit_code: int | None = None
    apis: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Goal:
    """One target of the issue: what it asks, what was measured, and whether it is met (``None``: unknown)."""

    name: str
    target: str
    observed: str
    met: bool | None


@dataclass
class BenchReport:
    """Everything one run of ``python -m benchmarks`` measured."""

    started_at: str
    command: list[str]
    settings: dict[str, Any]
    machine: Machine
    tools: dict[str, str] = field(default_factory=dict)
    apis: list[str] = field(default_factory=list)
    missing_apis: dict[str, str] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)
    startup: Startup | None = None
    memory: list[MemoryPoint] = field(default_factory=list)
    verify: VerifyTiming | None = None
    goals: list[Goal] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)  # endpoint label -> summary file
    problems: list[str] = field(default_factory=list)
    finished_at: str = ""
    seconds: float = 0.0

    def add_memory_point(self, point: MemoryPoint) -> None:
        """Append a size (ascending order) and work out the memory it added per export."""
        if self.memory:
            before = self.memory[-1]
            point.added_bytes_per_export = per_item_bytes(before.rss_kib, point.rss_kib, before.exports, point.exports)
        self.memory.append(point)

    def to_json(self) -> dict[str, Any]:
        return _plain_fields(self)


def _plain_fields(value: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}


def _plain(value: Any) -> Any:
    """JSON-ready data: dataclasses through their ``to_json`` when they have one."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_json = getattr(value, "to_json", None)
        if to_json is not None:
            return to_json()
        return _plain_fields(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_results(report: BenchReport, directory: Path, markdown: str, stem: str = "latest") -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` into ``directory`` (created if needed), atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / f"{stem}.json", directory / f"{stem}.md"
    write_atomic(json_path, json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n")
    write_atomic(md_path, markdown)
    return json_path, md_path


def write_atomic(path: Path, text: str) -> None:
    """Write beside the target, then rename: an interrupted run never leaves half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _meminfo_mib() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
