"""``readiness-gate`` and ``ready-download``: what download answers before and once a job is ready."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from contract_tests import pointers
from contract_tests.checks.base import Check, Probe
from contract_tests.checks.downloads import (
    REDIRECTS,
    call_download,
    documented,
    download,
    error_code,
    read_download,
    ready_state,
)
from contract_tests.client import Exchange
from contract_tests.errors import NotCovered
from contract_tests.results import Severity
from contract_tests.session import Session
from contract_tests.signing import parse_signed_url

EXPIRY_TOLERANCE_S = 2.0  # minting and answering may straddle a second boundary


def check_readiness_gate(session: Session, probe: Probe) -> None:
    """Download in every non-downloadable state answers the documented status and code."""
    lc = session.lifecycle
    for state in lc.states:
        if state in lc.downloadable:
            continue
        refusal = lc.download.refused[state]
        try:
            job = session.job(state)
        except NotCovered as gap:
            probe.notes.append(f"{state}: {gap.reason}")
            continue
        answer = download(session, job)
        exchange = answer.exchange
        problems = []
        if exchange.error:
            problems.append(f"no answer: {exchange.error}")
        elif exchange.status != refusal.status:
            problems.append(f"status {exchange.status}")
        if refusal.absent and answer.url is not None:
            problems.append(f"URL member present ({answer.url[:80]})")
        code = error_code(session, exchange)
        if refusal.code and code != refusal.code:
            problems.append(f"code {None if code is pointers.MISSING else code!r}")
        if not problems:
            probe.case()
            continue
        # The job may have moved on by itself between setup and download: only its state now counts.
        now = session.poll(job).state
        if lc.state_pointer and now is not None and now != state:
            probe.notes.append(f"{state}: the job moved on to {now} before it could be checked")
            continue
        probe.case()
        expected = documented(refusal.status, refusal.code)
        if refusal.absent:
            expected += " and no URL member"
        probe.fail(
            f"download of a {state} {lc.resource} is not refused as documented: " + ", ".join(problems),
            expected=expected,
            observed=exchange.describe(),
            exchange=exchange,
            clause=f"x-lifecycle.download.refused.{state}",
        )


def _as_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _issued_at(session: Session, exchange: Exchange) -> tuple[datetime | None, str]:
    """When the target answered ``exchange``, by its own clock, and where that came from.

    The target's clock (``GET {clock_url}`` answers ``{"now": ...}``) where it has one, since it
    may run ahead of real time; else the answer's ``Date`` header. ``(None, why)`` if neither.
    """
    if session.states.has_clock:
        clock = session.client.request("GET", str(session.target.clock_url))
        now = _as_datetime(clock.data.get("now")) if clock.status == 200 and isinstance(clock.data, dict) else None
        if now is None:
            return None, f"the target's clock could not be read ({clock.describe(100)})"
        return now, "the target's clock"
    try:
        return parsedate_to_datetime(exchange.headers["date"]), "the answer's Date header"
    except (KeyError, TypeError, ValueError):
        return None, "the answer has no readable Date header and the target no clock_url"


def _check_not_stale(session: Session, probe: Probe, exchange: Exchange, url: str, expires: datetime) -> None:
    """A URL just handed out must not have expired already (a canned example's URL has)."""
    now, source = _issued_at(session, exchange)
    if now is None:
        probe.notes.append(f"whether the URL was still valid when issued is unknown: {source}")
        return
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if (now - expires).total_seconds() > EXPIRY_TOLERANCE_S:
        probe.fail(
            "the URL had already expired when it was issued",
            expected=f"a URL valid for its lifetime from now ({now.isoformat()}, by {source})",
            observed=f"a URL that expired at {expires.isoformat()}: {url[:200]}",
            exchange=exchange,
            clause="x-lifecycle.download.lifetime",
        )


def check_ready_download(session: Session, probe: Probe) -> None:
    """A ready job downloads: URL present and absolute, expiry members and signature agree, lifetime in range."""
    lc = session.lifecycle
    dl = lc.download
    job = session.job(ready_state(session))
    exchange = call_download(session, job)
    answer = read_download(session, exchange)
    probe.case()
    if answer.url is None:
        if dl.style == "redirect":
            expected = "a redirect (302) with a Location header"
            ok_status = exchange.status in REDIRECTS
        else:
            expected = f"HTTP 200 JSON with a URL at {dl.url_pointer}"
            ok_status = exchange.status == 200
        why = "no URL in the answer" if ok_status else "download of a ready job did not succeed"
        raise probe.stop(why, expected=expected, observed=exchange.describe(), exchange=exchange)
    url = answer.url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        probe.fail(
            "the download URL is not absolute",
            expected="an absolute http(s) URL",
            observed=url,
            exchange=exchange,
            clause="x-lifecycle.download.urlPointer",
        )
    signed = parse_signed_url(url, dl.signature)
    for problem in signed.problems:
        probe.fail(
            f"the URL is not signed as {dl.signature}: {problem}",
            expected=f"a {dl.signature} presigned URL",
            observed=url,
            exchange=exchange,
            clause="x-lifecycle.download.signature",
        )
    lifetime = signed.expires_in
    declared_in = answer.expires_in
    if declared_in is not pointers.MISSING:
        if not isinstance(declared_in, int | float) or isinstance(declared_in, bool):
            probe.fail(
                "the expires-in member is not a number",
                expected="seconds as a number",
                observed=repr(declared_in),
                exchange=exchange,
                clause="x-lifecycle.download.expiresInPointer",
            )
        else:
            if lifetime is not None and abs(declared_in - lifetime) > EXPIRY_TOLERANCE_S:
                probe.fail(
                    "the expires-in member disagrees with the signature's own expiry",
                    expected=f"{dl.expires_in_pointer} = {lifetime} (the URL's Expires parameter)",
                    observed=f"{dl.expires_in_pointer} = {declared_in}",
                    exchange=exchange,
                    clause="x-lifecycle.download.expiresInPointer",
                )
            lifetime = lifetime if lifetime is not None else int(declared_in)
    declared_at = answer.expires_at
    if declared_at is not pointers.MISSING:
        at = _as_datetime(declared_at)
        if at is None:
            probe.fail(
                "the expires-at member is not an RFC 3339 date-time",
                expected="an RFC 3339 date-time",
                observed=repr(declared_at),
                exchange=exchange,
                clause="x-lifecycle.download.expiresAtPointer",
            )
        elif signed.expires_at is not None:
            gap = abs((at - signed.expires_at).total_seconds())
            if gap > EXPIRY_TOLERANCE_S:
                probe.fail(
                    "the expires-at member disagrees with the signature's own expiry",
                    expected=f"{dl.expires_at_pointer} = {signed.expires_at.isoformat()} (signing date + Expires)",
                    observed=f"{dl.expires_at_pointer} = {declared_at} ({gap:.0f} s apart)",
                    exchange=exchange,
                    clause="x-lifecycle.download.expiresAtPointer",
                )
        elif isinstance(declared_in, int | float) and not session.states.has_clock and "date" in exchange.headers:
            # No signing date to compare with: the server's Date header is the minting time.
            try:
                minted = parsedate_to_datetime(exchange.headers["date"])
            except (TypeError, ValueError):
                minted = None
            if minted is not None and abs((at - minted).total_seconds() - declared_in) > EXPIRY_TOLERANCE_S + 1:
                probe.fail(
                    "expires-at and expires-in disagree",
                    expected=f"expires-at = Date + {declared_in} s",
                    observed=f"Date {exchange.headers['date']}, expires-at {declared_at}",
                    exchange=exchange,
                )
    expires = signed.expires_at or (_as_datetime(declared_at) if declared_at is not pointers.MISSING else None)
    if expires is not None:
        _check_not_stale(session, probe, exchange, url, expires)
    if lifetime is None:
        probe.notes.append("the URL's lifetime could not be read from the signature or the answer")
        return
    life = dl.lifetime
    if not life.min <= lifetime <= life.max:
        probe.fail(
            "the URL's lifetime is outside the documented range",
            expected=f"{life.min} <= lifetime <= {life.max} seconds",
            observed=f"{lifetime} seconds",
            exchange=exchange,
            clause="x-lifecycle.download.lifetime",
        )


READINESS_GATE = Check(
    id="readiness-gate",
    title="Download is refused as documented in every non-downloadable state",
    severity=Severity.CRITICAL,
    clause="x-lifecycle.download.refused",
    run=check_readiness_gate,
)
READY_DOWNLOAD = Check(
    id="ready-download",
    title="A ready job gives an absolute, signed URL whose expiry matches the documented lifetime",
    severity=Severity.HIGH,
    clause="x-lifecycle.download (style, urlPointer, expiresIn/AtPointer, signature, lifetime)",
    run=check_ready_download,
)

__all__ = ["READINESS_GATE", "READY_DOWNLOAD", "check_readiness_gate", "check_ready_download"]
