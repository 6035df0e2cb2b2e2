"""Shared by the download checks: ask for a job's download the way the spec's style says.

``json``: the download operation answers 200 with the URL at ``urlPointer``; ``redirect``: it
answers a 3xx whose ``Location`` is the URL; ``member``: the URL is a member of the status body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract_tests import pointers
from contract_tests.client import Exchange
from contract_tests.errors import NotCovered
from contract_tests.session import Session
from contract_tests.states import Job

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class DownloadAnswer:
    """What a download call gave: the exchange, the URL (None if none) and the expiry members."""

    exchange: Exchange
    url: str | None
    expires_in: Any = pointers.MISSING
    expires_at: Any = pointers.MISSING
    resource: Any = None  # the job object when the answer carried it (member style)


def call_download(session: Session, job: Job, credentials: dict[str, str] | None = None) -> Exchange:
    """The raw download request for ``job`` (the status request in member style)."""
    op = session.op("download")
    creds = job.credentials if credentials is None else credentials
    return session.call(op, credentials=creds, path_params=session.params_for(op, job))


def read_download(session: Session, exchange: Exchange) -> DownloadAnswer:
    """Find the URL and expiry members in a download answer, per ``x-lifecycle.download``."""
    dl = session.lifecycle.download
    if dl.style == "redirect":
        location = exchange.headers.get("location") if exchange.status in REDIRECTS else None
        return DownloadAnswer(exchange, location)
    if exchange.status != 200 or not exchange.is_json:
        return DownloadAnswer(exchange, None)
    body = exchange.data
    scope = body
    resource = None
    if dl.style == "member":
        resource = pointers.get(body, session.lifecycle.resource_pointer)
        scope = resource if isinstance(resource, dict) else {}
    url = pointers.get(scope, dl.url_pointer)

    def member(pointer: str | None) -> Any:
        if pointer is None:
            return pointers.MISSING
        found = pointers.get(scope, pointer)
        return pointers.get(body, pointer) if found is pointers.MISSING else found

    return DownloadAnswer(
        exchange,
        url if isinstance(url, str) and url else None,
        member(dl.expires_in_pointer),
        member(dl.expires_at_pointer),
        resource,
    )


def download(session: Session, job: Job) -> DownloadAnswer:
    """Call download for ``job`` and read the answer."""
    return read_download(session, call_download(session, job))


def error_code(session: Session, exchange: Exchange) -> Any:
    """The machine-readable code of an error answer, or MISSING."""
    pointer = session.lifecycle.errors.code_pointer
    if pointer is None or not exchange.is_json:
        return pointers.MISSING
    return pointers.get(exchange.data, pointer)


def documented(status: int, code: str | None) -> str:
    """How a documented answer reads in a failure's ``expected``: ``HTTP 409 with code X``."""
    return f"HTTP {status}" + (f" with code {code}" if code else "")


def answers_as(session: Session, exchange: Exchange, status: int, code: str | None) -> bool:
    """Whether ``exchange`` is the documented answer: that status and, when one is given, that code."""
    return exchange.status == status and (not code or error_code(session, exchange) == code)


def ready_state(session: Session) -> str:
    """The state a check asks for when it needs a downloadable job."""
    lc = session.lifecycle
    return lc.ready if lc.ready in lc.downloadable else lc.downloadable[0]


def ready_url(session: Session) -> tuple[Job, DownloadAnswer]:
    """A downloadable job and its URL; ``NotCovered`` if the target gives none (ready-download fails then)."""
    job = session.job(ready_state(session))
    answer = download(session, job)
    if answer.url is None:
        raise NotCovered(f"the ready job gave no download URL ({answer.exchange.describe(120)}); see ready-download")
    return job, answer


__all__ = ["DownloadAnswer", "call_download", "download", "error_code", "read_download", "ready_state", "ready_url"]
