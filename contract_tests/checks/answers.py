"""Answers that are no answer at all, whatever a check wanted of them.

Whatever the spec says, every request to the target must get an HTTP response within the
timeout, with a body under the size cap that is what its own content type says it is. An
operation must not redirect where the spec documents no redirect (a loop, a login page,
``http://`` sent on to ``https://``). This holds for the API's operations and for the target's
own provider-state and clock URLs alike; the object store behind a signed URL is judged by the
download checks instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from contract_tests.client import Exchange
from contract_tests.session import Session


@dataclass(frozen=True)
class Unusable:
    """One request of the target that got no usable answer."""

    label: str  # the operationId, or which URL of the target file
    problem: str
    exchange: Exchange
    clause: str


def unusable_answer(session: Session, exchange: Exchange) -> str | None:
    """Why ``exchange`` got no usable answer, or None when it got one."""
    if exchange.fault is not None:
        return exchange.fault
    op = session.model.operations.get(exchange.operation or "")
    if op is None or not 300 <= exchange.status < 400 or op.response(exchange.status) is not None:
        return None
    location = exchange.headers.get("location")
    if location is not None and urljoin(exchange.url, location) == exchange.url:
        return f"a redirect loop: HTTP {exchange.status} to the same URL"
    return f"an undocumented redirect: HTTP {exchange.status} to {location or 'nowhere'}"


def _label(session: Session, exchange: Exchange) -> tuple[str, str] | None:
    """(label, clause) of a request to the target; None for one elsewhere (the object store)."""
    if exchange.operation is not None:
        return exchange.operation, f"paths: operation {exchange.operation}"
    target = session.target
    for member, url in (("provider_states_url", target.provider_states_url), ("clock_url", target.clock_url)):
        if url and exchange.url.startswith(url):
            return f"the target's {member}", f"target file: {member}"
    return None


def unusable_answers(session: Session, exchanges: Sequence[Exchange]) -> list[Unusable]:
    """The unusable answers among ``exchanges``: once per operation, once a run per target URL.

    The target's own URLs serve every check, so one broken answer of theirs is reported once,
    by the first check that met it; the checks after it are not covered, with the reason.
    """
    found: list[Unusable] = []
    seen: set[str] = set()
    for exchange in exchanges:
        labelled = _label(session, exchange)
        if labelled is None:
            continue
        label, clause = labelled
        if label in seen or label in session.reported_unusable:
            continue
        problem = unusable_answer(session, exchange)
        if problem is None:
            continue
        seen.add(label)
        if exchange.operation is None:
            session.reported_unusable.add(label)
        found.append(Unusable(label, problem, exchange, clause))
    return found


__all__ = ["Unusable", "unusable_answer", "unusable_answers"]
