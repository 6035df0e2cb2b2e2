"""``auth``: missing, malformed and wrong credentials get the documented status and body.

For each secured operation the check exercises (status, download, list) and each security scheme
it needs, three requests are sent with everything else right: that scheme's credential left out,
malformed, and well-formed but wrong. The answer must be a documented refusal (see
``expected_statuses``) whose body is the documented one, or empty where
``errors.emptyBodyStatuses`` says so.
"""

from __future__ import annotations

from typing import Any

from contract_tests.apimodel import Operation, schema_errors
from contract_tests.checks.base import Check, Probe
from contract_tests.checks.downloads import ready_state
from contract_tests.client import Exchange
from contract_tests.errors import NotCovered
from contract_tests.results import Severity
from contract_tests.session import Session


def wrong_value(value: str) -> str:
    """Same length and alphabet as ``value`` (prefixes such as ``cae_test_`` kept), but not it."""
    tail = value[-4:]
    swap = "".join("1" if c == "0" else ("a" if c.isalpha() else "0") for c in tail)
    if swap == tail:
        swap = "9" * len(tail)
    return value[: len(value) - len(tail)] + swap if value else "wrong-credential-0000"


def expected_statuses(session: Session, op: Operation, scheme: str, variant: str) -> list[int]:
    """Statuses that count as the documented refusal of this credential problem.

    A bearer token is refused with 401 (a wrong one may get a documented 403). An API key may
    also name a tenant, so where the operation documents them, 400, 403 and 404 are refusals
    too (CareValidate answers an unknown organisation key with 404); the body must still be the
    documented one for that status.
    """
    statuses = [401] if op.documents(401) or not (op.documents(400) or op.documents(403)) else []
    kind = (session.model.schemes.get(scheme) or {}).get("type")
    if variant == "wrong" and op.documents(403):
        statuses.append(403)
    if kind == "apiKey":
        statuses += [s for s in (400, 403, 404) if op.documents(s) and s not in statuses]
    return statuses or [401]


def _request(
    session: Session, op: Operation, creds: dict[str, str], params: dict[str, Any], scheme: str, variant: str
) -> Exchange:
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    kept = {k: v for k, v in creds.items() if k != scheme}
    requirement = session.model.requirement(op, creds) or {}
    for other in requirement:
        if other != scheme:
            session.model.apply_scheme(other, kept[other], headers, query)
    if variant == "malformed":
        kind = (session.model.schemes.get(scheme) or {}).get("type")
        if kind == "http":
            session.model.apply_scheme(scheme, "NotAScheme " + creds[scheme], headers, query, raw=True)
        else:
            session.model.apply_scheme(scheme, "!malformed key%%", headers, query)
    elif variant == "wrong":
        session.model.apply_scheme(scheme, wrong_value(creds[scheme]), headers, query)
    return session.call(op, credentials=None, path_params=params, headers=headers, query=query)


def _judge(session: Session, probe: Probe, op: Operation, exchange: Exchange, scheme: str, variant: str) -> None:
    probe.case()
    allowed = expected_statuses(session, op, scheme, variant)
    what = f"{op.operation_id} with {variant} {scheme} credentials"
    if exchange.error or exchange.status not in allowed:
        probe.fail(
            f"{what} is not refused as documented",
            expected="HTTP " + " or ".join(str(s) for s in allowed),
            observed=exchange.describe(),
            exchange=exchange,
            clause=f"components.securitySchemes.{scheme}; responses.{allowed[0]}",
        )
        return
    errors = session.lifecycle.errors
    if exchange.status in errors.empty_body_statuses:
        if exchange.body.strip():
            probe.fail(
                f"{what}: the {exchange.status} body is not empty",
                expected="an empty body",
                observed=exchange.describe(),
                exchange=exchange,
                clause="x-lifecycle.errors.emptyBodyStatuses",
            )
        return
    documented = op.response_schema(exchange.status, exchange.media_type)
    if documented is None:
        return
    media, schema = documented
    if exchange.media_type != media.lower():
        probe.fail(
            f"{what}: the refusal has another media type",
            expected=media,
            observed=exchange.headers.get("content-type", "(none)"),
            exchange=exchange,
        )
        return
    problems = schema_errors(schema, exchange.data) if exchange.is_json else ["the body is not JSON"]
    if problems:
        probe.fail(
            f"{what}: the refusal's body is not the documented one",
            expected=f"{media} per the spec's schema",
            observed="; ".join(problems) + f" in {exchange.describe(160)}",
            exchange=exchange,
        )


def check_auth(session: Session, probe: Probe) -> None:
    """Each secured operation, each scheme it needs: missing, malformed, wrong."""
    job = session.job(ready_state(session))
    seen: set[str] = set()
    for role in ("status", "download", "list"):
        try:
            op = session.op(role)
        except NotCovered:
            continue
        if op.operation_id in seen or not op.security:
            continue
        seen.add(op.operation_id)
        requirement = session.model.requirement(op, job.credentials)
        if not requirement:
            probe.notes.append(f"{op.operation_id}: no credentials to vary")
            continue
        params = session.params_for(op, job)
        if len(params) < len(op.params_in("path")):
            probe.notes.append(f"{op.operation_id}: path parameters unknown")
            continue
        for scheme in requirement:
            for variant in ("missing", "malformed", "wrong"):
                exchange = _request(session, op, job.credentials, params, scheme, variant)
                _judge(session, probe, op, exchange, scheme, variant)


AUTH = Check(
    id="auth",
    title="Missing, malformed and wrong credentials get the documented status and body",
    severity=Severity.CRITICAL,
    clause="components.securitySchemes, security, responses 401/403",
    run=check_auth,
)

__all__ = ["AUTH", "check_auth", "expected_statuses", "wrong_value"]
