"""``vendor-rules``: the rules a spec declares in ``x-lifecycle.rules``, each optional.

- ``idempotency: {header}``: the same key twice creates one job (the replay names the same id),
  and another key creates another job;
- ``nonExportRefused: {status, code}``: download of a job that is not an export (provider state
  ``non-export``) is refused so;
- ``dedupeRunning: true``: a second create while one is running returns the running one;
- ``expiredGone: true | {status, code}``: once retention has passed, download answers as
  documented (``refused`` of the expired state, or the given status and code);
- ``deleteRefused: {states, status, code}``: delete in those states is refused, the job kept;
- ``deletedGone: {status, code}``: once deleted (soft or hard), a ready job answers status and
  download as the given status and code, like a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from contract_tests import pointers
from contract_tests.checks.base import Check, Probe
from contract_tests.checks.downloads import answers_as, documented, download, error_code, ready_state
from contract_tests.errors import NotCovered
from contract_tests.results import Severity
from contract_tests.session import Session

REAL_WAIT_LIMIT_S = 30


def rule_idempotency(session: Session, probe: Probe, rule: Any) -> None:
    key = str(uuid.UUID(int=session.rng.getrandbits(128), version=4))
    first, job = session.create(idempotency_key=key)
    if job is None:
        raise NotCovered(f"idempotency: could not create a job ({first.describe(120)})")
    second, again = session.create(idempotency_key=key)
    probe.case()
    if again is None or again.id != job.id:
        probe.fail(
            "idempotency: the same key created a second job instead of replaying the first",
            expected=f"{session.lifecycle.id_pointer} = {job.id} again",
            observed=second.describe(),
            exchange=second,
            clause="x-lifecycle.rules.idempotency",
        )
        return
    # The control: a server answering the same job to every create (a stateless mock's
    # example) would pass the replay above without replaying anything.
    other_key = str(uuid.UUID(int=session.rng.getrandbits(128), version=4))
    third, other = session.create(idempotency_key=other_key)
    probe.case()
    if other is None:
        probe.notes.append(f"idempotency: a create with a new key was not accepted ({third.describe(120)})")
    elif other.id == job.id:
        probe.fail(
            "idempotency: a create with a different key answered the same job, not a new one",
            expected=f"a new {session.lifecycle.resource}, not {job.id}",
            observed=third.describe(),
            exchange=third,
            clause="x-lifecycle.rules.idempotency",
        )


def rule_non_export(session: Session, probe: Probe, rule: Any) -> None:
    if not isinstance(rule, Mapping) or "status" not in rule:
        raise NotCovered("nonExportRefused needs {status, code}")
    job = session.job("non-export")
    answer = download(session, job)
    probe.case()
    if not answers_as(session, answer.exchange, rule["status"], rule.get("code")):
        probe.fail(
            "download of a job that is not an export is not refused as documented",
            expected=documented(rule["status"], rule.get("code")),
            observed=answer.exchange.describe(),
            exchange=answer.exchange,
            clause="x-lifecycle.rules.nonExportRefused",
        )


def rule_dedupe(session: Session, probe: Probe, rule: Any) -> None:
    if rule is not True:
        return
    lc = session.lifecycle
    settled = (*lc.terminal, lc.ready)
    for _ in range(2):  # the first create may hand back an earlier run that has just finished
        first, job = session.create()
        if job is None:
            raise NotCovered(f"dedupeRunning: could not create a job ({first.describe(120)})")
        state = session.poll(job).state
        if state not in settled:
            break
    else:
        raise NotCovered(f"dedupeRunning: the created job was already {state} before a second create")
    second, again = session.create()
    probe.case()
    if again is None or again.id != job.id:
        probe.fail(
            "dedupeRunning: a second create while one is running started another job",
            expected=f"the running job {job.id} ({state}) again",
            observed=second.describe(),
            exchange=second,
            clause="x-lifecycle.rules.dedupeRunning",
        )


def rule_expired_gone(session: Session, probe: Probe, rule: Any) -> None:
    lc = session.lifecycle
    if lc.expired is None or lc.retention_seconds is None:
        raise NotCovered("expiredGone: the spec declares no expired state or retention")
    refusal = lc.download.refused[lc.expired]
    status = rule.get("status", refusal.status) if isinstance(rule, Mapping) else refusal.status
    code = rule.get("code", refusal.code) if isinstance(rule, Mapping) else refusal.code
    if not session.states.has_clock and lc.retention_seconds > REAL_WAIT_LIMIT_S:
        raise NotCovered(f"expiredGone: retention is {lc.retention_seconds} s and the target has no clock")
    job = session.job(ready_state(session))
    if session.states.has_clock:
        session.advance(lc.retention_seconds + 1)
    else:
        session.sleep(lc.retention_seconds + 1)
    answer = download(session, job)
    probe.case()
    got = error_code(session, answer.exchange)
    if not answers_as(session, answer.exchange, status, code):
        probe.fail(
            f"download after retention ({lc.retention_seconds} s) is not answered as documented",
            expected=documented(status, code),
            observed=answer.exchange.describe() + ("" if got is pointers.MISSING else f" (code {got!r})"),
            exchange=answer.exchange,
            clause="x-lifecycle.rules.expiredGone",
        )


def rule_delete_refused(session: Session, probe: Probe, rule: Any) -> None:
    if not isinstance(rule, Mapping) or "status" not in rule or not isinstance(rule.get("states"), list):
        raise NotCovered("deleteRefused needs {states, status, code}")
    op = session.op("delete")
    for state in rule["states"]:
        try:
            job = session.job(str(state))
        except NotCovered as gap:
            probe.notes.append(f"deleteRefused {state}: {gap.reason}")
            continue
        exchange = session.call(op, credentials=job.credentials, path_params=session.params_for(op, job))
        probe.case()
        if not answers_as(session, exchange, rule["status"], rule.get("code")):
            probe.fail(
                f"delete of a {state} {session.lifecycle.resource} is not refused as documented",
                expected=documented(rule["status"], rule.get("code")),
                observed=exchange.describe(),
                exchange=exchange,
                clause="x-lifecycle.rules.deleteRefused",
            )
        elif session.poll(job).exchange.status != 200:
            probe.fail(
                f"a refused delete of a {state} {session.lifecycle.resource} removed it anyway",
                expected="the job still readable (HTTP 200)",
                observed="the job is gone after the refused delete",
                exchange=exchange,
                clause="x-lifecycle.rules.deleteRefused",
            )


def rule_deleted_gone(session: Session, probe: Probe, rule: Any) -> None:
    if not isinstance(rule, Mapping) or "status" not in rule:
        raise NotCovered("deletedGone needs {status, code}")
    delete = session.op("delete")
    job = session.job(ready_state(session))
    removed = session.call(delete, credentials=job.credentials, path_params=session.params_for(delete, job))
    probe.case()
    if not 200 <= removed.status < 300:
        raise NotCovered(f"deletedGone: the delete of a ready job was not accepted ({removed.describe(120)})")
    for role in ("status", "download"):
        op = session.op(role)
        answer = session.call(op, credentials=job.credentials, path_params=session.params_for(op, job))
        probe.case()
        if not answers_as(session, answer, rule["status"], rule.get("code")):
            probe.fail(
                f"after delete, {op.operation_id} still answers for the {session.lifecycle.resource}",
                expected=documented(rule["status"], rule.get("code")),
                observed=answer.describe(),
                exchange=answer,
                clause="x-lifecycle.rules.deletedGone",
            )


RULES: dict[str, Callable[[Session, Probe, Any], None]] = {
    "idempotency": rule_idempotency,
    "nonExportRefused": rule_non_export,
    "dedupeRunning": rule_dedupe,
    "expiredGone": rule_expired_gone,
    "deleteRefused": rule_delete_refused,
    "deletedGone": rule_deleted_gone,
}


def check_vendor_rules(session: Session, probe: Probe) -> None:
    """Every declared rule; one that cannot be exercised is noted, an unknown one too."""
    rules = session.lifecycle.rules
    if not rules:
        raise NotCovered("the spec declares no vendor rules (x-lifecycle.rules)")
    for name, rule in rules.items():
        handler = RULES.get(name)
        if handler is None:
            probe.notes.append(f"rule {name!r} is not known to this checker")
            continue
        try:
            handler(session, probe, rule)
        except NotCovered as gap:
            probe.notes.append(gap.reason)


VENDOR_RULES = Check(
    id="vendor-rules",
    title="The vendor rules the spec declares: idempotency, non-export refusal, dedupe, expiry",
    severity=Severity.HIGH,
    clause="x-lifecycle.rules",
    run=check_vendor_rules,
)

__all__ = ["RULES", "VENDOR_RULES", "check_vendor_rules"]
