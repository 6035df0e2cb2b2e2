"""Schemathesis' own checks against the target, each recorded as ``schemathesis:<check>``.

Schemathesis runs in-process through its engine (the same event stream its CLI consumes), so
every failure keeps Schemathesis' own curl reproduction. Its phases (examples, fuzzing,
stateful via the spec's links; coverage from 25 examples on) are bounded by ``max_examples``
so a default run of one API takes seconds, not minutes. A check no response exercised is not
covered. With two tenants, ``object_level_authorization`` runs too (``fuzz_identities``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from contract_tests import fuzz_identities as ids
from contract_tests.fuzz_faults import is_target_fault, unanswered_record, worker_crashes_recorded
from contract_tests.fuzz_identities import OBJECT_LEVEL_AUTHORIZATION, FuzzIdentities
from contract_tests.results import CheckResult, FailureRecord, Outcome, Severity

# Schemathesis' checks but `max_response_time`, which needs a threshold. `object_level_authorization`
# needs a second identity: it runs when the target gives two tenants, else it is not covered.
SCHEMATHESIS_CHECKS: tuple[str, ...] = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    OBJECT_LEVEL_AUTHORIZATION,
)
# One severity per check, so a check's weight in the score does not depend on what it found.
SEVERITY: dict[str, Severity] = {
    "not_a_server_error": Severity.HIGH,
    "ignored_auth": Severity.CRITICAL,
    OBJECT_LEVEL_AUTHORIZATION: Severity.CRITICAL,  # another tenant's data, as `tenant-isolation`
    "use_after_free": Severity.HIGH,
    "response_schema_conformance": Severity.HIGH,
    "status_code_conformance": Severity.MEDIUM,
    "content_type_conformance": Severity.MEDIUM,
    "response_headers_conformance": Severity.MEDIUM,
    "negative_data_rejection": Severity.MEDIUM,
    "positive_data_acceptance": Severity.MEDIUM,
    "missing_required_header": Severity.MEDIUM,
    "unsupported_method": Severity.LOW,
    "ensure_resource_availability": Severity.MEDIUM,
}
POSITIVE_EXPECTED = ("2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx")
MAX_FAILURES_PER_CHECK = 20
NOTHING_EXERCISED = "no generated case exercised this check on this target"
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
# The coverage phase (boundary values of every schema) is thorough but slow on rich string
# patterns: over a minute for one webadmit operation. It joins from this effort level on.
COVERAGE_FROM_EXAMPLES = 25


def default_phases(max_examples: int) -> tuple[str, ...]:
    """Phases for an effort level: all four from ``COVERAGE_FROM_EXAMPLES`` examples on."""
    if max_examples >= COVERAGE_FROM_EXAMPLES:
        return ALL_PHASES
    return ("examples", "fuzzing", "stateful")


@dataclass(frozen=True)
class SchemathesisOptions:
    """How hard Schemathesis tries: cases per operation, seed, which of its checks, phases."""

    max_examples: int = 10
    seed: int | None = None
    checks: tuple[str, ...] = SCHEMATHESIS_CHECKS
    phases: tuple[str, ...] = ("examples", "fuzzing", "stateful")
    request_timeout_s: float = 10.0
    stateful_steps: int = 6


def build_config(
    base_url: str,
    credentials: Mapping[str, str],
    spec: Mapping[str, Any],
    options: SchemathesisOptions,
    *,
    wfc: Mapping[str, Any] | None = None,
    pins: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Schemathesis configuration (its ``schemathesis.toml`` shape) for one run.

    ``wfc`` and ``pins`` come from ``fuzz_identities`` (``wfc_auth``, ``fixture_pins``).
    """
    generation: dict[str, Any] = {"max-examples": options.max_examples, "database": "none"}
    checks: dict[str, Any] = {name: {"enabled": name in options.checks} for name in SCHEMATHESIS_CHECKS}
    # 410 Gone is a state answer (an expired job), like 409: valid input may meet it.
    checks["positive_data_acceptance"]["expected-statuses"] = list(POSITIVE_EXPECTED)
    config: dict[str, Any] = {
        "base-url": base_url.rstrip("/"),
        "workers": 1,
        "request-timeout": options.request_timeout_s,
        "max-redirects": 0,
        "generation": generation,
        "checks": checks,
        "phases": {
            "examples": {"enabled": "examples" in options.phases},
            "coverage": {"enabled": "coverage" in options.phases},
            "fuzzing": {"enabled": "fuzzing" in options.phases},
            # Stateful sequences cost several requests each: half the examples keeps a run short.
            "stateful": {
                "enabled": "stateful" in options.phases,
                "max-steps": options.stateful_steps,
                "generation": {"max-examples": max(2, options.max_examples // 2), "database": "none"},
            },
        },
        "output": {"sanitization": {"enabled": False}},
        "warnings": False,
    }
    if options.seed is not None:
        config["seed"] = options.seed
        generation["deterministic"] = True
    auth = ids.auth_section(spec, credentials, wfc)
    if auth:
        config["auth"] = auth
    # Rules JSON Schema cannot state (x-lifecycle.schemaValidRejections): documented refusals
    # of schema-valid requests are answers to positive data too.
    rejections = (spec.get("x-lifecycle") or {}).get("schemaValidRejections") or {}
    entries: dict[str, dict[str, Any]] = {}
    for op_id, statuses in rejections.items():
        expected = [*POSITIVE_EXPECTED, *(str(s) for s in statuses)]
        entry = entries.setdefault(op_id, {"include-operation-id": op_id})
        entry["checks"] = {"positive_data_acceptance": {"expected-statuses": expected}}
    for op_id, values in (pins or {}).items():
        entries.setdefault(op_id, {"include-operation-id": op_id})["parameters"] = dict(values)
    if entries:
        config["operations"] = list(entries.values())
    return config


def _received(interaction: Any) -> str:
    """What the target answered to the failing case, as Schemathesis recorded it."""
    response = getattr(interaction, "response", None)
    if response is None:
        return ""
    body = bytes(getattr(response, "content", b"") or b"")[:300].decode("utf-8", "replace")
    return f"\nReceived: HTTP {response.status_code} {body}".rstrip()


def _record(check: str, node: Any, label: str, interaction: Any = None) -> FailureRecord:
    info = node.failure_info
    failure = info.failure
    message = str(getattr(failure, "message", "") or "")
    title = str(getattr(failure, "title", "") or check)
    severity = SEVERITY.get(check, Severity.MEDIUM)
    steps = list(getattr(info, "steps", []) or [])
    curl = "\n".join(step.curl for step in steps) if len(steps) > 1 else str(info.code_sample)
    return FailureRecord(
        check_id=f"schemathesis:{check}",
        severity=severity,
        message=f"{label}: {title}",
        expected=f"Schemathesis check {check} holds",
        observed=((message.strip() or title) + _received(interaction))[:1800],
        curl=curl.strip(),
        operation=label,
        spec_clause=f"schemathesis:{check} ({getattr(failure, 'code', '')})".replace(" ()", ""),
    )


def _result(name: str, api: str, outcome: Outcome, reason: str = "", **extra: Any) -> CheckResult:
    return CheckResult(
        api=api,
        check_id=f"schemathesis:{name}",
        title=f"Schemathesis: {name.replace('_', ' ')}",
        severity=SEVERITY.get(name, Severity.MEDIUM),
        spec_clause="the whole spec (Schemathesis)",
        outcome=outcome,
        reason=reason,
        **extra,
    )


def not_run_results(
    spec: Mapping[str, Any], options: SchemathesisOptions, *, api: str, reason: str
) -> list[CheckResult]:
    """One not-covered result per selected check, for a run that was not started, with ``reason``."""
    # What the spec rules out, but not for want of identities: none were asked for, the run never started.
    skipped = ids.inapplicable(spec, tuple(c for c in options.checks if c != OBJECT_LEVEL_AUTHORIZATION))
    return [_result(name, api, Outcome.NOT_COVERED, skipped.get(name, reason)) for name in options.checks]


def run_schemathesis(
    spec: Mapping[str, Any],
    base_url: str,
    credentials: Mapping[str, str],
    options: SchemathesisOptions,
    *,
    api: str,
    identities: FuzzIdentities | None = None,
) -> list[CheckResult]:
    """Run Schemathesis once and fold its per-case check results into one result per check.

    A request that got no HTTP answer (reset, timeout, TLS, redirects) is the target's fault: it
    fails ``not_a_server_error`` when that check is selected. Schemathesis' own trouble is an
    ``error`` outcome of the checks nothing else exercised. With ``identities`` of two tenants
    or more, ``object_level_authorization`` runs (``identities.user`` then sends every request
    instead of ``credentials``); it passes only if some read was replayed as another tenant.
    """
    import schemathesis
    from schemathesis.engine import from_schema
    from schemathesis.engine.events import (
        EngineFinished,
        FatalError,
        FuzzScenarioFinished,
        NonFatalError,
        ScenarioFinished,
    )

    started = time.monotonic()
    skipped = ids.inapplicable(spec, options.checks, identities)
    options = replace(options, checks=tuple(c for c in options.checks if c not in skipped))
    if not options.checks:  # nothing left to run: no requests at all
        return [_result(name, api, Outcome.NOT_COVERED, reason) for name, reason in skipped.items()]
    wfc_identities = identities if OBJECT_LEVEL_AUTHORIZATION in options.checks else None
    pins = ids.fixture_pins(spec, identities.fixtures) if identities is not None else {}
    replays = 0
    passed: dict[str, int] = dict.fromkeys(options.checks, 0)
    failures: dict[str, dict[str, FailureRecord]] = {name: {} for name in options.checks}
    unanswered: list[FailureRecord] = []
    errors: list[str] = []
    try:
        with ids.wfc_auth(spec, wfc_identities) as wfc, worker_crashes_recorded(errors):
            config = schemathesis.Config.from_dict(
                build_config(base_url, credentials, spec, options, wfc=wfc, pins=pins)
            )
            schema = schemathesis.openapi.from_dict(copy.deepcopy(dict(spec)), config=config)
            for event in from_schema(schema).execute():
                if isinstance(event, ScenarioFinished | FuzzScenarioFinished):
                    recorder = event.recorder
                    replays += ids.peer_replays(recorder)
                    for case_id, nodes in recorder.checks.items():
                        for node in nodes:
                            if node.name not in passed:
                                continue
                            if node.failure_info is None:
                                passed[node.name] += 1
                                continue
                            record = _record(node.name, node, recorder.label, recorder.interactions.get(case_id))
                            key = record.message + record.observed[:200]
                            if len(failures[node.name]) < MAX_FAILURES_PER_CHECK:
                                failures[node.name].setdefault(key, record)
                elif isinstance(event, NonFatalError) and is_target_fault(event.value):
                    info = event.info
                    severity = SEVERITY["not_a_server_error"]
                    record = unanswered_record(
                        event.label, info.title, info.format(), info.code_sample or "", severity=severity
                    )
                    unanswered.append(record)
                elif isinstance(event, NonFatalError):
                    errors.append(f"{event.label}: {event.info.format()}".splitlines()[0][:300])
                elif isinstance(event, FatalError):
                    errors.append(f"Schemathesis stopped: {event.exception}".splitlines()[0][:300])
                elif isinstance(event, EngineFinished):
                    break
    except Exception as exc:  # Schemathesis' own trouble is a tool error, not the target's fault
        errors.append(f"Schemathesis could not run: {type(exc).__name__}: {exc}".splitlines()[0][:300])
    if "not_a_server_error" in failures:
        for record in unanswered:
            if len(failures["not_a_server_error"]) < MAX_FAILURES_PER_CHECK:
                failures["not_a_server_error"].setdefault(record.message + record.observed[:200], record)
    if OBJECT_LEVEL_AUTHORIZATION in passed:
        # The check answers "held" for every response it could not use; only a replay compared tenants.
        passed[OBJECT_LEVEL_AUTHORIZATION] = max(0, replays - len(failures[OBJECT_LEVEL_AUTHORIZATION]))
    elapsed = round(time.monotonic() - started, 3)
    results = []
    for name in options.checks:
        found = list(failures[name].values())
        result = _result(name, api, Outcome.PASSED, failures=found, cases=passed[name] + len(found), duration_s=elapsed)
        if found:
            result.outcome = Outcome.FAILED
            result.reason = found[0].message
        elif passed[name] == 0 and errors:
            result.outcome, result.reason = Outcome.ERROR, errors[0]
        elif errors:
            result.reason = f"partly run: {errors[0]}"
        elif passed[name] == 0:
            result.outcome = Outcome.NOT_COVERED
            idle = ids.NOTHING_REPLAYED if name == OBJECT_LEVEL_AUTHORIZATION else NOTHING_EXERCISED
            result.reason = f"no case got an HTTP answer ({unanswered[0].message})" if unanswered else idle
        results.append(result)
    results += [_result(name, api, Outcome.NOT_COVERED, reason) for name, reason in skipped.items()]
    return results


__all__ = [
    "ALL_PHASES",
    "SCHEMATHESIS_CHECKS",
    "SchemathesisOptions",
    "build_config",
    "default_phases",
    "not_run_results",
    "run_schemathesis",
]
