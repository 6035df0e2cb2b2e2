"""The counters of one load run, and the figures they make for the README.

``LoadReport`` is written by the load's clients as they go (requests, answers by status and
API, acknowledged creates, creates in doubt, verified downloads, latencies) and read at the
end; a crash run also reads ``inflight_creates`` at each kill.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reliability.errors import Finding

MAX_FINDINGS = 200  # kept per run: enough to see the pattern, short enough to read


@dataclass
class LoadReport:
    """Counters of one load run (``figures()`` is what the README quotes)."""

    clients: int
    planned_seconds: float
    apis: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0
    by_api: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    server_errors: int = 0
    unexpected: int = 0
    throttled: int = 0
    creates_acknowledged: int = 0
    creates_in_doubt: Counter[str] = field(default_factory=Counter)
    downloads_verified: int = 0
    bytes_downloaded: int = 0
    latencies: list[float] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    inflight_creates: Counter[str] = field(default_factory=Counter)  # right now, per API (read at a kill)
    outages_expected: bool = False  # transport errors are then counted, not errors

    def find(self, check: str, api: str, where: str, observed: str) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(Finding(check, api, where, observed[:300]))

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def quantile(q: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else None

        return {
            "clients": self.clients,
            "apis": self.apis,
            "planned_seconds": self.planned_seconds,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else None,
            "by_api": dict(sorted(self.by_api.items())),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "errors": self.errors,
            "server_errors": self.server_errors,
            "unexpected_answers": self.unexpected,
            "transport_errors": self.transport_errors,
            "throttled_429": self.throttled,
            "creates_acknowledged": self.creates_acknowledged,
            "creates_in_doubt": dict(sorted(self.creates_in_doubt.items())),
            "downloads_verified": self.downloads_verified,
            "bytes_downloaded": self.bytes_downloaded,
            "latency_ms": {"p50": quantile(0.50), "p95": quantile(0.95), "p99": quantile(0.99), "max": quantile(1.0)},
        }

    @property
    def errors(self) -> int:
        """Answers that are wrong, plus lost connections unless the run kills the server on purpose."""
        return self.server_errors + self.unexpected + (0 if self.outages_expected else self.transport_errors)
