"""The event loop the mock serves on: uvloop, accepting every waiting connection at once.

libuv, under uvloop, accepts one connection per turn of the event loop (since libuv PR #3696,
2022: "don't accept() connections in a loop"). A busy server answers every ready request in
each turn, so of N clients connecting together the last waits N turns before it is even
accepted: with 32 new connections and 0.3 ms of work per request that is ~150 ms, measured
here as a 150-200 ms maximum and a p99 of 50-120 ms in the first second of every wrk run
(`benchmarks/RESULTS.md`), while steady-state requests took 10 ms. A CI fleet or a load test
starting together meets exactly that.

``EagerAcceptLoop`` is uvloop's loop whose ``create_server(sock=...)`` (what uvicorn calls with
the socket ``serve`` binds) returns an ``EagerAcceptServer``: it watches the listening socket
itself and, each time it is readable, accepts until the kernel's queue is empty (at most
``ACCEPT_BATCH``), handing each connection to uvloop's ``connect_accepted_socket``. Requests are
then read and answered by uvloop's transports as before. Where uvloop is not installed
``loop_factory_name`` names asyncio's loop, which already accepts in a loop.
"""

from __future__ import annotations

import asyncio
import errno
import importlib.util
import logging
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["ACCEPT_BATCH", "EagerAcceptServer", "eager_accept_loop", "loop_factory_name"]

ACCEPT_BATCH = 512  # accepts per readiness, so a flood of connections cannot starve the requests
RETRY_AFTER_S = 1.0  # out of file descriptors: stop accepting for a second, as asyncio does
# Errors that end one accept but not the server: the peer went away before it was accepted.
_GONE = (ConnectionAbortedError, ConnectionResetError)
_RESOURCE_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}

logger = logging.getLogger("mockserver.eventloop")


class EagerAcceptServer(asyncio.AbstractServer):
    """A listening socket whose pending connections are all accepted each time it is readable."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
        *,
        start: bool = True,
    ) -> None:
        self._loop = loop
        self._protocol_factory = protocol_factory
        self._sock = sock
        self._serving = False
        self._handshakes: set[asyncio.Task[Any]] = set()
        sock.setblocking(False)
        if start:
            self._start()

    def _start(self) -> None:
        if not self._serving and self._sock.fileno() >= 0:
            self._serving = True
            self._loop.add_reader(self._sock.fileno(), self._accept_waiting)

    def _accept_waiting(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except _GONE:
                continue
            except OSError as exc:
                if exc.errno not in _RESOURCE_ERRNOS:
                    raise
                logger.error("cannot accept a connection (%s); retrying in %.0f s", exc, RETRY_AFTER_S)
                self._pause()
                self._loop.call_later(RETRY_AFTER_S, self._start)
                return
            task = self._loop.create_task(self._loop.connect_accepted_socket(self._protocol_factory, conn))
            self._handshakes.add(task)
            task.add_done_callback(self._handshake_done)

    def _handshake_done(self, task: asyncio.Task[Any]) -> None:
        self._handshakes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("a connection could not be set up: %s", task.exception())

    def _pause(self) -> None:
        if self._serving:
            self._serving = False
            if self._sock.fileno() >= 0:
                self._loop.remove_reader(self._sock.fileno())

    # -- asyncio.AbstractServer -----------------------------------------------------------------
    def close(self) -> None:
        """Stop accepting and close the listening socket; open connections are the protocol's."""
        self._pause()
        self._sock.close()

    async def wait_closed(self) -> None:
        return None

    def is_serving(self) -> bool:
        return self._serving

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,) if self._sock.fileno() >= 0 else ()

    async def start_serving(self) -> None:
        self._start()

    async def serve_forever(self) -> None:
        self._start()
        await self._loop.create_future()

    def close_clients(self) -> None:  # asyncio 3.13 API; clients belong to their protocols here
        return None

    def abort_clients(self) -> None:
        return None


def eager_accept_loop() -> asyncio.AbstractEventLoop:
    """A new uvloop loop whose servers on a given socket accept eagerly (uvicorn's loop factory)."""
    import uvloop

    class EagerAcceptLoop(uvloop.Loop):
        async def create_server(  # type: ignore[override]
            self, protocol_factory: Callable[[], asyncio.BaseProtocol], host: Any = None, port: Any = None, **kw: Any
        ) -> asyncio.AbstractServer:
            sock = kw.get("sock")
            if sock is None or kw.get("ssl") is not None or host is not None or port is not None:
                return await super().create_server(protocol_factory, host, port, **kw)
            sock.listen(kw.get("backlog", 100))  # as uvloop does with a given socket
            return EagerAcceptServer(self, protocol_factory, sock, start=kw.get("start_serving", True))

    return EagerAcceptLoop()


def loop_factory_name() -> str:
    """What to give uvicorn's ``Config(loop=...)``: this module's loop, or asyncio's without uvloop."""
    if importlib.util.find_spec("uvloop") is None:
        return "asyncio"
    return f"{__name__}:eager_accept_loop"
