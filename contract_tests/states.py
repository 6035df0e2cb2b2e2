"""Getting the target into a state: provider states (Pact convention), fixture ids, the clock.

``POST {provider_states_url}`` with ``{"state", "params": {"tenant"}, "action": "setup"}``
answers ``{id, params, credentials, fixtures}`` (specs/LIFECYCLE.md). Where there is no such
URL, a target file may list path parameters per state. What cannot be had raises ``NotCovered``
with the reason, so the check is reported not covered instead of passing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_tests.client import Exchange, HttpClient
from contract_tests.errors import NotCovered
from contract_tests.target import Target


@dataclass
class Job:
    """A resource of the API the checker can address: its id and the path parameters that name it."""

    state: str  # the state it was set up in (it may have moved on since)
    tenant: str
    id: str
    params: dict[str, Any]
    credentials: dict[str, str]
    source: str  # "provider state", "target file" or "created"
    fixtures: dict[str, Any] = field(default_factory=dict)


@dataclass
class StateAnswer:
    """What a provider-state setup answered."""

    id: str | None
    params: dict[str, Any]
    credentials: dict[str, str]
    fixtures: dict[str, Any]
    exchange: Exchange


class StateProvider:
    """Sets up states on the target through its provider-state URL and clock, where it has them."""

    def __init__(self, target: Target, client: HttpClient) -> None:
        self.target = target
        self.client = client

    @property
    def has_provider(self) -> bool:
        return bool(self.target.provider_states_url)

    @property
    def has_clock(self) -> bool:
        return bool(self.target.clock_url)

    def setup(self, state: str, tenant: str = "primary") -> StateAnswer:
        """Ask the provider-state URL for ``state`` owned by ``tenant``; raises ``NotCovered``."""
        url = self.target.provider_states_url
        if not url:
            raise NotCovered(f"state {state!r} needs a provider_states_url or a `states` entry in the target")
        body = {"state": state, "params": {"tenant": tenant}, "action": "setup"}
        exchange = self.client.request("POST", url, json_body=body)
        data = exchange.data
        if exchange.error or not 200 <= exchange.status < 300 or not isinstance(data, Mapping):
            raise NotCovered(f"provider state {state!r} for {tenant!r} could not be set up: {exchange.describe(160)}")
        params = data.get("params") or {}
        creds = data.get("credentials") or {}
        fixtures = data.get("fixtures") or {}
        if not isinstance(params, Mapping) or not isinstance(creds, Mapping) or not isinstance(fixtures, Mapping):
            raise NotCovered(f"provider state {state!r} answered params/credentials/fixtures that are not objects")
        job_id = data.get("id")
        return StateAnswer(
            id=None if job_id is None else str(job_id),
            params={str(k): v for k, v in params.items()},
            credentials={str(k): str(v) for k, v in creds.items()},
            fixtures={str(k): v for k, v in fixtures.items()},
            exchange=exchange,
        )

    def job(self, state: str, tenant: str, base_credentials: Mapping[str, str]) -> Job:
        """A job in ``state`` owned by ``tenant``, from the provider or the target file."""
        if self.has_provider:
            answer = self.setup(state, tenant)
            if not answer.params:
                raise NotCovered(f"provider state {state!r} answered no path params for the job")
            job_id = answer.id if answer.id is not None else str(list(answer.params.values())[-1])
            creds = {**base_credentials, **answer.credentials}
            return Job(state, tenant, job_id, answer.params, creds, "provider state", answer.fixtures)
        params = self.target.states.get(state)
        if params is None:
            raise NotCovered(
                f"no way to get a job in state {state!r}: the target has no provider_states_url "
                f"and its `states` has no {state!r} entry"
            )
        if tenant != "primary":
            raise NotCovered(f"`states` in the target file name primary's jobs only; {tenant!r} needs provider states")
        return Job(state, tenant, str(list(params.values())[-1]), dict(params), dict(base_credentials), "target file")

    def advance(self, seconds: float) -> None:
        """Move the target's clock forward; raises ``NotCovered`` when it has none or refuses."""
        if not self.target.clock_url:
            raise NotCovered("the target has no clock_url to advance")
        exchange = self.client.request("POST", f"{self.target.clock_url}/advance", json_body={"seconds": seconds})
        if exchange.error or not 200 <= exchange.status < 300:
            raise NotCovered(f"the target's clock could not be advanced: {exchange.describe(160)}")


__all__ = ["Job", "StateAnswer", "StateProvider"]
