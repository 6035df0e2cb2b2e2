"""Errors raised while loading a spec or reading its ``x-lifecycle`` extension.

SpecError(Exception)            a spec cannot be used
├── UnknownApiError             no spec of that name in specs/
└── LifecycleError              x-lifecycle is missing or inconsistent (names the member)
"""

from dataclasses import dataclass


class SpecError(Exception):
    """Base class: a spec cannot be used."""


@dataclass
class UnknownApiError(SpecError):
    name: str
    known: tuple[str, ...]

    def __str__(self) -> str:
        return f"unknown API {self.name!r}; known: {', '.join(self.known)}"


@dataclass
class LifecycleError(SpecError):
    api: str
    member: str
    problem: str

    def __str__(self) -> str:
        return f"{self.api}: x-lifecycle.{self.member}: {self.problem}"
