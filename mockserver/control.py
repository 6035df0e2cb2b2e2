"""The control plane under ``/_control`` (the table in ARCHITECTURE.md), kept off vendor paths.

Health, target descriptions, Pact provider states, the virtual clock, reset and faults. Every
bad input gets ``{"error": {"status", "code", "message"}}`` with a 4xx, never a 500.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver.clock import Clock, rfc3339
from mockserver.envelopes import json_body
from mockserver.errors import ControlError
from mockserver.faults import Fault, FaultBook
from mockserver.runtime import ApiRuntime
from mockserver.store import Store
from mockserver.vendors import TENANT_NAMES, Tenant

CLOCK_NAMESPACE = "control"
CLOCK_KEY = "clock_offset"


def base_url_of(request: Request) -> str:
    """``scheme://host:port`` as the client addressed this server."""
    host = request.headers.get("host")
    if not host:
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{request.url.scheme}://{host}"


def restore_clock(store: Store, clock: Clock) -> None:
    """Put back the clock offset a previous run of a persistent store had advanced to."""
    saved = store.get_value(CLOCK_NAMESPACE, CLOCK_KEY)
    if saved is not None and float(saved) > clock.offset_seconds:
        clock.set_offset(float(saved))


class ControlPlane:
    """Starlette endpoints of ``/_control``; ``routes()`` lists them for the app."""

    def __init__(self, runtimes: Mapping[str, ApiRuntime], *, store: Store, clock: Clock, faults: FaultBook) -> None:
        self.runtimes = runtimes
        self.store = store
        self.clock = clock
        self.faults = faults

    def routes(self) -> list[tuple[str, Any, list[str]]]:
        return [
            ("/_control/health", self.health, ["GET"]),
            ("/_control/clock", self.get_clock, ["GET"]),
            ("/_control/clock/advance", self.advance_clock, ["POST"]),
            ("/_control/reset", self.reset, ["POST"]),
            ("/_control/{api}/target", self.target, ["GET"]),
            ("/_control/{api}/provider-states", self.provider_states, ["POST"]),
            ("/_control/{api}/faults", self.fault, ["GET", "PUT", "DELETE"]),
        ]

    def runtime(self, request: Request) -> ApiRuntime:
        name = str(request.path_params["api"])
        if name not in self.runtimes:
            raise ControlError(404, "UNKNOWN_API", f"no API {name!r} on this server; serving {sorted(self.runtimes)}")
        return self.runtimes[name]

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def _clock_json(self) -> dict[str, Any]:
        return {"now": rfc3339(self.clock.now()), "offsetSeconds": self.clock.offset_seconds, "scale": self.clock.scale}

    async def get_clock(self, request: Request) -> Response:
        return JSONResponse(self._clock_json())

    async def advance_clock(self, request: Request) -> Response:
        body = json_body(await request.body())
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
            raise ControlError(400, "INVALID_CLOCK", 'the body must be {"seconds": <number >= 0>}')
        self.clock.advance(seconds)
        self.store.put_value(CLOCK_NAMESPACE, CLOCK_KEY, repr(self.clock.offset_seconds))
        return JSONResponse(self._clock_json())

    async def reset(self, request: Request) -> Response:
        self.store.clear()
        self.faults.clear()
        self.clock.set_offset(0.0)
        for runtime in self.runtimes.values():
            runtime.artifacts.clear()
        return JSONResponse({"status": "reset", **self._clock_json()})

    async def target(self, request: Request) -> Response:
        runtime = self.runtime(request)
        base = base_url_of(request)
        return JSONResponse(
            {
                "api": runtime.name,
                "base_url": f"{base}/{runtime.name}",
                "tenants": {
                    t.name: {"credentials": dict(t.credentials), "fixtures": dict(t.fixtures)}
                    for t in runtime.tenants.values()
                },
                "provider_states_url": f"{base}/_control/{runtime.name}/provider-states",
                "clock_url": f"{base}/_control/clock",
            }
        )

    async def provider_states(self, request: Request) -> Response:
        runtime = self.runtime(request)
        body = json_body(await request.body())
        if not isinstance(body, dict) or not isinstance(body.get("state"), str):
            raise ControlError(400, "INVALID_PROVIDER_STATE", 'the body must be {"state": "...", "params": {...}}')
        state: str = body["state"]
        params = body.get("params") or {}
        action = body.get("action", "setup")
        if not isinstance(params, dict):
            raise ControlError(400, "INVALID_PROVIDER_STATE", "params must be a JSON object")
        if action not in ("setup", "teardown"):
            raise ControlError(400, "INVALID_PROVIDER_STATE", "action must be 'setup' or 'teardown'")
        tenant_name = params.get("tenant", "primary")
        if tenant_name not in TENANT_NAMES:
            raise ControlError(400, "INVALID_PROVIDER_STATE", f"params.tenant must be one of {list(TENANT_NAMES)}")
        tenant = runtime.tenant(tenant_name)
        if action == "teardown":
            return JSONResponse({"state": state, "action": "teardown", "tenant": tenant.name})
        return JSONResponse(self.setup(runtime, state, tenant, params))

    def setup(self, runtime: ApiRuntime, state: str, tenant: Tenant, params: Mapping[str, Any]) -> dict[str, Any]:
        """Create what ``state`` needs and describe it (LIFECYCLE.md, provider states)."""
        answer: dict[str, Any] = {
            "state": state,
            "tenant": tenant.name,
            "id": None,
            "params": {},
            "credentials": dict(tenant.credentials),
            "fixtures": dict(tenant.fixtures),
        }
        if state == "tenant":
            return answer
        if state in runtime.lifecycle.states:
            job = runtime.create_job(tenant, runtime.vendor.sample_attrs(tenant), state=state)
            return {**answer, "id": job.id, "params": runtime.path_params(job)}
        extra = runtime.vendor.provider_state(runtime, state, params)
        if extra is not None:
            return {**answer, **extra}
        known = ["tenant", *runtime.lifecycle.states]
        raise ControlError(
            400, "UNKNOWN_PROVIDER_STATE", f"{runtime.name} has no provider state {state!r}; try {known}"
        )

    async def fault(self, request: Request) -> Response:
        runtime = self.runtime(request)
        if request.method == "PUT":
            self.faults.set(runtime.name, Fault.from_json(json_body(await request.body())))
        elif request.method == "DELETE":
            self.faults.clear(runtime.name)
        return JSONResponse(self.faults.get(runtime.name).to_json())
