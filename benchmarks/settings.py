"""What one benchmark run is asked to do (``BenchSettings``) and how it reports progress (``Log``).

The defaults are the issue's: wrk with 32 connections on loopback, three short runs per target
(medians), store sizes 1k, 10k and 100k (plus an empty store as the memory baseline), three
fresh starts for the start-up time, and the whole run well under ten minutes on two cores.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.wrk import WrkSettings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (0, 1_000, 10_000, 100_000)
ROTATION = 100  # distinct stored exports a by-size run cycles through (fewer than the artifact cache holds)


@dataclass(frozen=True)
class BenchSettings:
    """Every knob of a run; ``to_json`` is written into the results."""

    wrk: WrkSettings = field(default_factory=WrkSettings)
    runs: int = 3
    warmup_s: int = 1
    apis: tuple[str, ...] | None = None  # None: every API the mock serves
    sizes: tuple[int, ...] = DEFAULT_SIZES
    startup_runs: int = 3
    with_prism: bool = True
    with_memory: bool = True
    with_verify: bool = True
    with_profile: bool = False
    with_connexion_floor: bool = False
    verify_timeout_s: float = 240.0
    start_timeout_s: float = 60.0
    out_dir: Path = ROOT / "benchmarks" / "results"
    python: str = sys.executable
    root: Path = ROOT

    def __post_init__(self) -> None:
        if self.runs < 1 or self.startup_runs < 0:
            raise ValueError("runs must be >= 1 and startup runs >= 0")
        if any(size < 0 for size in self.sizes) or list(self.sizes) != sorted(set(self.sizes)):
            raise ValueError("sizes must be distinct, ascending and >= 0")
        if not 0 <= self.warmup_s <= 60:
            raise ValueError("warm-up must be 0..60 s")

    def to_json(self) -> dict[str, Any]:
        plain = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("wrk", "root")}
        plain["out_dir"] = str(self.out_dir)
        plain["apis"] = list(self.apis) if self.apis is not None else None
        plain["sizes"] = list(self.sizes)
        return {**dataclasses.asdict(self.wrk), **plain}


class Log:
    """Progress lines on stderr (stdout carries the results table)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[bench] {message}", file=sys.stderr, flush=True)
