"""``tenant-isolation``: another tenant's view of a job is indistinguishable from a missing job's."""

from __future__ import annotations

from typing import Any

from contract_tests import pointers
from contract_tests.apimodel import Operation
from contract_tests.checks.base import Check, Probe
from contract_tests.checks.downloads import documented, ready_state
from contract_tests.client import Exchange
from contract_tests.results import Severity
from contract_tests.session import Session
from contract_tests.states import Job

ID_MARK = "<id>"


def _scrub(value: Any, ids: tuple[str, ...]) -> Any:
    """Replace every occurrence of the compared ids by one mark, so only the shapes are compared."""
    if isinstance(value, dict):
        return {k: _scrub(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, ids) for v in value]
    if isinstance(value, str):
        for one in ids:
            value = value.replace(one, ID_MARK)
        return value
    if isinstance(value, int) and not isinstance(value, bool) and str(value) in ids:
        return ID_MARK
    return value


def normalised(session: Session, exchange: Exchange, ids: tuple[str, ...]) -> Any:
    """The body without its request id, with the job's and the missing id's values masked."""
    if not exchange.body:
        return ""
    if not exchange.is_json:
        text = exchange.body.decode("utf-8", "replace")
        return _scrub(text, ids)
    body = exchange.data
    pointer = session.lifecycle.errors.request_id_pointer
    if pointer:
        body = pointers.without(body, pointer)
    return _scrub(body, ids)


def _compare(
    session: Session, probe: Probe, op: Operation, foreign: Exchange, missing: Exchange, ids: tuple[str, ...]
) -> None:
    probe.case()
    differences = []
    if foreign.status != missing.status:
        differences.append(f"status {foreign.status} vs {missing.status}")
    if foreign.media_type != missing.media_type:
        differences.append(f"content type {foreign.media_type!r} vs {missing.media_type!r}")
    if normalised(session, foreign, ids) != normalised(session, missing, ids):
        differences.append("body differs beyond ids and request ids")
    if differences:
        probe.fail(
            f"{op.operation_id}: another tenant's job is distinguishable from a missing one ("
            + "; ".join(differences)
            + ")",
            expected=f"as for a missing id: {missing.describe(200)}",
            observed=foreign.describe(200),
            exchange=foreign,
        )
    not_found = session.lifecycle.not_found
    if missing.status != not_found.status and not differences:
        probe.fail(
            f"{op.operation_id}: a missing id is not answered as documented",
            expected=documented(not_found.status, not_found.code),
            observed=missing.describe(200),
            exchange=missing,
            clause="x-lifecycle.tenancy.notFound",
        )


def _pair(
    session: Session, op: Operation, job: Job, creds: dict[str, str], missing_id: str
) -> tuple[Exchange, Exchange]:
    params = session.params_for(op, job)
    foreign = session.call(op, credentials=creds, path_params=params)
    absent = dict(params)
    absent[session.id_param(op, job)] = missing_id
    return foreign, session.call(op, credentials=creds, path_params=absent)


def check_tenant_isolation(session: Session, probe: Probe) -> None:
    """Status, download and (on a job made for it) delete by the second tenant vs. a missing id."""
    lc = session.lifecycle
    job = session.job(ready_state(session))
    other_creds, _ = session.identity("secondary")
    if other_creds == job.credentials:
        probe.notes.append("the secondary tenant has the same credentials as the primary")
        return
    missing_id = session.unknown_id()
    ids = (job.id, missing_id)
    seen: set[str] = set()
    for role in ("status", "download"):
        op = session.op(role)
        if op.operation_id in seen:
            continue
        seen.add(op.operation_id)
        foreign, missing = _pair(session, op, job, other_creds, missing_id)
        _compare(session, probe, op, foreign, missing, ids)
    if lc.operations.delete is None:
        return
    # Delete is only tried on a job made for this check, and its survival is verified after.
    victim = session.job(ready_state(session))
    op = session.op("delete")
    foreign, missing = _pair(session, op, victim, other_creds, missing_id)
    _compare(session, probe, op, foreign, missing, (victim.id, missing_id))
    after = session.poll(victim)
    if after.exchange.status != 200:
        probe.fail(
            "another tenant's delete removed the job",
            expected="the owner still reads its job (HTTP 200)",
            observed=after.exchange.describe(200),
            exchange=foreign,
        )


TENANT_ISOLATION = Check(
    id="tenant-isolation",
    title="Another tenant's view of a job equals a missing job's",
    severity=Severity.CRITICAL,
    clause="x-lifecycle.tenancy.notFound",
    run=check_tenant_isolation,
)

__all__ = ["TENANT_ISOLATION", "check_tenant_isolation", "normalised"]
