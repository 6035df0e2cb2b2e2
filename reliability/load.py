"""A bounded load: N concurrent clients, each create -> poll -> download in a loop, on loopback.

Each client is one ``httpx.AsyncClient`` (its own connections, as separate CI jobs would
have), one API and one tenant, assigned round-robin so every API and both tenants are busy at
once. A cycle creates a job, polls it until it is downloadable (or terminal), downloads it and
fetches the signed URL, checking the bytes against the advertised SHA-256 where the API has
one. Every acknowledged create and every state seen goes into the ``Ledger``.

What counts as a problem (a ``Finding``): a 5xx; an answer no valid request should get (a 4xx
to our own valid create, a 404 for our own job, a refused download of a ready job, a refused
signed URL, wrong bytes); and a transport error unless ``outages_expected`` (a crash run, where
the server is down on purpose). 429 is the documented answer to a busy key and is only counted.

A create that got no answer is *in doubt*: it may or may not exist. Where the API has an
idempotency key the client asks again with the same key until it has an answer, as a careful
client would, so nothing stays in doubt there.

    report = asyncio.run(run_load(recipes, ledger, LoadOptions(clients=50, seconds=20)))
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reliability.errors import Finding
from reliability.ledger import Ledger
from reliability.load_report import LoadReport
from reliability.recipes import ApiRecipe, Planned

RETRY_PAUSE = 0.1  # seconds between two tries of a request that got no answer
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class LoadOptions:
    """How many clients, for how long, and how patient they are."""

    clients: int = 50
    seconds: float = 20.0
    poll_interval: float = 0.05
    request_timeout: float = 30.0
    tenants: tuple[str, ...] = ("primary", "secondary")
    outages_expected: bool = False  # a crash run: transport errors while the mock is down are expected
    retry_window: float = 30.0  # how long after the end an idempotent create is still asked again


@dataclass
class Deadline:
    """When the clients stop starting new work; a crash run moves it back after each restart."""

    at: float

    def passed(self) -> bool:
        return time.monotonic() >= self.at


@dataclass(frozen=True)
class NoAnswer:
    """A request that got no HTTP answer. ``reached_server`` is false when the connection was never
    made (refused, connect timeout): then nothing happened on the server and a retry is safe."""

    reached_server: bool
    error: str


class _Client:
    """One simulated client: its API, tenant, HTTP connection pool and create counter."""

    def __init__(
        self,
        index: int,
        recipe: ApiRecipe,
        tenant: str,
        ledger: Ledger,
        report: LoadReport,
        options: LoadOptions,
        tls: ssl.SSLContext,
    ) -> None:
        self.index = index
        self.recipe = recipe
        self.api = recipe.api
        self.lifecycle = recipe.lifecycle
        self.tenant = tenant
        self.ledger = ledger
        self.report = report
        self.options = options
        self.http = httpx.AsyncClient(timeout=options.request_timeout, verify=tls)
        self.cycle = 0

    async def send(self, request: Planned | str) -> httpx.Response | NoAnswer:
        """Send and count; ``NoAnswer`` when no HTTP answer came (connection refused, reset, timeout)."""
        if isinstance(request, Planned):
            method, url = request.method, self.recipe.target.base_url + request.path
            headers, body, label = request.headers, request.json, f"{request.method} {request.path}"
        else:
            method, url, headers, body, label = "GET", request, {}, None, "GET <signed URL>"
        started = time.monotonic()
        self.report.requests += 1
        self.report.by_api[self.api] += 1
        try:
            response = await self.http.request(method, url, headers=headers, json=body)
        except httpx.TransportError as exc:
            self.report.transport_errors += 1
            if not self.options.outages_expected:
                self.report.find("transport", self.api, label, f"{type(exc).__name__}: {exc}")
            return NoAnswer(not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout), f"{type(exc).__name__}")
        self.report.latencies.append(time.monotonic() - started)
        self.report.by_status[response.status_code] += 1
        if response.status_code >= 500:
            self.report.server_errors += 1
            self.report.find("server-error", self.api, label, f"{response.status_code}: {response.text[:200]}")
        elif response.status_code == 429:
            self.report.throttled += 1
        return response

    def unexpected(self, where: str, response: httpx.Response, expected: str) -> None:
        if response.status_code >= 500:
            return  # already a server-error finding
        self.report.unexpected += 1
        self.report.find(
            "unexpected", self.api, where, f"{response.status_code} (expected {expected}): {response.text[:200]}"
        )

    async def run(self, deadline: Deadline) -> None:
        async with self.http:
            while not deadline.passed():
                self.cycle += 1
                job = await self.create(deadline)
                if job is None:
                    await asyncio.sleep(self.options.poll_interval)
                    continue
                polled = await self.poll(job, deadline)
                # An API that exposes no state (carevalidate) has a resource that is simply ready.
                if polled is not None and (polled[0] or self.lifecycle.ready) in self.lifecycle.downloadable:
                    await self.download(job, polled[1])

    async def create(self, deadline: Deadline) -> str | None:
        key = f"load-{self.index}-{self.cycle}-{uuid.uuid4().hex[:12]}"
        planned = self.recipe.create(self.tenant, key=key)
        idempotent = "idempotency" in self.lifecycle.rules
        window = self.options.retry_window if idempotent else 0.0
        while True:
            self.report.inflight_creates[self.api] += 1
            try:
                response = await self.send(planned)
            finally:
                self.report.inflight_creates[self.api] -= 1
            if isinstance(response, httpx.Response) and response.status_code != 429:
                break
            # Asking again is safe when nothing can have been created: a 429, or a connection never
            # made. After a request that reached the server, only the same idempotency key is.
            in_doubt = isinstance(response, NoAnswer) and response.reached_server
            if time.monotonic() >= deadline.at + window or (in_doubt and not idempotent):
                if in_doubt:
                    self.report.creates_in_doubt[self.api] += 1
                return None
            await asyncio.sleep(RETRY_PAUSE)
        if not 200 <= response.status_code < 300:
            self.unexpected(f"create {key}", response, "2xx")
            return None
        body = _json(response)
        job_id = self.recipe.job_id(body)
        if job_id is None:
            self.unexpected(f"create {key}", response, f"an id at {self.lifecycle.id_pointer}")
            return None
        self.report.creates_acknowledged += 1
        self.ledger.acknowledge(
            self.api, self.tenant, job_id, key=key, client=self.index, state=self.recipe.state(body)
        )
        return job_id

    async def poll(self, job_id: str, deadline: Deadline) -> tuple[str | None, Any] | None:
        """Poll until downloadable or terminal: ``(state, status body)``; ``None`` at the deadline or on error."""
        planned = self.recipe.status(self.tenant, job_id)
        while not deadline.passed():
            response = await self.send(planned)
            if isinstance(response, NoAnswer):
                await asyncio.sleep(RETRY_PAUSE)
                continue
            if response.status_code == 200:
                body = _json(response)
                state = self.recipe.state(body)
                if state is None:
                    return None, body  # the API exposes no state: the resource is there, that is all
                self.ledger.observe(self.api, job_id, state, client=self.index)
                if state in self.lifecycle.downloadable or state in self.lifecycle.terminal:
                    return state, body
            elif response.status_code == self.lifecycle.not_found.status:
                # Our own acknowledged job answered like a missing one: lost, not merely a wrong answer.
                self.report.unexpected += 1
                self.ledger.record(Finding("lost", self.api, job_id, f"status answered {response.text[:200]}"))
                return None
            elif response.status_code != 429:
                self.unexpected(f"status {job_id}", response, "200")
                return None
            await asyncio.sleep(self.options.poll_interval)
        return None

    async def download(self, job_id: str, status_body: Any) -> None:
        style = self.lifecycle.download.style
        url: str | None
        if style == "member":
            url = self.recipe.member_url(status_body)
        else:
            response = await self.send(self.recipe.download(self.tenant, job_id))
            if isinstance(response, NoAnswer):
                return
            if style == "redirect":
                url = response.headers.get("location") if response.status_code in REDIRECTS else None
            else:
                url = self.recipe.json_url(_json(response)) if response.status_code == 200 else None
            if url is None:
                self.unexpected(f"download {job_id}", response, "a download URL")
                return
        if url is None:
            self.report.unexpected += 1
            self.report.find("unexpected", self.api, job_id, "downloadable, but the status has no download URL")
            return
        fetched = await self.send(url)
        if isinstance(fetched, NoAnswer):
            return
        if fetched.status_code != 200:
            self.unexpected(f"signed URL of {job_id}", fetched, "200")
            return
        expected = self.recipe.sha256(status_body)
        if expected is not None and hashlib.sha256(fetched.content).hexdigest() != expected:
            self.report.find("artifact", self.api, job_id, f"bytes do not match the advertised sha256 {expected}")
            self.report.unexpected += 1
            return
        self.report.downloads_verified += 1
        self.report.bytes_downloaded += len(fetched.content)
        self.ledger.downloaded(self.api, job_id)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


async def run_load(recipes: Mapping[str, ApiRecipe], ledger: Ledger, options: LoadOptions) -> LoadReport:
    """Run ``options.clients`` clients over ``recipes`` for ``options.seconds``; the report when all stopped."""
    report = LoadReport(options.clients, options.seconds, sorted(recipes), outages_expected=options.outages_expected)
    return await run_clients(recipes, ledger, options, report)


async def run_clients(
    recipes: Mapping[str, ApiRecipe],
    ledger: Ledger,
    options: LoadOptions,
    report: LoadReport,
    deadline: Deadline | None = None,
) -> LoadReport:
    """``run_load`` into a given ``report`` and ``deadline`` (a crash run reads ``inflight_creates``
    while it runs, and moves the deadline back so the load outlasts each outage)."""
    names = sorted(recipes)
    tls = ssl.create_default_context()  # one for all: building one per client costs ~0.2 s of CPU each
    clients = [
        _Client(
            i,
            recipes[names[i % len(names)]],
            options.tenants[(i // len(names)) % len(options.tenants)],
            ledger,
            report,
            options,
            tls,
        )
        for i in range(options.clients)
    ]
    started = time.monotonic()
    deadline = deadline or Deadline(started + options.seconds)
    await asyncio.gather(*(client.run(deadline) for client in clients))
    report.seconds = time.monotonic() - started
    return report
