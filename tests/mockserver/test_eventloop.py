"""The serving loop accepts every waiting connection at once, and survives running out of descriptors."""

from __future__ import annotations

import asyncio
import errno
import importlib.util
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver import eventloop
from mockserver.cli import bind_socket, uvicorn_server
from mockserver.eventloop import EagerAcceptServer, eager_accept_loop, loop_factory_name


class Recorder(asyncio.Protocol):
    made: list[Recorder]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.append(self)
        self.transport = transport


def recorder_factory() -> tuple[list[Recorder], type[Recorder]]:
    made: list[Recorder] = []
    return made, type("BoundRecorder", (Recorder,), {"made": made})


def test_one_readiness_accepts_every_waiting_connection() -> None:
    loop = eager_accept_loop()
    listener = bind_socket("127.0.0.1", 0)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(40)]
    try:
        made, protocol = recorder_factory()
        server = EagerAcceptServer(loop, protocol, listener)
        server._accept_waiting()  # what one readiness of the listening socket runs
        loop.run_until_complete(asyncio.sleep(0.05))  # the transports are set up
        assert len(made) == 40  # libuv's own server would have taken 40 turns of the loop
        server.close()
        assert not server.is_serving()
        assert server.sockets == ()
        for accepted in made:
            accepted.transport.close()
        loop.run_until_complete(asyncio.sleep(0.05))
    finally:
        for client in clients:
            client.close()
        listener.close()
        loop.close()


class ExhaustedSocket:
    """A listening socket whose ``accept`` fails as a process out of descriptors does."""

    def __init__(self, real: socket.socket) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def accept(self) -> tuple[socket.socket, Any]:
        raise OSError(errno.EMFILE, "Too many open files")


def test_running_out_of_descriptors_pauses_accepting_then_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventloop, "RETRY_AFTER_S", 0.05)
    loop = eager_accept_loop()
    listener = bind_socket("127.0.0.1", 0)
    try:
        _, protocol = recorder_factory()
        server = EagerAcceptServer(loop, protocol, ExhaustedSocket(listener))  # type: ignore[arg-type]
        server._accept_waiting()
        assert not server.is_serving()  # not spinning on a socket it cannot accept from
        loop.run_until_complete(asyncio.sleep(0.2))
        assert server.is_serving()
        server.close()
    finally:
        listener.close()
        loop.close()


def test_another_accept_error_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(ExhaustedSocket):
        def accept(self) -> tuple[socket.socket, Any]:
            raise OSError(errno.EBADF, "Bad file descriptor")

    loop = eager_accept_loop()
    listener = bind_socket("127.0.0.1", 0)
    try:
        server = EagerAcceptServer(loop, asyncio.Protocol, Broken(listener))  # type: ignore[arg-type]
        with pytest.raises(OSError, match="Bad file descriptor"):
            server._accept_waiting()
        server.close()
    finally:
        listener.close()
        loop.close()


@pytest.fixture
def served() -> Iterator[str]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn_server(app, log_level="error")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_uvicorn_on_the_eager_loop_answers_a_burst_of_connections(served: str) -> None:
    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=served, limits=limits) as client:
            answers = await asyncio.gather(*(client.get("/") for _ in range(64)))
        return [answer.status_code for answer in answers]

    assert asyncio.run(burst()) == [200] * 64


def test_without_uvloop_the_server_uses_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvloop" else real(name, *a))
    assert loop_factory_name() == "asyncio"
