"""``url-expiry``, ``url-tamper``, ``fresh-url``: the signed URL's own guarantees."""

from __future__ import annotations

from contract_tests import pointers
from contract_tests.checks.base import Check, Probe
from contract_tests.checks.downloads import download, ready_url
from contract_tests.errors import NotCovered
from contract_tests.results import Severity
from contract_tests.session import Session
from contract_tests.signing import parse_signed_url, tamper

REAL_WAIT_LIMIT_S = 30  # a lifetime this short is waited out for real where there is no clock
EXPIRY_MARGIN_S = 2.0
FRESH_GAP_S = 1.1  # URLs signed in the same second may legitimately be identical


def _refused(status: int) -> bool:
    return 400 <= status < 500


def _baseline(session: Session, url: str) -> None:
    """The untampered, unexpired URL must work, or a refusal later would prove nothing."""
    first = session.client.request("GET", url)
    if first.error or not 200 <= first.status < 300:
        raise NotCovered(f"the URL is refused even before the test ({first.describe(100)}); see artifact")


def check_url_expiry(session: Session, probe: Probe) -> None:
    """Once its lifetime has passed (target clock, or a real wait of at most 30 s), the URL is refused."""
    lc = session.lifecycle
    _job, answer = ready_url(session)
    url = answer.url or ""
    signed = parse_signed_url(url, lc.download.signature)
    declared = answer.expires_in if isinstance(answer.expires_in, int) else None
    lifetime = signed.expires_in or declared or lc.download.lifetime.max
    if not session.states.has_clock and lifetime > REAL_WAIT_LIMIT_S:
        raise NotCovered(f"the URL lives {lifetime} s and the target has no clock_url to advance")
    _baseline(session, url)
    if session.states.has_clock:
        session.advance(lifetime + EXPIRY_MARGIN_S)
        waited = f"advanced the target's clock {lifetime + EXPIRY_MARGIN_S:g} s"
    else:
        session.sleep(lifetime + EXPIRY_MARGIN_S)
        waited = f"waited {lifetime + EXPIRY_MARGIN_S:g} s"
    late = session.client.request("GET", url)
    probe.case()
    if late.error or not _refused(late.status):
        probe.fail(
            f"the URL still works after its {lifetime} s lifetime ({waited})",
            expected="a 4xx refusal from the object store",
            observed=late.describe(),
            exchange=late,
        )


def check_url_tamper(session: Session, probe: Probe) -> None:
    """The URL with one character of its signature changed is refused."""
    lc = session.lifecycle
    _job, answer = ready_url(session)
    url = answer.url or ""
    signed = parse_signed_url(url, lc.download.signature)
    if signed.signature_param is None:
        raise NotCovered("the URL carries no signature parameter to tamper with; see ready-download")
    _baseline(session, url)
    forged = session.client.request("GET", tamper(url, signed.signature_param))
    probe.case()
    if forged.error or not _refused(forged.status):
        probe.fail(
            f"a URL with a changed {signed.signature_param} is accepted",
            expected="a 4xx refusal from the object store",
            observed=forged.describe(),
            exchange=forged,
        )


def check_fresh_url(session: Session, probe: Probe) -> None:
    """Where the spec says so (freshEachCall), two download calls give two different URLs."""
    if not session.lifecycle.download.fresh_each_call:
        raise NotCovered("the spec does not document a new URL on each call (freshEachCall is false)")
    job, first = ready_url(session)
    if session.states.has_clock:
        session.advance(FRESH_GAP_S)
    else:
        session.sleep(FRESH_GAP_S)
    second = download(session, job)
    probe.case()
    if second.url is None:
        # A job that left its downloadable state in between proves nothing about freshness.
        lc = session.lifecycle
        own = second.resource if isinstance(second.resource, dict) and lc.state_pointer else None
        state = pointers.get(own, lc.state_pointer) if own is not None else session.poll(job).state
        if state is not None and state not in session.lifecycle.downloadable:
            raise NotCovered(f"the job moved on to {state} between the two download calls")
        raise probe.stop(
            "the second download call gave no URL",
            expected="a new URL",
            observed=second.exchange.describe(),
            exchange=second.exchange,
        )
    if second.url == first.url:
        probe.fail(
            "the same URL is given on two calls",
            expected="a new URL on each call",
            observed=f"{second.url} twice, {FRESH_GAP_S} s apart",
            exchange=second.exchange,
        )


URL_EXPIRY = Check(
    id="url-expiry",
    title="The signed URL is refused once its lifetime has passed",
    severity=Severity.CRITICAL,
    clause="x-lifecycle.download.lifetime",
    run=check_url_expiry,
)
URL_TAMPER = Check(
    id="url-tamper",
    title="A URL with a changed signature is refused",
    severity=Severity.CRITICAL,
    clause="x-lifecycle.download.signature",
    run=check_url_tamper,
)
FRESH_URL = Check(
    id="fresh-url",
    title="A new URL on each call where documented",
    severity=Severity.MEDIUM,
    clause="x-lifecycle.download.freshEachCall",
    run=check_fresh_url,
)

__all__ = ["FRESH_URL", "URL_EXPIRY", "URL_TAMPER", "check_fresh_url", "check_url_expiry", "check_url_tamper"]
