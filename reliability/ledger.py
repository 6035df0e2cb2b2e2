"""The clients' side of the story: every job a server acknowledged, and every state a client saw.

A load run writes here; the verification after it (and after a crash) reads it back. Nothing
is inferred from the server's own bookkeeping: a job is *acknowledged* when a create answered
2xx with its id, and that is the promise the server must keep.

Checked as it is written:

- ``backwards``: one client's polls of one job saw a state the previous one cannot reach
  (``Lifecycle.allows``). Only one client's sequence is compared: two clients' answers may cross.
- ``leak``: a create of one tenant answered with a job id already given to another tenant.
- ``idempotency``: a repeat of one idempotency key answered with a different job.
- ``duplicated``: two creates with different keys answered with the same job, on an API whose
  rules do not merge creates (webadmit's ``dedupeRunning`` does, by design).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from reliability.errors import Finding
from specs import Lifecycle


@dataclass
class JobRecord:
    """One acknowledged job and what the clients saw of it."""

    api: str
    tenant: str
    id: str
    acknowledged: int = 0  # creates answered 2xx with this id
    keys: set[str] = field(default_factory=set)  # the idempotency keys (or create labels) that got it
    last_seen: dict[int, str] = field(default_factory=dict)  # client -> last state it saw
    downloads: int = 0  # artifacts fetched and checked


class Ledger:
    """Acknowledged jobs by ``(api, id)``; safe to share between tasks and threads."""

    def __init__(self, lifecycles: Mapping[str, Lifecycle]) -> None:
        self.lifecycles = lifecycles
        self.findings: list[Finding] = []
        self._jobs: dict[tuple[str, str], JobRecord] = {}
        self._keys: dict[tuple[str, str], str] = {}  # (api, key) -> job id
        self._lock = threading.Lock()

    def acknowledge(self, api: str, tenant: str, job_id: str, *, key: str, client: int, state: str | None) -> None:
        """A create with ``key`` by ``tenant`` was answered 2xx with ``job_id`` (in ``state``)."""
        with self._lock:
            record = self._jobs.get((api, job_id))
            if record is None:
                record = self._jobs[(api, job_id)] = JobRecord(api, tenant, job_id)
            elif record.tenant != tenant:
                self._find("leak", api, job_id, f"acknowledged to {record.tenant} and then to {tenant}")
            elif key not in record.keys and not self._merges_creates(api):
                self._find("duplicated", api, job_id, f"keys {sorted(record.keys)[:3]} and {key!r} got the same job")
            earlier = self._keys.setdefault((api, key), job_id)
            if earlier != job_id:
                self._find("idempotency", api, job_id, f"key {key!r} answered {earlier} before, now {job_id}")
            record.acknowledged += 1
            record.keys.add(key)
        if state is not None:
            self.observe(api, job_id, state, client=client)

    def observe(self, api: str, job_id: str, state: str, *, client: int) -> None:
        """``client`` read ``state`` for the job (a create, status or download answer)."""
        lifecycle = self.lifecycles[api]
        with self._lock:
            record = self._jobs.get((api, job_id))
            if record is None:
                return  # a job nobody was acknowledged (e.g. created by a provider state)
            if state not in lifecycle.states:
                self._find("inconsistent", api, job_id, f"state {state!r} is not one of {list(lifecycle.states)}")
                return
            before = record.last_seen.get(client)
            if before is not None and not lifecycle.allows(before, state):
                self._find("backwards", api, job_id, f"client {client} saw {before} then {state}")
            record.last_seen[client] = state

    def downloaded(self, api: str, job_id: str) -> None:
        with self._lock:
            record = self._jobs.get((api, job_id))
            if record is not None:
                record.downloads += 1

    def record(self, finding: Finding) -> None:
        """Keep a finding made elsewhere (a lost job, a bad artifact) with the ledger's own."""
        with self._lock:
            self.findings.append(finding)

    def jobs(self, api: str | None = None) -> Iterator[JobRecord]:
        with self._lock:
            records = list(self._jobs.values())
        return (r for r in records if api is None or r.api == api)

    def ids(self, api: str, tenant: str | None = None) -> set[str]:
        """Ids acknowledged on ``api`` (to ``tenant``, when given)."""
        return {r.id for r in self.jobs(api) if tenant is None or r.tenant == tenant}

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def _merges_creates(self, api: str) -> bool:
        return bool(self.lifecycles[api].rules.get("dedupeRunning"))

    def _find(self, check: str, api: str, job_id: str, observed: str) -> None:
        self.findings.append(Finding(check, api, job_id, observed))
