"""Injected faults: latency, random errors, and one deliberate contract violation per API.

A violation names a domain check of ARCHITECTURE.md. The mock keeps a set of ``Rules``; a
violation turns exactly one of them off (``BROKEN_RULE``), and the code that implements a rule
asks ``rules.<name>`` instead of knowing about faults. That table is the whole mechanism.

    >>> Fault(violation="url-expiry").rules.enforce_url_expiry
    False
    >>> Fault().rules.enforce_url_expiry
    True
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import Any

from mockserver.errors import ControlError


@dataclass(frozen=True)
class Rules:
    """The contract rules the mock keeps (all on unless a violation is injected)."""

    gate_downloads: bool = True  # readiness-gate: refuse download before ready
    honest_expiry_fields: bool = True  # ready-download: expiry fields agree with the signature
    honest_bytes: bool = True  # artifact: served bytes match sha256/byteSize
    enforce_url_expiry: bool = True  # url-expiry: the object store refuses an expired URL
    enforce_signature: bool = True  # url-tamper: the object store checks the signature
    fresh_urls: bool = True  # fresh-url: a new URL per download call
    isolate_tenants: bool = True  # tenant-isolation: another tenant's job is "not found"
    check_credentials: bool = True  # auth: wrong credentials are refused
    monotonic_states: bool = True  # lifecycle: states never move backwards
    vendor_envelope: bool = True  # error-envelope: errors in the vendor's envelope
    vendor_rules: bool = True  # vendor-rules: idempotency, expired status, dedupe, ...


BROKEN_RULE: Mapping[str, str] = {
    "readiness-gate": "gate_downloads",
    "ready-download": "honest_expiry_fields",
    "artifact": "honest_bytes",
    "url-expiry": "enforce_url_expiry",
    "url-tamper": "enforce_signature",
    "fresh-url": "fresh_urls",
    "tenant-isolation": "isolate_tenants",
    "auth": "check_credentials",
    "lifecycle": "monotonic_states",
    "error-envelope": "vendor_envelope",
    "vendor-rules": "vendor_rules",
}
VIOLATIONS = tuple(BROKEN_RULE)
assert set(BROKEN_RULE.values()) == {f.name for f in fields(Rules)}
MAX_LATENCY_MS = 60_000


@dataclass(frozen=True)
class Fault:
    """What ``PUT /_control/{api}/faults`` sets for one API."""

    latency_ms: int = 0
    error_rate: float = 0.0
    violation: str | None = None

    @cached_property
    def rules(self) -> Rules:
        if self.violation is None:
            return Rules()
        return replace(Rules(), **{BROKEN_RULE[self.violation]: False})

    def to_json(self) -> dict[str, Any]:
        return {"latencyMs": self.latency_ms, "errorRate": self.error_rate, "violation": self.violation}

    @classmethod
    def from_json(cls, body: Any) -> Fault:
        """Read a request body; raises ``ControlError`` (400) naming the bad member."""
        if not isinstance(body, Mapping):
            raise ControlError(400, "INVALID_FAULT", "the body must be a JSON object")
        unknown = sorted(set(body) - {"latencyMs", "errorRate", "violation"})
        if unknown:
            raise ControlError(
                400, "INVALID_FAULT", f"unknown member(s) {unknown}; use latencyMs, errorRate, violation"
            )
        latency = body.get("latencyMs", 0)
        if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= MAX_LATENCY_MS:
            raise ControlError(400, "INVALID_FAULT", f"latencyMs must be an integer 0..{MAX_LATENCY_MS}")
        rate = body.get("errorRate", 0.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
            raise ControlError(400, "INVALID_FAULT", "errorRate must be a number 0..1")
        violation = body.get("violation")
        if violation is not None and violation not in BROKEN_RULE:
            raise ControlError(400, "INVALID_FAULT", f"violation must be null or one of {list(VIOLATIONS)}")
        return cls(latency, float(rate), violation)


NO_FAULT = Fault()


class FaultBook:
    """The faults of every API of one server, and the little memory some violations need."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: dict[str, Fault] = {}
        self._rng = random.Random(seed)
        self._polls: dict[tuple[str, str], int] = {}
        self._urls: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, api: str) -> Fault:
        return self._faults.get(api, NO_FAULT)

    def rules(self, api: str) -> Rules:
        return self.get(api).rules

    def set(self, api: str, fault: Fault) -> None:
        with self._lock:
            self._faults[api] = fault
            self._polls.clear()
            self._urls.clear()

    def clear(self, api: str | None = None) -> None:
        with self._lock:
            if api is None:
                self._faults.clear()
            else:
                self._faults.pop(api, None)
            self._polls.clear()
            self._urls.clear()

    def roll_error(self, api: str) -> bool:
        """True when this request should fail with a 500 (``errorRate``)."""
        rate = self.get(api).error_rate
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def count_poll(self, api: str, job_id: str) -> int:
        """How many times this job was read before (the ``lifecycle`` violation alternates)."""
        with self._lock:
            seen = self._polls.get((api, job_id), 0)
            self._polls[(api, job_id)] = seen + 1
            return seen

    def first_url(self, api: str, job_id: str, mint: Callable[[], str]) -> str:
        """The URL minted on the first call, returned again (the ``fresh-url`` violation)."""
        with self._lock:
            if (api, job_id) not in self._urls:
                self._urls[(api, job_id)] = mint()
            return self._urls[(api, job_id)]
