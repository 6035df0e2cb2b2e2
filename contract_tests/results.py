"""What a conformance run found, as plain data every report writer reads.

A check produces one ``CheckResult`` per API; a run holds one ``ApiRun`` per API. Everything
here is JSON-serialisable through ``to_dict`` / ``from_dict`` so a report can be rebuilt from
the JSON report alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def weight(self) -> int:
        """Weight in the conformance score: a critical break costs eight times a low one."""
        return {"critical": 8, "high": 4, "medium": 2, "low": 1}[self.value]


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_COVERED = "not_covered"  # the state or capability the check needs could not be had
    ERROR = "error"  # the tool could not finish the check (not the target's fault)


@dataclass(frozen=True)
class FailureRecord:
    """One way the target broke a rule: enough to understand and reproduce it."""

    check_id: str
    severity: Severity
    message: str
    expected: str
    observed: str
    curl: str = ""
    operation: str = ""
    spec_clause: str = ""


@dataclass
class CheckResult:
    api: str
    check_id: str
    title: str
    severity: Severity
    spec_clause: str
    outcome: Outcome
    reason: str = ""  # why not covered / why errored; a one-line summary when failed
    failures: list[FailureRecord] = field(default_factory=list)
    cases: int = 0  # requests or generated cases the check exercised
    duration_s: float = 0.0


@dataclass
class ApiRun:
    api: str
    base_url: str
    states: list[str]
    transitions: dict[str, list[str]]  # the spec's allowed transitions (for the lifecycle drawing)
    observed_transitions: list[tuple[str, str]] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    tool_errors: list[str] = field(default_factory=list)
    started_at: str = ""
    duration_s: float = 0.0

    @property
    def failed(self) -> bool:
        return any(c.outcome is Outcome.FAILED for c in self.checks)

    @property
    def score(self) -> float | None:
        """Severity-weighted share of the exercised checks that passed, 0..100; None if none ran."""
        weights = [
            (c.severity.weight, c.outcome is Outcome.PASSED)
            for c in self.checks
            if c.outcome in (Outcome.PASSED, Outcome.FAILED)
        ]
        total = sum(w for w, _ in weights)
        if not total:
            return None
        return round(100.0 * sum(w for w, ok in weights if ok) / total, 1)


@dataclass
class Run:
    apis: list[ApiRun] = field(default_factory=list)
    tool: str = "exportkit"
    version: str = ""
    seed: int | None = None

    @property
    def exit_code(self) -> int:
        """0 conformant, 1 contract failures, 2 a tool error stopped some API's run."""
        if any(a.tool_errors for a in self.apis):
            return 2
        return 1 if any(a.failed for a in self.apis) else 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for api, raw in zip(self.apis, data["apis"], strict=True):
            raw["score"] = api.score
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        apis = []
        for raw in data.get("apis", []):
            checks = [
                CheckResult(
                    **{
                        **c,
                        "severity": Severity(c["severity"]),
                        "outcome": Outcome(c["outcome"]),
                        "failures": [
                            FailureRecord(**{**f, "severity": Severity(f["severity"])}) for f in c["failures"]
                        ],
                    }
                )
                for c in raw.get("checks", [])
            ]
            fields = {k: v for k, v in raw.items() if k not in ("checks", "score", "observed_transitions")}
            observed = [(str(a), str(b)) for a, b in raw.get("observed_transitions", [])]
            apis.append(ApiRun(**fields, checks=checks, observed_transitions=observed))
        return cls(
            apis=apis,
            tool=data.get("tool", "exportkit"),
            version=data.get("version", ""),
            seed=data.get("seed"),
        )
