"""What a check works with: the spec, the lifecycle, a recording client, jobs in states, the clock.

A ``Session`` is built once per API run by ``runner.verify`` and handed to each check. It knows
how to call an operation by its lifecycle role with the right credentials, how to get a job into
a state (provider state, target file, or create-and-poll), and how to read a job's state.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from contract_tests import pointers
from contract_tests.apimodel import ApiModel, Operation, with_fixtures
from contract_tests.client import Exchange, HttpClient
from contract_tests.errors import NotCovered
from contract_tests.states import Job, StateProvider
from contract_tests.target import Target
from specs import Lifecycle

DEFAULT_WALK_BUDGET_S = 20.0  # real seconds a job may take to reach a state when there is no clock
POLL_INTERVAL_S = 0.5
CLOCK_STEP_S = 1.0


@dataclass
class Poll:
    """One status read of a job."""

    exchange: Exchange
    resource: Any  # the job object, or None when the answer was not a 200 with one
    state: str | None


class Session:
    """Everything a check needs about one API on one target. Inject ``sleep``/``rng`` in tests."""

    def __init__(
        self,
        target: Target,
        spec: Mapping[str, Any],
        lifecycle: Lifecycle,
        client: HttpClient,
        *,
        seed: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        walk_budget_s: float = DEFAULT_WALK_BUDGET_S,
    ) -> None:
        self.target = target
        self.spec = spec
        self.lifecycle = lifecycle
        self.model = ApiModel(spec, target.api)
        self.client = client
        self.states = StateProvider(target, client)
        self.rng = random.Random(seed)
        self.sleep = sleep
        self.monotonic = monotonic
        self.walk_budget_s = walk_budget_s
        self.observed_transitions: list[tuple[str, str]] = []
        self.reported_unusable: set[str] = set()  # target URLs whose unusable answer a check has reported
        self._tenants: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
        # (state, tenant) -> why a walk ran out of time: each later walk would wait as long again.
        self._walks_timed_out: dict[tuple[str, str], str] = {}

    # --- identities -------------------------------------------------------------------------
    def identity(self, tenant: str) -> tuple[dict[str, str], dict[str, Any]]:
        """(credentials, fixtures) of ``tenant``: from the target file, else the provider's ``tenant`` state."""
        if tenant not in self._tenants:
            given = self.target.tenants.get(tenant)
            if given is not None and given.credentials:
                self._tenants[tenant] = (dict(given.credentials), dict(given.fixtures))
            elif self.states.has_provider:
                answer = self.states.setup("tenant", tenant)
                fixtures = {**(given.fixtures if given else {}), **answer.fixtures}
                self._tenants[tenant] = (answer.credentials, fixtures)
            else:
                raise NotCovered(f"no credentials for tenant {tenant!r} in the target and no provider_states_url")
        creds, fixtures = self._tenants[tenant]
        return dict(creds), dict(fixtures)

    # --- calling operations -----------------------------------------------------------------
    def op(self, role: str) -> Operation:
        """The operation playing lifecycle role ``role`` (create, status, download, delete, ...)."""
        op_id = getattr(self.lifecycle.operations, role)
        if op_id is None:
            raise NotCovered(f"the spec names no {role} operation in x-lifecycle.operations")
        return self.model.operation(op_id)

    def call(
        self,
        op: Operation,
        *,
        credentials: Mapping[str, str] | None,
        path_params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        follow_redirects: int = 0,
    ) -> Exchange:
        """Send ``op``; ``credentials=None`` sends none, else they are applied per the spec's security."""
        sent_headers = {"Accept": "application/json, */*;q=0.5"}
        sent_query = {str(k): str(v) for k, v in (query or {}).items()}
        if credentials is not None:
            requirement = self.model.requirement(op, credentials)
            if requirement is None:
                needed = " or ".join("+".join(alt) for alt in op.security)
                raise NotCovered(f"no credentials for {op.operation_id} (needs {needed})")
            for scheme in requirement:
                self.model.apply_scheme(scheme, credentials[scheme], sent_headers, sent_query)
        sent_headers.update(headers or {})
        missing = [p["name"] for p in op.params_in("path") if p["name"] not in (path_params or {})]
        if missing:
            raise NotCovered(f"no value for path parameter(s) {missing} of {op.operation_id}")
        url = self.model.url(self.target.base_url, op, path_params or {}, sent_query)
        return self.client.request(
            op.method,
            url,
            headers=sent_headers,
            json_body=body,
            operation=op.operation_id,
            follow_redirects=follow_redirects,
        )

    def params_for(self, op: Operation, job: Job) -> dict[str, Any]:
        """Path parameters of ``op`` for ``job``: the job's own, then its tenant's fixtures."""
        values = {**job.fixtures, **job.params}
        return {p["name"]: values[p["name"]] for p in op.params_in("path") if p["name"] in values}

    def id_param(self, op: Operation, job: Job) -> str:
        """The path parameter of ``op`` that carries the job's id."""
        names = [p["name"] for p in op.params_in("path")]
        for name in names:
            if str(job.params.get(name)) == job.id:
                return str(name)
        if not names:
            raise NotCovered(f"{op.operation_id} has no path parameter to carry the id")
        return str(names[-1])

    def unknown_id(self) -> str:
        """An id of the spec's idType that no job has (random, from the run's seed)."""
        if self.lifecycle.id_type == "integer":
            return str(self.rng.randrange(900_000_000, 999_999_999))
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # --- jobs and their state ---------------------------------------------------------------
    def job(self, state: str, tenant: str = "primary") -> Job:
        """A job of ``tenant`` in ``state``: provider state, target file, or create-and-poll."""
        creds, fixtures = self.identity(tenant)
        if self.states.has_provider or state in self.target.states:
            job = self.states.job(state, tenant, creds)
            job.fixtures = {**fixtures, **job.fixtures}
            return job
        if state in self.lifecycle.path:
            return self.walk_to(state, tenant)
        raise NotCovered(f"state {state!r} is not on the success path and the target has no provider_states_url")

    def create(self, tenant: str = "primary", *, idempotency_key: str | None = None) -> tuple[Exchange, Job | None]:
        """Create a job with the spec's example body and the tenant's fixtures."""
        creds, fixtures = self.identity(tenant)
        op = self.op("create")
        body = with_fixtures(self.model.example_body(op), fixtures, self.model.body_properties(op))
        headers: dict[str, str] = {}
        for param in op.params_in("header"):
            if param.get("required") and param["name"] not in fixtures:
                example = param.get("example", (param.get("schema") or {}).get("example"))
                fresh = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                headers[param["name"]] = str(example) if example is not None and not idempotency_key else fresh
            elif param["name"] in fixtures:
                headers[param["name"]] = str(fixtures[param["name"]])
        rule = self.lifecycle.rules.get("idempotency")
        if idempotency_key and isinstance(rule, Mapping) and rule.get("header"):
            headers[str(rule["header"])] = idempotency_key
        params = {p["name"]: fixtures[p["name"]] for p in op.params_in("path") if p["name"] in fixtures}
        exchange = self.call(op, credentials=creds, path_params=params, body=body, headers=headers)
        new_id = pointers.get(exchange.data, self.lifecycle.id_pointer) if exchange.is_json else pointers.MISSING
        if not 200 <= exchange.status < 300 or new_id is pointers.MISSING or new_id is None:
            return exchange, None
        status_op = self.op("status")
        job_params = {p["name"]: fixtures[p["name"]] for p in status_op.params_in("path") if p["name"] in fixtures}
        free = [p["name"] for p in status_op.params_in("path") if p["name"] not in job_params]
        if len(free) != 1:
            raise NotCovered(f"cannot tell which path parameter of {status_op.operation_id} takes the new id")
        job_params[free[0]] = new_id
        return exchange, Job(self.lifecycle.initial, tenant, str(new_id), job_params, creds, "created", fixtures)

    def poll(self, job: Job, *, credentials: Mapping[str, str] | None = None) -> Poll:
        """Read ``job`` through the status operation."""
        op = self.op("status")
        creds = job.credentials if credentials is None else credentials
        exchange = self.call(op, credentials=creds, path_params=self.params_for(op, job))
        resource = pointers.get(exchange.data, self.lifecycle.resource_pointer) if exchange.status == 200 else None
        if resource is pointers.MISSING or not isinstance(resource, dict):
            return Poll(exchange, None, None)
        state = pointers.get(resource, self.lifecycle.state_pointer) if self.lifecycle.state_pointer else None
        return Poll(exchange, resource, state if isinstance(state, str) else None)

    def note_transition(self, before: str | None, after: str | None) -> None:
        if before and after and before != after and (before, after) not in self.observed_transitions:
            self.observed_transitions.append((before, after))

    def advance(self, seconds: float) -> None:
        """Move the target's clock (raises ``NotCovered`` without one)."""
        self.states.advance(seconds)

    def walk_timed_out(self, state: str, tenant: str = "primary") -> str | None:
        """Why an earlier walk of ``tenant``'s created job to ``state`` ran out of time, if one did."""
        return self._walks_timed_out.get((state, tenant))

    def walk_to(self, state: str, tenant: str = "primary") -> Job:
        """Create a job and poll it (advancing the clock where there is one) until it is in ``state``.

        Raises ``NotCovered`` saying why not: the job cannot be read, has moved past ``state``
        (it cannot come back), or the walk budget ran out (remembered: a second walk would only
        wait as long again).
        """
        lc = self.lifecycle
        timed_out = self.walk_timed_out(state, tenant)
        if timed_out is not None:
            raise NotCovered(f"{timed_out} (found by an earlier walk in this run)")
        exchange, job = self.create(tenant)
        if job is None:
            raise NotCovered(f"could not create a job to walk to {state!r}: {exchange.describe(160)}")
        deadline = self.monotonic() + self.walk_budget_s
        previous: str | None = None
        for _ in range(200):
            poll = self.poll(job)
            if poll.resource is None:
                raise NotCovered(
                    f"the status operation did not answer the created {lc.resource} {job.id} "
                    f"while walking to {state!r}: {poll.exchange.describe(160)}"
                )
            if lc.state_pointer is None:
                # No state is exposed: a job just created is in `initial` by definition, and no
                # other state can be seen reached.
                if state == lc.initial:
                    job.state = state
                    return job
                raise NotCovered(
                    f"the spec exposes no state (x-lifecycle.statePointer is null), so a created "
                    f"{lc.resource} cannot be seen reaching {state!r}; it needs a provider_states_url"
                )
            self.note_transition(previous, poll.state)
            previous = poll.state or previous
            if poll.state == state:
                job.state = state
                return job
            if poll.state is None or poll.state not in lc.states:
                raise NotCovered(f"a created {lc.resource} is in no known state ({poll.state!r}), not {state!r}")
            if state not in lc.reachable(poll.state):
                # A job never goes back: waiting longer cannot help (a stateless mock answers
                # its example's state at once, say).
                raise NotCovered(
                    f"a created {lc.resource} was {poll.state!r} when polled, from which {state!r} "
                    "cannot be reached (x-lifecycle.transitions); it needs a provider_states_url"
                )
            if self.monotonic() > deadline:
                break
            if self.states.has_clock:
                self.advance(max(lc.durations.values(), default=CLOCK_STEP_S))
            else:
                self.sleep(POLL_INTERVAL_S)
        how = "with the target's clock advanced" if self.states.has_clock else "without a clock_url to advance"
        reason = (
            f"a created {lc.resource} was still {previous!r}, not {state!r}, at the end of the "
            f"{self.walk_budget_s:g} s walk budget ({how})"
        )
        self._walks_timed_out[(state, tenant)] = reason
        raise NotCovered(reason)


__all__ = ["Poll", "Session"]
