"""Errors of the benchmark harness. Each is a dataclass whose fields say what went wrong.

BenchError(Exception)           the harness cannot measure something it was asked to
├── ToolMissing                 wrk, Prism or py-spy is absent and could not be installed
├── ServerStartError            a server did not answer its first request in time (or exited)
├── ProbeError                  an endpoint answered something else than the benchmark expects
├── WrkError                    wrk failed, timed out, or printed something that cannot be read
├── SetupError                  the mock's control plane refused a set-up call (provider state)
└── ProfileError                py-spy could not sample the mock

A step that cannot run because a collaborator is not ready yet (an API the mock does not serve,
``exportkit verify`` missing) is not an error: it is recorded as "not available" in the results.
"""

from __future__ import annotations

from dataclasses import dataclass


class BenchError(Exception):
    """Base class of the harness's own errors."""


@dataclass
class ToolMissing(BenchError):
    """A program the benchmark needs is absent and could not be installed."""

    tool: str
    problem: str

    def __str__(self) -> str:
        return f"{self.tool}: {self.problem}"


@dataclass
class ServerStartError(BenchError):
    """A server did not serve its first request (``log_tail`` is the end of its output)."""

    server: str
    problem: str
    log_tail: str = ""

    def __str__(self) -> str:
        tail = f"\n--- last output of {self.server} ---\n{self.log_tail}" if self.log_tail else ""
        return f"{self.server}: {self.problem}{tail}"


@dataclass
class ProbeError(BenchError):
    """An endpoint answered ``observed`` where the benchmark expects ``expected``."""

    url: str
    expected: str
    observed: str

    def __str__(self) -> str:
        return f"GET {self.url}: expected {self.expected}, got {self.observed}"


@dataclass
class WrkError(BenchError):
    """wrk did not produce a result for ``url``."""

    url: str
    problem: str

    def __str__(self) -> str:
        return f"wrk {self.url}: {self.problem}"


@dataclass
class SetupError(BenchError):
    """The mock refused a set-up call (``status`` and the start of its body)."""

    call: str
    status: int
    body: str

    def __str__(self) -> str:
        return f"{self.call}: HTTP {self.status}: {self.body[:300]}"


@dataclass
class ProfileError(BenchError):
    """py-spy could not sample ``target``."""

    target: str
    problem: str

    def __str__(self) -> str:
        return f"profile of {self.target}: {self.problem}"
