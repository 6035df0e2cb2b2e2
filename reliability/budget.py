"""How hard the reliability runs push: cases per API, clients, seconds (``Budget.from_env``).

Two profiles follow the test suite's Hypothesis profiles: ``ci`` (``HYPOTHESIS_PROFILE=ci`` or
``CI`` set) holds the figures the issue asks for, ``dev`` is a quick local run. Every figure can
be overridden by an environment variable, e.g. ``EXPORTKIT_LOAD_SECONDS=60`` for the issue's
one-minute load.

    >>> Budget.from_env({"CI": "true"}).fuzz_cases_per_api
    2000
    >>> Budget.from_env({"EXPORTKIT_LOAD_SECONDS": "60"}).load_seconds
    60.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

# variable name -> Budget field; values are parsed with the field's type
OVERRIDES: Mapping[str, str] = {
    "EXPORTKIT_FUZZ_CASES": "fuzz_cases_per_api",
    "EXPORTKIT_LOAD_SECONDS": "load_seconds",
    "EXPORTKIT_LOAD_CLIENTS": "load_clients",
    "EXPORTKIT_CRASH_KILLS": "crash_kills",
    "EXPORTKIT_CONCURRENT_CREATES": "concurrent_creates",
}


@dataclass(frozen=True)
class Budget:
    """The size of each reliability run."""

    profile: str
    fuzz_cases_per_api: int  # Schemathesis negative cases (coverage + fuzzing phases) per API
    load_seconds: float  # wall time of the create -> poll -> download load
    load_clients: int  # concurrent clients of that load
    crash_kills: int  # kill -9 of the mock during the crash run
    concurrent_creates: int  # identical creates sent at once (idempotency, dedupe)
    time_scale: float = 10.0  # the mock's --time-scale: a job is ready in well under a second
    poll_interval: float = 0.05  # seconds between two polls of one client

    @classmethod
    def for_profile(cls, profile: str) -> Budget:
        """The figures of ``ci`` (the issue's) or ``dev`` (a quick local run)."""
        if profile == "ci":
            return cls("ci", fuzz_cases_per_api=2000, load_seconds=20.0, load_clients=50, crash_kills=2,
                       concurrent_creates=50)  # fmt: skip
        return cls("dev", fuzz_cases_per_api=250, load_seconds=6.0, load_clients=20, crash_kills=1,
                   concurrent_creates=20)  # fmt: skip

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Budget:
        """The profile the test suite uses (``HYPOTHESIS_PROFILE``, else ``ci`` under ``CI``), with overrides."""
        profile = environ.get("HYPOTHESIS_PROFILE") or ("ci" if environ.get("CI") else "dev")
        budget = cls.for_profile(profile)
        types = {f.name: f.type for f in fields(cls)}
        changes: dict[str, float | int] = {}
        for variable, name in OVERRIDES.items():
            raw = environ.get(variable)
            if raw is None:
                continue
            kind = float if types[name] in (float, "float") else int
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{variable}={raw!r} is not a number") from None
            if value <= 0 and name != "crash_kills":
                raise ValueError(f"{variable} must be > 0, got {raw!r}")
            changes[name] = value
        return replace(budget, **changes)  # type: ignore[arg-type]
