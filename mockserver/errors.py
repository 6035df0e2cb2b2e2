"""Errors of the mock server. Each is a dataclass whose fields a report or a response can print.

MockError(Exception)                base class of everything the mock raises on purpose
├── ConfigError                     the server cannot be built as asked (store URL, API name, scale)
├── StoreError                      the store cannot be opened, or holds a record it cannot read
├── ClockError                      a clock operation that would break ordering (negative advance)
├── ControlError                    bad control-plane input -> JSON ``{"error": {...}}`` with ``status``
├── VendorError                     an answer in the vendor's error envelope (status, code, message)
├── StorageError                    the object store refuses a request -> the provider's XML error
└── LimitError                      a request over a size or time limit -> the envelope of its path
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class MockError(Exception):
    """Base class of the mock server's own errors."""


@dataclass
class ConfigError(MockError):
    """The server cannot be built as asked; ``option`` names what is wrong."""

    option: str
    problem: str

    def __str__(self) -> str:
        return f"{self.option}: {self.problem}"


@dataclass
class StoreError(MockError):
    """The store cannot be opened or read."""

    location: str
    problem: str

    def __str__(self) -> str:
        return f"store {self.location}: {self.problem}"


@dataclass
class ClockError(MockError):
    """A clock operation that is refused."""

    problem: str

    def __str__(self) -> str:
        return self.problem


@dataclass
class ControlError(MockError):
    """Bad input to ``/_control``; answered as JSON with this status."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "code": self.code, "message": self.message}}


@dataclass
class VendorError(MockError):
    """An error answer rendered in the vendor's envelope (see ``mockserver.envelopes``).

    ``headers`` are added to the response (e.g. ``Allow`` on a 405).
    """

    status: int
    code: str
    message: str
    details: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


@dataclass
class StorageError(MockError):
    """The mock object store refuses a request (rendered as S3 or GCS XML)."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


@dataclass
class LimitError(MockError):
    """A request over one of the server's limits (``mockserver.limits``), refused before the app.

    ``kind`` is ``headers``, ``body`` or ``body-timeout``; ``limit`` is in bytes (seconds for a
    timeout); ``status`` is HTTP's own status for it (431, 413, 408), which the answer uses only
    where the operation documents it (``RequestLimitMiddleware``).
    """

    kind: str
    limit: float
    status: int
    message: str

    def __str__(self) -> str:
        return f"{self.status} {self.kind}: {self.message}"
