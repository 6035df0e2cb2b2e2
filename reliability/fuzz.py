"""Bad input against a running server: Schemathesis' negative mode, coverage and fuzzing phases.

Schemathesis generates requests that break the spec (wrong types, missing members, bad
headers, unexpected methods, missing credentials) and sends them to the target with the
primary tenant's credentials. None of its own checks run, so no failure cuts an operation's
generation short; every recorded answer is judged afterwards by ``EnvelopeJudge``: no 5xx, and
every rejection in the vendor's envelope.

Schemathesis' ``max-examples`` is per operation and some operations cannot be broken in many
ways, so the run repeats the fuzzing phase with fresh seeds until ``cases`` requests were sent
(or ``max_rounds`` is reached, which the report shows as fewer cases than asked).

    >>> report = fuzz_api(load_spec("curaeai"), target, cases=2000, seed=1)   # doctest: +SKIP
    >>> report.cases >= 2000 and not report.findings                         # doctest: +SKIP
    True
"""

from __future__ import annotations

import copy
import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reliability.envelope import EnvelopeJudge
from reliability.errors import Finding
from reliability.recipes import HTTP_METHODS, Target

MAX_FINDINGS = 25  # findings kept per API: enough to see the pattern, short enough to read


@dataclass
class FuzzReport:
    """What one API's negative run sent and what came back."""

    api: str
    cases: int = 0
    rounds: int = 0
    seconds: float = 0.0
    by_phase: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    no_response: int = 0
    server_errors: int = 0
    envelope_violations: int = 0
    findings: list[Finding] = field(default_factory=list)
    engine_errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        """The figures for the README (plain JSON)."""
        return {
            "cases": self.cases,
            "rounds": self.rounds,
            "seconds": round(self.seconds, 1),
            "by_phase": dict(sorted(self.by_phase.items())),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "operations": len(self.by_operation),
            "no_response": self.no_response,
            "server_errors": self.server_errors,
            "envelope_violations": self.envelope_violations,
            "engine_errors": self.engine_errors[:5],
        }

    def record(self, finding: Finding) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)


def schemathesis_config(
    spec: Mapping[str, Any], target: Target, *, max_examples: int, seed: int, coverage: bool
) -> dict[str, Any]:
    """The Schemathesis configuration (``schemathesis.toml`` shape) of one negative round."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    auth: dict[str, Any] = {}
    for name, value in target.tenant("primary").credentials.items():
        scheme = schemes.get(name) or {}
        if scheme.get("type") == "http":
            auth[name] = {"bearer": value}
        elif scheme.get("type") == "apiKey":
            auth[name] = {"api_key": value}
    return {
        "base-url": target.base_url,
        "seed": seed,
        "workers": 1,
        "request-timeout": 30.0,
        "max-redirects": 0,
        "warnings": False,
        "suppress-health-check": ["all"],
        "generation": {"mode": "negative", "max-examples": max_examples, "database": "none", "deterministic": True},
        "checks": {"enabled": False},  # judged afterwards: a failing check would stop an operation early
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": coverage},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "output": {"sanitization": {"enabled": False}},
        "auth": {"openapi": auth},
    }


def fuzz_api(
    spec: Mapping[str, Any], target: Target, *, cases: int, seed: int = 1, max_rounds: int = 4
) -> FuzzReport:
    """Send at least ``cases`` negative requests to ``target`` and judge every answer."""
    report = FuzzReport(target.api)
    judge = EnvelopeJudge(spec, target.api)
    operations = sum(1 for item in (spec.get("paths") or {}).values() for key in item if key in HTTP_METHODS)
    started = time.monotonic()
    while report.cases < cases and report.rounds < max_rounds:
        remaining = cases - report.cases
        # Ask a quarter more than the remainder: some operations run out of ways to be broken.
        per_operation = max(1, math.ceil(remaining * 1.25 / max(operations, 1)))
        config = schemathesis_config(
            spec, target, max_examples=per_operation, seed=seed + report.rounds, coverage=report.rounds == 0
        )
        sent = _run_round(spec, config, judge, report)
        report.rounds += 1
        if sent == 0:
            break
    report.seconds = time.monotonic() - started
    return report


def _run_round(spec: Mapping[str, Any], config: dict[str, Any], judge: EnvelopeJudge, report: FuzzReport) -> int:
    import schemathesis
    from schemathesis.engine import from_schema
    from schemathesis.engine.events import (
        EngineFinished,
        FatalError,
        FuzzScenarioFinished,
        NonFatalError,
        ScenarioFinished,
    )

    schema = schemathesis.openapi.from_dict(copy.deepcopy(dict(spec)), config=schemathesis.Config.from_dict(config))
    sent = 0
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished | FuzzScenarioFinished):
            phase = str(getattr(getattr(event, "phase", None), "value", None) or "fuzzing")
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                node = recorder.cases.get(case_id)
                template = str(node.value.operation.path) if node is not None else ""
                sent += 1
                _judge_one(judge, report, phase, recorder.label, template, interaction)
        elif isinstance(event, NonFatalError):
            report.engine_errors.append(f"{event.label}: {event.info.format()}".splitlines()[0][:300])
        elif isinstance(event, FatalError):
            report.engine_errors.append(f"Schemathesis stopped: {event.exception}".splitlines()[0][:300])
        elif isinstance(event, EngineFinished):
            break
    return sent


def _judge_one(
    judge: EnvelopeJudge, report: FuzzReport, phase: str, label: str, template: str, interaction: Any
) -> None:
    request, response = interaction.request, interaction.response
    report.cases += 1
    report.by_phase[phase] += 1
    report.by_operation[label] += 1
    where = f"{request.method} {request.uri}"[:300]
    if response is None:
        report.no_response += 1
        report.record(Finding("no-response", judge.api, where, "the connection failed (no HTTP answer)"))
        return
    status = int(response.status_code)
    report.by_status[status] += 1
    content_type = (response.headers.get("content-type") or [None])[0]  # Schemathesis lowercases names
    problems = judge.problems(str(request.method), template, status, content_type, bytes(response.content or b""))
    if status >= 500 and any(p.startswith("server error") for p in problems):
        report.server_errors += 1
    if problems:
        report.envelope_violations += 1 if any(not p.startswith("server error") for p in problems) else 0
        report.record(Finding("server-error" if status >= 500 else "envelope", judge.api, where,
                              f"{status}: " + "; ".join(problems)))  # fmt: skip
