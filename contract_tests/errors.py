"""What can go wrong in a conformance run, kept in two families that never mix.

A ``Failure`` is the target's fault: it broke a rule of its contract. A ``ToolError`` is not:
the checker could not be used as asked (bad target file, unknown API, unreachable host), and
the command line exits 2. ``NotCovered`` is neither: a check could not get the state or
capability it needs, so it reports *not covered* with the reason instead of passing.

    Exception
    ├── ToolError                    the checker cannot run as asked (exit 2)
    │   ├── TargetError              bad target file, URL or flag (names the source and member)
    │   ├── TargetUnreachable        the target's base URL does not answer at the start
    │   ├── UnknownApi               no spec of that name and no custom spec path
    │   ├── SpecUnusable             the spec cannot be loaded or its x-lifecycle is invalid
    │   └── UnknownCheck             a check id that the registry does not know
    ├── NotCovered                   a check cannot get the state it needs (-> not_covered)
    └── AssertionError
        └── Failure                  a contract break, carrying a results.FailureRecord
"""

from __future__ import annotations

from dataclasses import dataclass

from contract_tests.results import FailureRecord


class ToolError(Exception):
    """Base class: the checker cannot run as asked. Its ``str`` is one line."""


@dataclass(eq=False)
class TargetError(ToolError):
    """A target file, URL or flag is unusable; ``source`` names where, ``problem`` what."""

    source: str
    problem: str

    def __str__(self) -> str:
        return f"{self.source}: {self.problem}"


@dataclass(eq=False)
class TargetUnreachable(ToolError):
    """The target does not answer HTTP at all (connection refused, DNS, TLS, timeout)."""

    url: str
    reason: str

    def __str__(self) -> str:
        return f"target unreachable at {self.url}: {self.reason}"


@dataclass(eq=False)
class UnknownApi(ToolError):
    """The target names an API that has no spec here, and gives no custom spec path."""

    name: str
    known: tuple[str, ...]

    def __str__(self) -> str:
        return f"unknown API {self.name!r}; known: {', '.join(self.known)} (or give a custom spec path)"


@dataclass(eq=False)
class SpecUnusable(ToolError):
    """The spec file cannot be read, or its ``x-lifecycle`` is inconsistent."""

    api: str
    problem: str

    def __str__(self) -> str:
        return f"spec of {self.api!r} is unusable: {self.problem}"


@dataclass(eq=False)
class UnknownCheck(ToolError):
    """A requested check id is not in the registry."""

    check_id: str
    known: tuple[str, ...]

    def __str__(self) -> str:
        return f"unknown check {self.check_id!r}; known: {', '.join(self.known)}"


@dataclass(eq=False)
class NotCovered(Exception):
    """A check cannot get the state or capability it needs; reported not_covered with ``reason``."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class Failure(AssertionError):
    """A contract break: the target answered against its spec. Carries the full record."""

    def __init__(self, record: FailureRecord) -> None:
        super().__init__(record.message)
        self.record = record

    def __str__(self) -> str:
        r = self.record
        lines = [f"[{r.check_id}] {r.message}", f"  expected: {r.expected}", f"  observed: {r.observed}"]
        if r.spec_clause:
            lines.append(f"  spec: {r.spec_clause}")
        if r.curl:
            lines.append(f"  reproduce: {r.curl}")
        return "\n".join(lines)


__all__ = [
    "Failure",
    "NotCovered",
    "SpecUnusable",
    "TargetError",
    "TargetUnreachable",
    "ToolError",
    "UnknownApi",
    "UnknownCheck",
]
