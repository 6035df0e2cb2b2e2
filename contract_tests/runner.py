"""``verify``: one conformance run of one API on one target, as plain ``results`` data.

Unusable input (bad target, unknown API or check, unreachable target at the start) raises a
``ToolError``. Everything the target does once the run has started (resets, timeouts, HTML or
huge bodies, redirect loops) ends up as failures, not-covered checks or tool errors *in* the
returned ``ApiRun``; ``verify`` itself does not raise for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from contract_tests.checks import CHECK_IDS, CHECKS, Check, get_check, run_check
from contract_tests.client import DEFAULT_TIMEOUT_S, HttpClient
from contract_tests.errors import NotCovered, SpecUnusable, UnknownApi, UnknownCheck
from contract_tests.fuzz import (
    SCHEMATHESIS_CHECKS,
    SchemathesisOptions,
    default_phases,
    not_run_results,
    run_schemathesis,
)
from contract_tests.fuzz_identities import FuzzIdentities
from contract_tests.reachability import probe_reachable
from contract_tests.results import ApiRun, Outcome
from contract_tests.session import Session
from contract_tests.target import Target
from specs import API_NAMES, Lifecycle, SpecError, load_spec


def load_api_spec(target: Target) -> tuple[dict[str, Any], Lifecycle]:
    """The spec (``target.spec`` or ``specs/<api>.yaml``) and its validated lifecycle."""
    if target.spec is None and target.api not in API_NAMES:
        raise UnknownApi(target.api, API_NAMES)
    try:
        if target.spec is not None:
            loaded = yaml.safe_load(Path(target.spec).read_text(encoding="utf-8"))
        else:
            loaded = load_spec(target.api)
    except (OSError, yaml.YAMLError, SpecError) as exc:
        raise SpecUnusable(target.api, f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
    if not isinstance(loaded, dict):
        raise SpecUnusable(target.api, "the spec is not a YAML mapping")
    try:
        return loaded, Lifecycle.from_spec(loaded, target.api)
    except SpecError as exc:
        raise SpecUnusable(target.api, str(exc)) from None


def select(checks: Sequence[str] | None) -> tuple[list[Check], list[str]]:
    """Split requested ids into domain checks and Schemathesis checks (``schemathesis`` = all of them)."""
    if checks is None:
        return list(CHECKS), list(SCHEMATHESIS_CHECKS)
    domain: list[Check] = []
    fuzz: list[str] = []
    known = (*CHECK_IDS, "schemathesis", *(f"schemathesis:{c}" for c in SCHEMATHESIS_CHECKS))
    for check_id in checks:
        if check_id == "schemathesis":
            fuzz += [c for c in SCHEMATHESIS_CHECKS if c not in fuzz]
        elif check_id.startswith("schemathesis:"):
            name = check_id.split(":", 1)[1]
            if name not in SCHEMATHESIS_CHECKS:
                raise UnknownCheck(check_id, known)
            if name not in fuzz:
                fuzz.append(name)
        else:
            try:
                check = get_check(check_id)
            except UnknownCheck:
                raise UnknownCheck(check_id, known) from None
            if check not in domain:
                domain.append(check)
    order = {c.id: i for i, c in enumerate(CHECKS)}
    return sorted(domain, key=lambda c: order[c.id]), fuzz


def verify(
    target: Target,
    *,
    max_examples: int = 10,
    seed: int | None = None,
    checks: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    client: HttpClient | None = None,
    sleep: Callable[[float], None] = time.sleep,
    phases: Sequence[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> ApiRun:
    """Run the domain checks, then Schemathesis' own, against ``target``.

    Args:
        target: what to verify (see ``target.Target``).
        max_examples: generated cases per operation for Schemathesis.
        seed: makes generated data and unknown ids reproducible.
        checks: ids to run (domain ids, ``schemathesis`` or ``schemathesis:<check>``); None = all.
        progress: called with one line per finished check.
        client: a recording client to use (tests inject a transport); one is made otherwise.
        sleep: how real waits happen (short URL lifetimes without a target clock).
        phases: Schemathesis phases; by default examples, fuzzing and stateful, plus coverage
            from 25 examples on (it is thorough and slow).
        timeout: seconds to connect and for each read, for the checker and Schemathesis alike
            (ignored for an injected ``client``).

    >>> run = verify(load_target(target="http://127.0.0.1:8080/_control/curaeai/target"))  # doctest: +SKIP
    >>> run.failed  # doctest: +SKIP
    False
    """
    domain, fuzz = select(checks)
    spec, lifecycle = load_api_spec(target)
    owned = client is None
    http = client or HttpClient(timeout=timeout)
    started = time.monotonic()
    run = ApiRun(
        api=target.api,
        base_url=target.base_url,
        states=list(lifecycle.states),
        transitions={k: list(v) for k, v in lifecycle.transitions.items()},
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    try:
        probe_reachable(http, target.base_url)
        session = Session(target, spec, lifecycle, http, seed=seed, sleep=sleep)
        for check in domain:
            result = run_check(check, session)
            run.checks.append(result)
            if result.outcome is Outcome.ERROR:
                run.tool_errors.append(f"{check.id}: {result.reason}")
            _tell(progress, target.api, result.check_id, result.outcome, result.reason)
        run.observed_transitions = list(session.observed_transitions)
        if fuzz:
            options = SchemathesisOptions(
                max_examples=max_examples,
                seed=seed,
                checks=tuple(fuzz),
                phases=tuple(phases) if phases is not None else default_phases(max_examples),
                request_timeout_s=timeout,
            )
            oversized = next((e for e in http.exchanges if e.truncated), None)
            if oversized is not None:
                # Schemathesis reads every body whole, without a cap: a target that sends
                # endless bodies would have it read gigabytes. Its checks are not run then.
                reason = (
                    f"not run: the target sent a body over {http.max_body} bytes "
                    f"({oversized.method} {oversized.url}) and Schemathesis reads bodies whole"
                )
                fuzz_results = not_run_results(spec, options, api=target.api, reason=reason)
            else:
                credentials = _fuzz_credentials(session)
                identities = FuzzIdentities.from_session(session)
                fuzz_results = run_schemathesis(
                    spec, target.base_url, credentials, options, api=target.api, identities=identities
                )
            for result in fuzz_results:
                run.checks.append(result)
                if result.outcome is Outcome.ERROR:
                    run.tool_errors.append(f"{result.check_id}: {result.reason}")
                _tell(progress, target.api, result.check_id, result.outcome, result.reason)
    finally:
        if owned:
            http.close()
    run.duration_s = round(time.monotonic() - started, 3)
    return run


def _fuzz_credentials(session: Session) -> Mapping[str, str]:
    """Primary's credentials for Schemathesis (none if they cannot be had: it then tests auth errors)."""
    try:
        return session.identity("primary")[0]
    except NotCovered:
        return {}


def _tell(progress: Callable[[str], None] | None, api: str, check_id: str, outcome: Outcome, reason: str) -> None:
    if progress is not None:
        progress(
            f"{api}: {check_id}: {outcome.value}" + (f" ({reason})" if reason and outcome is not Outcome.PASSED else "")
        )


__all__ = ["load_api_spec", "probe_reachable", "select", "verify"]
