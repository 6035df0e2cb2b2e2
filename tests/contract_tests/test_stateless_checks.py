"""The checker against a canned, stateless target (what Prism is): it says why, it does not wait
in vain, and it passes nothing it could not tell apart from a canned answer.

The target is an ``httpx.MockTransport`` answering the fixture API (``fixtures/fakeapi.yaml``)
with fixed bodies, as a mock built from examples does: no server, no port, no real waiting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import yaml

from contract_tests.checks import get_check, run_check
from contract_tests.client import HttpClient
from contract_tests.errors import NotCovered
from contract_tests.results import Outcome
from contract_tests.session import Session
from contract_tests.target import Target, Tenant
from specs import Lifecycle
from tests.contract_tests.conftest import FAKE_SPEC

BASE = "http://canned.test"
JOB_ID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
SIGNED = datetime(2026, 4, 15, 14, 16, tzinfo=UTC)  # when the canned URL says it was signed
LIFETIME_S = 60


@dataclasses.dataclass
class Canned:
    """What the canned target answers. ``states`` are given out one per status read, the last repeated."""

    states: list[str]
    now: datetime = SIGNED + timedelta(days=200)  # the Date header and the clock's now
    new_job_per_key: bool = False  # True: behaves like a real idempotent create
    status_reads: int = 0
    ids: dict[str, str] = dataclasses.field(default_factory=dict)

    def job(self, job_id: str, state: str) -> dict[str, Any]:
        ready = state == "READY"
        return {
            "id": job_id,
            "status": state,
            "queuedAt": "2026-04-15T14:15:20Z",
            "startedAt": "2026-04-15T14:15:21Z" if state != "QUEUED" else None,
            "completedAt": "2026-04-15T14:15:23Z" if ready else None,
            "artifact": {"sha256": "0" * 64, "byteSize": "1"} if ready else None,
        }

    def answer(self, status: int, body: Any) -> httpx.Response:
        headers = {"Date": format_datetime(self.now, usegmt=True)}
        return httpx.Response(status, json=body, headers=headers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/_control/clock":
            return self.answer(200, {"now": self.now.isoformat()})
        if request.method == "POST":
            key = request.headers.get("idempotency-key", "")
            job_id = self.ids.setdefault(key, f"{len(self.ids):08d}-0000-4000-8000-000000000000")
            return self.answer(202, {"export": self.job(job_id if self.new_job_per_key else JOB_ID, "QUEUED")})
        if path.endswith("/download"):
            date = SIGNED.strftime("%Y%m%dT%H%M%SZ")
            url = f"https://bucket.test/{JOB_ID}.csv?X-Amz-Date={date}&X-Amz-Expires={LIFETIME_S}&X-Amz-Signature=ab"
            expires_at = (SIGNED + timedelta(seconds=LIFETIME_S)).isoformat().replace("+00:00", "Z")
            return self.answer(200, {"download": {"url": url, "expiresInSeconds": LIFETIME_S, "expiresAt": expires_at}})
        if request.method == "DELETE":
            return httpx.Response(204)
        state = self.states[min(self.status_reads, len(self.states) - 1)]
        self.status_reads += 1
        return self.answer(200, {"export": self.job(path.rsplit("/", 1)[-1], state)})


def never_sleep(seconds: float) -> None:
    raise AssertionError(f"the checker waited {seconds} s for a job that cannot get there")


def ticking(step: float = 1.0) -> Callable[[], float]:
    """A monotonic clock that moves ``step`` seconds each time it is read."""
    ticks: Iterator[float] = (n * step for n in range(1_000_000))
    return lambda: next(ticks)


def session_on(
    canned: Canned,
    client: HttpClient,
    *,
    clock: bool = False,
    walk_budget_s: float = 60.0,
    sleep: Callable[[float], None] = never_sleep,
    monotonic: Callable[[], float] | None = None,
    lifecycle: Callable[[Lifecycle], Lifecycle] = lambda lc: lc,
) -> Session:
    spec = yaml.safe_load(FAKE_SPEC.read_text(encoding="utf-8"))
    tenant = Tenant({"apiKey": "key-primary"}, {"connectionId": "00000000-0000-4000-8000-000000000001"})
    target = Target(
        api="fakeapi",
        base_url=f"{BASE}/fakeapi",
        tenants={"primary": tenant},
        clock_url=f"{BASE}/_control/clock" if clock else None,
        spec=str(FAKE_SPEC),
    )
    return Session(
        target,
        spec,
        lifecycle(Lifecycle.from_spec(spec, "fakeapi")),
        client,
        seed=5,
        sleep=sleep,
        walk_budget_s=walk_budget_s,
        **({"monotonic": monotonic} if monotonic else {}),
    )


@pytest.fixture
def client_for() -> Iterator[Callable[[Canned], HttpClient]]:
    clients: list[HttpClient] = []

    def make(canned: Canned) -> HttpClient:
        clients.append(HttpClient(transport=httpx.MockTransport(canned)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def test_a_walk_stops_at_once_when_the_job_is_past_the_state(client_for: Callable[[Canned], HttpClient]) -> None:
    canned = Canned(["READY"])
    session = session_on(canned, client_for(canned))
    with pytest.raises(NotCovered, match=r"was 'READY' when polled, from which 'RUNNING' cannot be reached"):
        session.job("RUNNING")


def test_a_walk_that_ran_out_of_time_is_not_repeated(client_for: Callable[[Canned], HttpClient]) -> None:
    canned = Canned(["RUNNING"])
    client = client_for(canned)
    naps: list[float] = []
    session = session_on(canned, client, walk_budget_s=5, sleep=naps.append, monotonic=ticking())
    with pytest.raises(NotCovered, match=r"still 'RUNNING', not 'READY', at the end of the 5 s walk budget") as first:
        session.job("READY")
    assert naps  # it did wait, between polls, the first time
    sent = len(client.exchanges)
    with pytest.raises(NotCovered, match="found by an earlier walk in this run") as second:
        session.job("READY")
    assert len(client.exchanges) == sent  # not a single request more
    assert first.value.reason in second.value.reason


def test_without_a_state_member_only_the_initial_state_is_reached(client_for: Callable[[Canned], HttpClient]) -> None:
    canned = Canned(["READY"])
    session = session_on(canned, client_for(canned), lifecycle=lambda lc: dataclasses.replace(lc, state_pointer=None))
    assert session.job("QUEUED").state == "QUEUED"
    with pytest.raises(NotCovered, match=r"exposes no state \(x-lifecycle.statePointer is null\)"):
        session.job("READY")


def test_lifecycle_is_not_covered_when_the_job_is_never_seen_to_move(
    client_for: Callable[[Canned], HttpClient],
) -> None:
    canned = Canned(["READY"])
    result = run_check(get_check("lifecycle"), session_on(canned, client_for(canned)))
    assert result.outcome is Outcome.NOT_COVERED
    assert result.reason.startswith("the created export was only ever seen 'READY', so no transition could be judged")


def test_lifecycle_passes_a_job_seen_to_move(client_for: Callable[[Canned], HttpClient]) -> None:
    canned = Canned(["QUEUED", "RUNNING", "READY"])
    result = run_check(get_check("lifecycle"), session_on(canned, client_for(canned), sleep=lambda _: None))
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.cases == 3


@pytest.mark.parametrize("clock", [False, True], ids=["date-header", "target-clock"])
def test_ready_download_fails_a_url_that_expired_before_it_was_issued(
    client_for: Callable[[Canned], HttpClient], clock: bool
) -> None:
    canned = Canned(["READY"])
    result = run_check(get_check("ready-download"), session_on(canned, client_for(canned), clock=clock))
    assert result.outcome is Outcome.FAILED
    (failure,) = result.failures
    assert failure.message == "the URL had already expired when it was issued"
    assert ("the target's clock" if clock else "the answer's Date header") in failure.expected
    assert "2026-04-15T14:17:00+00:00" in failure.observed


@pytest.mark.parametrize("clock", [False, True], ids=["date-header", "target-clock"])
def test_ready_download_passes_a_url_issued_now(client_for: Callable[[Canned], HttpClient], clock: bool) -> None:
    canned = Canned(["READY"], now=SIGNED + timedelta(seconds=1))
    result = run_check(get_check("ready-download"), session_on(canned, client_for(canned), clock=clock))
    assert result.outcome is Outcome.PASSED, result.reason


def test_idempotency_is_not_passed_by_a_target_that_answers_one_job_to_everyone(
    client_for: Callable[[Canned], HttpClient],
) -> None:
    canned = Canned(["QUEUED"])
    result = run_check(get_check("vendor-rules"), session_on(canned, client_for(canned)))
    messages = [f.message for f in result.failures]
    assert "idempotency: a create with a different key answered the same job, not a new one" in messages


def test_idempotency_passes_a_replay_by_key(client_for: Callable[[Canned], HttpClient]) -> None:
    canned = Canned(["QUEUED"], new_job_per_key=True)
    result = run_check(get_check("vendor-rules"), session_on(canned, client_for(canned)))
    assert not [f for f in result.failures if f.spec_clause == "x-lifecycle.rules.idempotency"], result.failures
