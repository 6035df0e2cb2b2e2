"""Errors of the command line and the report writers: each is one clear line for the user.

CliError(Exception)               the command cannot go on; exit 2, printed as one line
├── UsageError                    the arguments are wrong (unknown API, bad --format, ...)
├── ReportInputError              a JSON report given to ``report --from`` cannot be read
├── ReportWriteError              the report folder cannot be written
└── WalkthroughError              the demo's lifecycle walk-through could not finish a step

Contract failures are not errors here: they are data in ``contract_tests.results``.
"""

from __future__ import annotations

from dataclasses import dataclass


class CliError(Exception):
    """Base class: the command cannot go on (exit status 2)."""


@dataclass
class UsageError(CliError):
    """The command line is wrong; ``hint`` says what would be right."""

    problem: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.problem} ({self.hint})" if self.hint else self.problem


@dataclass
class ReportInputError(CliError):
    """A JSON report cannot be read back into a ``Run``."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class WalkthroughError(CliError):
    """One step of the demo's walk-through of an API's lifecycle failed."""

    api: str
    step: str
    problem: str

    def __str__(self) -> str:
        return f"{self.api}: walk-through step {self.step!r} failed: {self.problem}"


@dataclass
class ReportWriteError(CliError):
    """A report cannot be written where it was asked to go."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"cannot write reports to {self.path}: {self.problem}"
