"""``error-envelope``: every error response seen during the run is in the documented envelope.

Runs after the other domain checks and reads what the recording client saw: for each error
answer of an API operation, the media type, the members the spec's schema for that response
requires, a status member equal to the HTTP status, and request ids (present, unique across
responses, equal to the request-id header where both exist). Empty bodies where documented.
"""

from __future__ import annotations

from contract_tests import pointers
from contract_tests.apimodel import schema_errors
from contract_tests.checks.base import Check, Probe
from contract_tests.client import Exchange
from contract_tests.errors import NotCovered, SpecUnusable
from contract_tests.results import Severity
from contract_tests.session import Session


def _problems(session: Session, exchange: Exchange) -> list[tuple[str, str, str]]:
    """(problem, expected, clause) for one error answer."""
    env = session.lifecycle.errors
    found: list[tuple[str, str, str]] = []
    if exchange.status in env.empty_body_statuses:
        if exchange.body.strip():
            found.append(
                (f"a {exchange.status} answer has a body", "an empty body", "x-lifecycle.errors.emptyBodyStatuses")
            )
        return found
    try:
        op = session.model.operation(exchange.operation or "")
    except SpecUnusable:
        return found
    documented = op.response_schema(exchange.status, exchange.media_type)
    media = documented[0] if documented else env.media_type
    if exchange.media_type != media.lower():
        found.append((f"a {exchange.status} answer is not {media}", media, "x-lifecycle.errors.mediaType"))
        return found
    if not exchange.is_json:
        found.append((f"a {exchange.status} answer is not JSON", f"a {media} body", "x-lifecycle.errors.mediaType"))
        return found
    body = exchange.data
    if documented is not None:
        for problem in schema_errors(documented[1], body):
            found.append(
                (
                    f"a {exchange.status} body breaks its schema: {problem}",
                    "the documented schema",
                    f"paths.{op.path}.{op.method.lower()}.responses.{exchange.status}",
                )
            )
    if env.status_pointer and pointers.get(body, env.status_pointer) != exchange.status:
        found.append(
            (
                f"the body's {env.status_pointer} is not the HTTP status",
                f"{env.status_pointer} = {exchange.status}",
                "x-lifecycle.errors.statusPointer",
            )
        )
    if env.code_pointer and not isinstance(pointers.get(body, env.code_pointer), str):
        found.append(
            (
                f"no error code at {env.code_pointer}",
                f"a string at {env.code_pointer}",
                "x-lifecycle.errors.codePointer",
            )
        )
    return found


def request_id(session: Session, exchange: Exchange) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The response's request id, and what is wrong with it."""
    env = session.lifecycle.errors
    found: list[tuple[str, str, str]] = []
    in_body = (
        pointers.get(exchange.data, env.request_id_pointer) if env.request_id_pointer and exchange.is_json else None
    )
    in_header = exchange.headers.get(env.request_id_header.lower()) if env.request_id_header else None
    if env.request_id_pointer and exchange.status not in env.empty_body_statuses and not isinstance(in_body, str | int):
        found.append(
            (
                "no request id in the error body",
                f"a request id at {env.request_id_pointer}",
                "x-lifecycle.errors.requestIdPointer",
            )
        )
    if env.request_id_header and not in_header:
        found.append(
            ("no request-id header", f"a {env.request_id_header} header", "x-lifecycle.errors.requestIdHeader")
        )
    if isinstance(in_body, str | int) and in_header and str(in_body) != in_header:
        found.append(
            (
                "the body's request id differs from the header's",
                f"{env.request_id_pointer} = {in_header}",
                "x-lifecycle.errors.requestIdHeader",
            )
        )
    value = in_header or (str(in_body) if isinstance(in_body, str | int) else None)
    return value, found


def check_error_envelope(session: Session, probe: Probe) -> None:
    """Judge every error answer recorded so far (identical problems reported once)."""
    reported: set[tuple[str, int, str]] = set()
    first_seen: dict[str, Exchange] = {}
    for exchange in list(session.client.exchanges):
        if exchange.operation is None or exchange.error or exchange.status < 400:
            continue
        probe.case()
        rid, rid_problems = request_id(session, exchange)
        problems = _problems(session, exchange) + rid_problems
        if rid is not None:
            if rid in first_seen and first_seen[rid] is not exchange:
                problems.append(
                    (
                        f"request id {rid!r} was already used by an earlier response",
                        "a request id unique to each response",
                        "x-lifecycle.errors.requestIdPointer",
                    )
                )
            first_seen.setdefault(rid, exchange)
        for message, expected, clause in problems:
            key = (exchange.operation, exchange.status, message if "already used" not in message else "dup")
            if key in reported:
                continue
            reported.add(key)
            probe.fail(
                f"{exchange.operation}: {message}",
                expected=expected,
                observed=exchange.describe(),
                exchange=exchange,
                clause=clause,
            )
    if probe.cases == 0:
        raise NotCovered("no error response was seen during the run")


ERROR_ENVELOPE = Check(
    id="error-envelope",
    title="Every error response is in the documented envelope, with its status and a unique request id",
    severity=Severity.MEDIUM,
    clause="x-lifecycle.errors, responses (4xx/5xx)",
    run=check_error_envelope,
)

__all__ = ["ERROR_ENVELOPE", "check_error_envelope"]
