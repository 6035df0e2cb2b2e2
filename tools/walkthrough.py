"""The demo's walk-through of one API's lifecycle, over HTTP only: create, poll, download, fetch.

It drives the target with the checker's own session (``contract_tests.session``), so it works
against anything a target description points at: the job is created with the spec's example
body and the target's fixtures, polled through its states (advancing the target's clock where
it has one, so no real waiting), its download URL is asked for in the spec's download style,
and the bytes are fetched and summed.

    create   POST http://127.0.0.1:8080/curaeai/api/sdk/v1/records/exports -> 202, id 6f1c...
    poll     QUEUED
    poll     RUNNING (clock +1s)
    poll     READY (clock +2s)
    download GET .../download -> 200, URL http://127.0.0.1:8080/_storage/...
    fetch    GET http://127.0.0.1:8080/_storage/... -> 200, 5120 bytes, sha256 1f3a... (matches the job's sha256)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import httpx

from contract_tests import pointers
from contract_tests.client import Exchange, HttpClient
from contract_tests.errors import NotCovered
from contract_tests.session import Session
from contract_tests.states import Job
from contract_tests.target import Target
from specs import Lifecycle, load_spec
from tools.errors import WalkthroughError
from tools.reports.common import one_line

MAX_POLLS = 40
URL_SHOWN = 96


@dataclass(frozen=True)
class Walk:
    """What the walk-through saw: the states in order, the artifact's size and checksum."""

    api: str
    job_id: str
    states: tuple[str, ...]
    byte_size: int
    sha256: str


def _short(url: str) -> str:
    return url if len(url) <= URL_SHOWN else url[: URL_SHOWN - 3] + "..."


def _answer(exchange: Exchange) -> str:
    return exchange.error or f"{exchange.status}"


class _Walker:
    def __init__(self, session: Session, out: TextIO, sleep: Callable[[float], None]) -> None:
        self.session = session
        self.lc: Lifecycle = session.lifecycle
        self.api = session.target.api
        self.out = out
        self.sleep = sleep

    def say(self, step: str, text: str) -> None:
        self.out.write(f"  {step:<9}{one_line(text)}\n")  # the target's answers are quoted
        self.out.flush()

    def fail(self, step: str, problem: str) -> WalkthroughError:
        return WalkthroughError(self.api, step, problem)

    def create(self) -> Job:
        exchange, job = self.session.create()
        if job is None:
            raise self.fail("create", f"{exchange.method} {exchange.url} answered {exchange.describe(200)}")
        self.say("create", f"{exchange.method} {_short(exchange.url)} -> {_answer(exchange)}, id {job.id}")
        return job

    def poll_until_ready(self, job: Job) -> tuple[tuple[str, ...], Any]:
        if self.lc.state_pointer is None:
            poll = self.session.poll(job)
            if poll.resource is None:
                raise self.fail("poll", poll.exchange.describe(200))
            self.say("poll", f"{self.lc.ready} (the API exposes no state: ready as soon as it exists)")
            return (self.lc.ready,), poll.resource
        seen: list[str] = []
        note = ""
        for _ in range(MAX_POLLS):
            poll = self.session.poll(job)
            if poll.state is None:
                raise self.fail("poll", f"no state in the answer: {poll.exchange.describe(200)}")
            if not seen or seen[-1] != poll.state:
                seen.append(poll.state)
                self.say("poll", f"{poll.state}{note}")
            if poll.state == self.lc.ready:
                return tuple(seen), poll.resource
            if poll.state in self.lc.terminal:
                raise self.fail("poll", f"the job ended in {poll.state} instead of {self.lc.ready}")
            if self.session.states.has_clock:
                step = self.lc.durations.get(poll.state, 1.0)
                self.session.advance(step)
                note = f" (clock +{step:g}s)"
            else:
                self.sleep(0.5)
                note = ""
        raise self.fail("poll", f"not {self.lc.ready} after {MAX_POLLS} polls (seen: {' -> '.join(seen)})")

    def download_url(self, job: Job, resource: Any) -> str:
        style = self.lc.download.style
        if style == "member":
            url = pointers.get(resource, self.lc.download.url_pointer)
            self.say("download", f"status answer member {self.lc.download.url_pointer} -> {_short(str(url))}")
        else:
            op = self.session.op("download")
            exchange = self.session.call(op, credentials=job.credentials, path_params=self.session.params_for(op, job))
            if style == "redirect":
                url = exchange.headers.get("location", pointers.MISSING)
            else:
                url = (
                    pointers.get(exchange.data, self.lc.download.url_pointer) if exchange.is_json else pointers.MISSING
                )
            if url is pointers.MISSING:
                raise self.fail("download", f"{exchange.method} {exchange.url} answered {exchange.describe(200)}")
            self.say(
                "download", f"{exchange.method} {_short(exchange.url)} -> {_answer(exchange)}, URL {_short(str(url))}"
            )
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise self.fail("download", f"no absolute download URL, got {url!r}")
        return url

    def fetch(self, url: str, resource: Any) -> tuple[int, str]:
        exchange = self.session.client.request("GET", url)
        if exchange.error or exchange.status != 200:
            raise self.fail("fetch", f"GET {_short(url)} answered {exchange.describe(200)}")
        digest = hashlib.sha256(exchange.body).hexdigest()
        checks = []
        expected_sha = (
            pointers.get(resource, self.lc.artifact.sha256_pointer) if self.lc.artifact.sha256_pointer else None
        )
        if isinstance(expected_sha, str):
            checks.append(
                "matches the job's sha256" if expected_sha.lower() == digest else "DIFFERS from the job's sha256"
            )
        expected_size = (
            pointers.get(resource, self.lc.artifact.byte_size_pointer) if self.lc.artifact.byte_size_pointer else None
        )
        if isinstance(expected_size, int | str) and str(expected_size).isdigit():
            same = int(expected_size) == len(exchange.body)
            checks.append("size matches" if same else f"size DIFFERS from the job's {expected_size}")
        extra = f" ({', '.join(checks)})" if checks else ""
        self.say("fetch", f"GET {_short(url)} -> 200, {len(exchange.body)} bytes, sha256 {digest[:16]}...{extra}")
        return len(exchange.body), digest


def walk_lifecycle(
    target: Target,
    out: TextIO,
    *,
    seed: int | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Walk:
    """Walk one job of ``target`` from creation to fetched bytes, printing each step to ``out``.

    Raises ``WalkthroughError`` naming the step that failed (the target's answer included).
    """
    spec = load_spec(target.spec or target.api)
    lifecycle = Lifecycle.from_spec(spec, target.api)
    out.write(f"{target.api}: walk-through of one {lifecycle.resource} at {target.base_url}\n")
    with HttpClient(transport=transport) as client:
        walker = _Walker(Session(target, spec, lifecycle, client, seed=seed, sleep=sleep), out, sleep)
        try:
            job = walker.create()
            states, resource = walker.poll_until_ready(job)
            url = walker.download_url(job, resource)
            size, digest = walker.fetch(url, resource)
        except NotCovered as exc:
            raise WalkthroughError(target.api, "set-up", str(exc)) from exc
    return Walk(target.api, job.id, states, size, digest)
