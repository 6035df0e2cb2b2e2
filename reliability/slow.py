"""Slow clients: requests written a byte at a time, while other clients expect normal service.

``trickle`` speaks HTTP/1.1 over a raw socket so it can pace every byte: the head (request
line and headers) or the body, one byte per ``delay``. ``serve_while_trickling`` runs several
tricklers and, at the same time, ordinary clients that repeat a request and time each answer:
a server that reads one client's body while everybody else waits shows up as latencies as
long as the trickle.

    outcome = asyncio.run(serve_while_trickling(host, port, slow=[...], fast=[(base_url, planned)]))
    assert outcome.slowest_fast_answer < 2.0 and outcome.fast_done_before_slow
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from reliability.recipes import Planned


@dataclass(frozen=True)
class Trickle:
    """One slow request: what to send, which part to pace, and how slowly."""

    method: str
    path: str  # absolute path on the server, e.g. /curaeai/api/sdk/v1/records/exports
    headers: Mapping[str, str]
    body: bytes = b""
    pace: str = "body"  # "body": the head at once, then the body byte by byte; "head": everything byte by byte
    delay: float = 0.02


@dataclass(frozen=True)
class RawAnswer:
    """An HTTP answer read off a raw socket."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Outcome:
    """What the tricklers and the ordinary clients saw."""

    slow: list[RawAnswer | str] = field(default_factory=list)  # in request order: an answer, or what ended it
    fast_latencies: list[float] = field(default_factory=list)
    fast_statuses: dict[int, int] = field(default_factory=dict)
    fast_errors: list[str] = field(default_factory=list)
    fast_finished_at: float = 0.0  # seconds after the start
    slow_finished_at: float = 0.0

    @property
    def slowest_fast_answer(self) -> float:
        return max(self.fast_latencies, default=float("inf"))

    @property
    def fast_done_before_slow(self) -> bool:
        return self.fast_finished_at < self.slow_finished_at

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.fast_latencies)
        return {
            "slow_clients": len(self.slow),
            "slow_answers": [a.status if isinstance(a, RawAnswer) else a for a in self.slow],
            "slow_seconds": round(self.slow_finished_at, 2),
            "fast_requests": len(self.fast_latencies),
            "fast_statuses": {str(k): v for k, v in sorted(self.fast_statuses.items())},
            "fast_errors": len(self.fast_errors),
            "fast_p50_ms": round(ordered[len(ordered) // 2] * 1000, 1) if ordered else None,
            "fast_max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
            "fast_finished_seconds": round(self.fast_finished_at, 2),
        }


def encode(trickle: Trickle, host: str) -> tuple[bytes, bytes]:
    """The request head and body as bytes (``Host`` and ``Content-Length`` added)."""
    lines = [f"{trickle.method} {trickle.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(trickle.body)}"]
    lines += [f"{name}: {value}" for name, value in trickle.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), trickle.body


async def trickle(host: str, port: int, request: Trickle, timeout: float = 120.0) -> RawAnswer:
    """Send ``request`` at its pace and read the answer (``Connection: close`` semantics)."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head, body = encode(request, f"{host}:{port}")
        paced, burst = (head + body, b"") if request.pace == "head" else (body, head)
        if burst:
            writer.write(burst)
            await writer.drain()
        for index in range(len(paced)):
            writer.write(paced[index : index + 1])
            await writer.drain()
            await asyncio.sleep(request.delay)
        return await asyncio.wait_for(_read_answer(reader, started), timeout)
    finally:
        writer.close()
        await writer.wait_closed()


async def _read_answer(reader: asyncio.StreamReader, started: float) -> RawAnswer:
    status_line = (await reader.readline()).decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {status_line!r}")
    headers: dict[str, str] = {}
    while (line := (await reader.readline()).decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    body = await reader.readexactly(int(length)) if length is not None else await reader.read()
    return RawAnswer(int(parts[1]), headers, body, time.monotonic() - started)


async def serve_while_trickling(
    host: str,
    port: int,
    *,
    slow: Sequence[Trickle],
    fast: Sequence[tuple[str, Planned]],
    fast_clients: int = 10,
    fast_requests: int = 10,
) -> Outcome:
    """Run the tricklers and, meanwhile, ``fast_clients`` clients each sending ``fast_requests``
    requests, client ``i`` the ``(base URL, request)`` ``fast[i % len(fast)]``."""
    outcome = Outcome()
    started = time.monotonic()

    outcome.slow = ["not sent"] * len(slow)

    async def slow_one(index: int, request: Trickle) -> None:
        try:
            outcome.slow[index] = await trickle(host, port, request)
        except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as exc:
            outcome.slow[index] = f"{type(exc).__name__}: {exc}"

    async def fast_one(http: httpx.AsyncClient, base_url: str, request: Planned) -> None:
        for _ in range(fast_requests):
            sent = time.monotonic()
            try:
                response = await http.request(
                    request.method, base_url + request.path, headers=request.headers, json=request.json
                )
            except httpx.TransportError as exc:
                outcome.fast_errors.append(f"{type(exc).__name__}: {exc}")
                continue
            outcome.fast_latencies.append(time.monotonic() - sent)
            outcome.fast_statuses[response.status_code] = outcome.fast_statuses.get(response.status_code, 0) + 1

    async def all_slow() -> None:
        await asyncio.gather(*(slow_one(i, r) for i, r in enumerate(slow)))
        outcome.slow_finished_at = time.monotonic() - started

    async def all_fast() -> None:
        await asyncio.sleep(min(r.delay for r in slow) * 5 if slow else 0)  # let the tricklers get going
        async with httpx.AsyncClient(timeout=30.0) as http:
            await asyncio.gather(*(fast_one(http, *fast[i % len(fast)]) for i in range(fast_clients)))
        outcome.fast_finished_at = time.monotonic() - started

    await asyncio.gather(all_slow(), all_fast())
    return outcome
