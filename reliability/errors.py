"""Errors of the reliability harness. Each is a dataclass whose fields a report can print.

HarnessError(Exception)        base class of everything the harness raises on purpose
├── MockStartError             the mock process did not come up (command, log tail)
├── RecipeError                an API's spec or target lacks what a load client needs
└── TargetError                a target description could not be read

What the harness *finds* (a lost job, a 5xx, an error outside the envelope) is not an
exception: it is a ``Finding`` in a report, so one run lists every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass


class HarnessError(Exception):
    """Base class of the harness's own errors (the harness, not the server, is at fault)."""


@dataclass
class MockStartError(HarnessError):
    """``python -m mockserver`` did not answer its health check in time."""

    command: str
    problem: str
    log_tail: str = ""

    def __str__(self) -> str:
        tail = f"\n--- mock log (tail) ---\n{self.log_tail}" if self.log_tail else ""
        return f"mock did not start ({self.problem}): {self.command}{tail}"


@dataclass
class RecipeError(HarnessError):
    """A load client cannot be built for ``api`` (a missing operation, fixture or credential)."""

    api: str
    problem: str

    def __str__(self) -> str:
        return f"{self.api}: {self.problem}"


@dataclass
class TargetError(HarnessError):
    """The target description at ``source`` is unusable."""

    source: str
    problem: str

    def __str__(self) -> str:
        return f"target {self.source}: {self.problem}"


@dataclass(frozen=True)
class Finding:
    """One problem a run observed: which check, where, and what was seen (one line each)."""

    check: str  # lost | duplicated | backwards | leak | server-error | envelope | unexpected | ...
    api: str
    where: str  # e.g. "POST /curaeai/api/sdk/v1/records/exports" or a job id
    observed: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.api} {self.where}: {self.observed}"
