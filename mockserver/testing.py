"""Run the mock inside a test suite: ``running_mock`` and the ``MockHandle`` it yields.

    from mockserver.testing import running_mock

    with running_mock(["curaeai"], time_scale=100) as mock:
        job = mock.provider_state("curaeai", "READY")
        url = mock.base_url("curaeai") + "/api/sdk/v1/records/exports/" + job["id"]
        ...
        mock.advance(3600)

The server runs in a thread on 127.0.0.1 and a free port, and stops when the block ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from mockserver.app import MockServer, build_server
from mockserver.cli import bind_socket, uvicorn_server
from mockserver.clock import VirtualClock
from mockserver.errors import ControlError
from mockserver.limits import RequestLimits
from mockserver.signing import SignedUrlSigner
from mockserver.store import open_store

START_TIMEOUT = 30.0
FAULT_NAMES = {"latency_ms": "latencyMs", "error_rate": "errorRate", "violation": "violation"}


class MockHandle:
    """A running mock: its URLs, and the control plane as methods."""

    def __init__(self, url: str, server: MockServer) -> None:
        self.url = url
        self.server = server
        self._client = httpx.Client(base_url=url, timeout=30.0)

    def base_url(self, api: str) -> str:
        """Where the spec paths of ``api`` are appended."""
        return f"{self.url}/{api}"

    def target_url(self, api: str) -> str:
        return f"{self.url}/_control/{api}/target"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._client.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                raise ControlError(response.status_code, str(error["code"]), str(error["message"]))
            except (ValueError, KeyError, TypeError):
                raise ControlError(response.status_code, "CONTROL_FAILED", response.text) from None
        return response.json()

    def target(self, api: str) -> dict[str, Any]:
        """The target description of ``api`` (base URL, tenants, control URLs)."""
        result: dict[str, Any] = self._call("GET", f"/_control/{api}/target")
        return result

    def provider_state(self, api: str, state: str, **params: Any) -> dict[str, Any]:
        """Set up a provider state (a lifecycle state, ``tenant``...); ``tenant="secondary"`` etc."""
        result: dict[str, Any] = self._call(
            "POST", f"/_control/{api}/provider-states", {"state": state, "params": params, "action": "setup"}
        )
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/_control/clock/advance", {"seconds": seconds})
        return result

    def reset(self) -> None:
        self._call("POST", "/_control/reset")

    def set_fault(self, api: str, **fault: Any) -> dict[str, Any]:
        """``set_fault("curaeai", violation="url-expiry")``; also ``latency_ms``, ``error_rate``."""
        body = {FAULT_NAMES.get(key, key): value for key, value in fault.items()}
        result: dict[str, Any] = self._call("PUT", f"/_control/{api}/faults", body)
        return result

    def clear_faults(self, api: str) -> None:
        self._call("DELETE", f"/_control/{api}/faults")

    def close(self) -> None:
        self._client.close()


@contextmanager
def running_mock(
    apis: Sequence[str] | None = None,
    *,
    port: int = 0,
    store: str = "memory",
    time_scale: float = 1.0,
    seed: int = 0,
    signing_secret: str | None = None,
    validate_responses: bool = False,
    rate_limits: bool = False,
    limits: RequestLimits | None = None,
    fast_path: bool = True,
) -> Iterator[MockHandle]:
    """Start the mock on 127.0.0.1 (a free port unless ``port`` is given); stop it on exit.

    ``validate_responses`` makes Connexion check every answer against the spec (a 500 if not);
    ``rate_limits`` refuses calls over the documented quotas (``--rate-limits``); ``limits``
    replaces the default header, body and body-time limits (``mockserver.limits``);
    ``fast_path=False`` sends every request through Connexion (``--no-fast-path``).
    """
    server = build_server(
        apis,
        store=open_store(store),
        clock=VirtualClock(scale=time_scale),
        signer=SignedUrlSigner(signing_secret),
        seed=seed,
        validate_responses=validate_responses,
        rate_limits=rate_limits,
        limits=limits,
        fast_path=fast_path,
    )
    sock = bind_socket("127.0.0.1", port)
    # Embedded in a test or a demo: malformed requests a fuzzer sends are expected, not news.
    uvicorn = uvicorn_server(server.app, log_level="error")
    thread = threading.Thread(target=uvicorn.run, kwargs={"sockets": [sock]}, name="exportkit-mock", daemon=True)
    thread.start()
    handle = MockHandle(f"http://127.0.0.1:{sock.getsockname()[1]}", server)
    try:
        _wait_started(uvicorn, thread)
        yield handle
    finally:
        handle.close()
        uvicorn.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()
        server.store.close()


def _wait_started(server: Any, thread: threading.Thread) -> None:
    started = threading.Event()

    def poll() -> None:
        while thread.is_alive() and not server.started:
            started.wait(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    poller.join(START_TIMEOUT)
    if not server.started:
        raise RuntimeError("the mock server did not start")
