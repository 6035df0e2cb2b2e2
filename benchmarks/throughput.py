"""Throughput and latency: each endpoint on the mock, on bare Starlette and on Prism, in turn.

1. ``discover`` asks the running mock which APIs it serves and, per API, sets up the provider
   state of the lifecycle's ready state: a stored export, its ids and its tenant's credentials.
2. ``record_payloads`` fetches each endpoint once from the mock (checking its status) and keeps
   the answer, which the bare Starlette app then serves byte for byte.
3. ``load_in_turn`` loads one endpoint on every target with the same wrk settings: a warm-up run
   per target, then ``runs`` rounds that each visit every target once, so drift hits all alike;
   ``summarised`` turns each target's runs into medians.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.endpoints import Endpoint, example_endpoints, mock_endpoints
from benchmarks.errors import BenchError, ProbeError, SetupError
from benchmarks.payloads import Payload
from benchmarks.processes import cpu_seconds
from benchmarks.stats import Summary, summarise
from benchmarks.wrk import WrkResult, WrkSettings, run_wrk
from specs import API_NAMES, Lifecycle, load_spec

Log = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """One server under load for one endpoint: ``base_url + path`` with ``headers``."""

    name: str  # "mock", "bare" or "prism"
    base_url: str
    path: str
    headers: Mapping[str, str]
    pid: int | None = None  # the server's process, to charge it the CPU time of a run
    rotation: tuple[str, ...] = ()  # paths that requests cycle through instead of ``path`` alone

    @property
    def url(self) -> str:
        return self.base_url + self.path


def control_call(client: httpx.Client, method: str, path: str, body: Any = None) -> Any:
    """A control-plane call; raises ``SetupError`` on an error status or a non-JSON answer."""
    response = client.request(method, path, json=body)
    if response.status_code >= 400:
        raise SetupError(f"{method} {path}", response.status_code, response.text)
    try:
        return response.json()
    except ValueError:
        raise SetupError(f"{method} {path}", response.status_code, "the answer is not JSON") from None


def discover(mock_url: str, apis: Sequence[str] | None, log: Log) -> tuple[dict[str, list[Endpoint]], dict[str, str]]:
    """Endpoints of every API the mock serves, and why each other API is left out."""
    endpoints: dict[str, list[Endpoint]] = {}
    missing: dict[str, str] = {}
    with httpx.Client(base_url=mock_url, timeout=30.0) as client:
        for api in apis or API_NAMES:
            answer = client.get(f"/_control/{api}/target").status_code
            if answer != 200:
                missing[api] = "not served by the mock yet" if answer == 404 else f"its target answers {answer}"
                continue
            spec = load_spec(api)
            ready = Lifecycle.from_spec(spec, api).ready
            try:
                state = control_call(client, "POST", f"/_control/{api}/provider-states", {"state": ready})
                endpoints[api] = mock_endpoints(api, spec, state)
            except (BenchError, KeyError, ValueError) as exc:
                missing[api] = f"provider state {ready!r} unusable: {exc}"
                log(f"{api}: left out: {missing[api]}")
    return endpoints, missing


def probe(target: Target, expected_status: int | None, *, api: str = "", operation_id: str = "") -> Payload:
    """One request to ``target``; its answer, if it has the expected status (any < 400 for ``None``)."""
    try:
        response = httpx.get(target.url, headers=dict(target.headers), timeout=30.0, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ProbeError(target.url, "an answer", f"{type(exc).__name__}: {exc}") from None
    ok = response.status_code == expected_status if expected_status else response.status_code < 400
    if not ok:
        wanted = str(expected_status) if expected_status else "a status below 400"
        raise ProbeError(target.url, wanted, f"{response.status_code} {response.text[:200]}")
    return Payload.recorded(
        target.path, response.status_code, response.headers, response.content, api=api, operation_id=operation_id
    )


def record_payloads(mock_url: str, endpoints: Sequence[Endpoint]) -> list[Payload]:
    """The mock's answer on every endpoint (raises ``ProbeError`` if one is not as expected)."""
    return [
        probe(Target("mock", mock_url, e.path, e.headers), e.expected_status, api=e.api, operation_id=e.operation_id)
        for e in endpoints
    ]


def prism_endpoint(api: str, kind: str) -> Endpoint | None:
    """The same endpoint at the spec's example path, as Prism serves it."""
    return next((e for e in example_endpoints(api, load_spec(api)) if e.kind == kind), None)


def load_in_turn(
    targets: Sequence[Target],
    *,
    wrk: str,
    settings: WrkSettings,
    runs: int,
    warmup_s: int,
    workdir: Path,
    log: Log,
) -> dict[str, list[tuple[WrkResult, float | None]]]:
    """Load each target with the same settings: a warm-up, then ``runs`` interleaved rounds.

    Per target, each run's result and the CPU seconds its server spent during it (``None``
    without a pid to read).
    """
    measured: dict[str, list[tuple[WrkResult, float | None]]] = {t.name: [] for t in targets}
    if warmup_s > 0:
        warm = settings.lasting(warmup_s)
        for target in targets:
            run_wrk(wrk, target.url, warm, workdir, headers=target.headers, paths=target.rotation)
    for round_number in range(runs):
        for target in targets:
            before = cpu_seconds(target.pid) if target.pid else 0.0
            result = run_wrk(wrk, target.url, settings, workdir, headers=target.headers, paths=target.rotation)
            measured[target.name].append((result, cpu_seconds(target.pid) - before if target.pid else None))
            log(
                f"  {target.name:<5} run {round_number + 1}/{runs}: {result.requests_per_s:8.1f} req/s, "
                f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
                + (
                    ""
                    if result.clean
                    else f"  ({result.bad_statuses} bad statuses, {result.socket_errors} socket errors)"
                )
            )
    return measured


def summarised(measured: Mapping[str, Sequence[tuple[WrkResult, float | None]]]) -> dict[str, Summary]:
    """Each target's runs of ``load_in_turn`` summarised (medians; CPU milliseconds per request)."""
    return {
        name: summarise(
            [result for result, _ in runs_of],
            [cpu * 1000 / result.requests for result, cpu in runs_of if cpu is not None and result.requests],
        )
        for name, runs_of in measured.items()
    }
