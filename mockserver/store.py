"""Where the mock keeps its jobs: a ``Store`` protocol, in memory or in SQLite.

A ``Job`` is compact on purpose (a few hundred bytes): its ``trail`` is the schedule the lifecycle
engine computed at creation, so the state itself is never stored, only derived from the clock.
Small vendor data (idempotency keys, uploads, the clock offset) goes in a namespaced key-value table.

    >>> store = open_store("memory")
    >>> store.put_job(Job("curaeai", "j1", "primary", 1, 0.0, (("QUEUED", 0.0),), {}))
    >>> store.get_job("curaeai", "j1").tenant
    'primary'

``sqlite:PATH`` uses WAL with ``synchronous=FULL`` and commits every write before returning, so a
2xx the app sends after a write is never lost by a crash or restart.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mockserver.errors import ConfigError, StoreError


@dataclass(frozen=True)
class Job:
    """One export job of one API, owned by one tenant.

    ``trail`` lists ``(state, entered_at)`` in order (non-decreasing times, possibly in the
    future); ``attrs`` holds the vendor's request members (JSON values).
    """

    api: str
    id: str
    tenant: str
    seq: int
    created: float
    trail: tuple[tuple[str, float], ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps(
            {"c": self.created, "t": [list(step) for step in self.trail], "a": self.attrs},
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def decode(cls, api: str, job_id: str, tenant: str, seq: int, data: str) -> Job:
        raw = json.loads(data)
        trail = tuple((str(state), float(at)) for state, at in raw["t"])
        return cls(api, job_id, tenant, seq, float(raw["c"]), trail, raw.get("a") or {})


class Store(Protocol):
    """What the mock needs of a store. Every write is durable when the call returns."""

    def next_seq(self, api: str) -> int:
        """A new number, increasing per API (ordering, integer ids)."""
        ...

    def put_job(self, job: Job, *, values: Sequence[tuple[str, str, str]] = ()) -> None:
        """Store ``job`` and, in the same commit, ``(namespace, key, value)`` records that point at it."""
        ...

    def get_job(self, api: str, job_id: str) -> Job | None: ...

    def list_jobs(self, api: str, tenant: str, *, before_seq: int | None, limit: int) -> list[Job]:
        """A tenant's jobs, newest first, with ``seq < before_seq`` when given."""
        ...

    def delete_job(self, api: str, job_id: str) -> bool: ...

    def get_value(self, namespace: str, key: str) -> str | None: ...

    def put_value(self, namespace: str, key: str, value: str) -> None: ...

    def clear(self) -> None:
        """Forget every job, value and sequence."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """The default store: dictionaries, gone when the process ends."""

    def __init__(self) -> None:
        self._jobs: dict[tuple[str, str], Job] = {}
        self._values: dict[tuple[str, str], str] = {}
        self._seqs: dict[str, int] = {}
        self._lock = threading.Lock()
        # A page of a tenant's jobs must not cost a scan of every job: per (api, tenant), entries
        # (seq, -arrival, id) in ascending order; walked backwards they give newest first, and jobs
        # of equal seq in arrival order, as sorting ``_jobs`` by seq did.
        self._by_tenant: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        self._arrival: dict[tuple[str, str], int] = {}
        self._arrivals = 0

    def next_seq(self, api: str) -> int:
        with self._lock:
            self._seqs[api] = self._seqs.get(api, 0) + 1
            return self._seqs[api]

    def put_job(self, job: Job, *, values: Sequence[tuple[str, str, str]] = ()) -> None:
        key = (job.api, job.id)
        for namespace, name, value in values:
            self.put_value(namespace, name, value)
        with self._lock:
            old = self._jobs.get(key)
            if old is not None:
                self._unindex(old)
            else:
                self._arrivals += 1
                self._arrival[key] = self._arrivals
            self._jobs[key] = job
            bisect.insort(self._by_tenant.setdefault((job.api, job.tenant), []), self._entry(job))

    def _entry(self, job: Job) -> tuple[int, int, str]:
        return (job.seq, -self._arrival[(job.api, job.id)], job.id)

    def _unindex(self, job: Job) -> None:
        entries = self._by_tenant.get((job.api, job.tenant), [])
        entry = self._entry(job)
        at = bisect.bisect_left(entries, entry)
        if at < len(entries) and entries[at] == entry:
            del entries[at]

    def get_job(self, api: str, job_id: str) -> Job | None:
        return self._jobs.get((api, job_id))

    def list_jobs(self, api: str, tenant: str, *, before_seq: int | None, limit: int) -> list[Job]:
        with self._lock:
            entries = self._by_tenant.get((api, tenant), [])
            end = len(entries) if before_seq is None else bisect.bisect_left(entries, (before_seq,))
            start = 0 if limit < 0 else max(0, end - limit)  # a negative limit slices as it did on the list
            found = [self._jobs[(api, job_id)] for _, _, job_id in reversed(entries[start:end])]
            return found[:limit] if limit < 0 else found

    def delete_job(self, api: str, job_id: str) -> bool:
        with self._lock:
            job = self._jobs.pop((api, job_id), None)
            if job is None:
                return False
            self._unindex(job)
            del self._arrival[(api, job_id)]
            return True

    def get_value(self, namespace: str, key: str) -> str | None:
        return self._values.get((namespace, key))

    def put_value(self, namespace: str, key: str, value: str) -> None:
        self._values[(namespace, key)] = value

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._values.clear()
            self._seqs.clear()
            self._by_tenant.clear()
            self._arrival.clear()

    def close(self) -> None:
        """Nothing to release."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    api TEXT NOT NULL, id TEXT NOT NULL, tenant TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (api, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs (api, tenant, seq);
CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (ns, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seqs (api TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SqliteStore:
    """A store in one SQLite file (WAL, ``synchronous=FULL``); every write commits before returning."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(self.path, str(exc)) from exc
        # One connection shared by the event loop and test threads: serialise access to it.
        self._lock = threading.Lock()

    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _read(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def next_seq(self, api: str) -> int:
        rows = self._read(
            "INSERT INTO seqs (api, value) VALUES (?, 1) "
            "ON CONFLICT (api) DO UPDATE SET value = value + 1 RETURNING value",
            (api,),
        )
        return int(rows[0][0])

    def put_job(self, job: Job, *, values: Sequence[tuple[str, str, str]] = ()) -> None:
        # One transaction: a crash never keeps a job without its records (idempotency, dedupe).
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO jobs (api, id, tenant, seq, data) VALUES (?, ?, ?, ?, ?)",
                    (job.api, job.id, job.tenant, job.seq, job.encode()),
                )
                self._db.executemany("INSERT OR REPLACE INTO kv (ns, key, value) VALUES (?, ?, ?)", values)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _job(self, api: str, row: Any) -> Job:
        try:
            return Job.decode(api, row[0], row[1], int(row[2]), row[3])
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(self.path, f"job {api}/{row[0]} cannot be read: {exc}") from exc

    def get_job(self, api: str, job_id: str) -> Job | None:
        rows = self._read("SELECT id, tenant, seq, data FROM jobs WHERE api = ? AND id = ?", (api, job_id))
        return self._job(api, rows[0]) if rows else None

    def list_jobs(self, api: str, tenant: str, *, before_seq: int | None, limit: int) -> list[Job]:
        rows = self._read(
            "SELECT id, tenant, seq, data FROM jobs WHERE api = ? AND tenant = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            (api, tenant, before_seq if before_seq is not None else 2**62, limit),
        )
        return [self._job(api, row) for row in rows]

    def delete_job(self, api: str, job_id: str) -> bool:
        return self._write("DELETE FROM jobs WHERE api = ? AND id = ?", (api, job_id)).rowcount > 0

    def get_value(self, namespace: str, key: str) -> str | None:
        rows = self._read("SELECT value FROM kv WHERE ns = ? AND key = ?", (namespace, key))
        return str(rows[0][0]) if rows else None

    def put_value(self, namespace: str, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO kv (ns, key, value) VALUES (?, ?, ?)", (namespace, key, value))

    def clear(self) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            for table in ("jobs", "kv", "seqs"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(location: str) -> Store:
    """``"memory"`` or ``"sqlite:PATH"``; raises ``ConfigError`` for anything else."""
    if location == "memory":
        return MemoryStore()
    if location.startswith("sqlite:") and len(location) > len("sqlite:"):
        path = Path(location[len("sqlite:") :])
        if path.is_dir():
            raise ConfigError("store", f"{path} is a directory; give a file path")
        if not path.parent.exists():
            raise ConfigError("store", f"folder {path.parent} does not exist")
        return SqliteStore(path)
    raise ConfigError("store", f"expected 'memory' or 'sqlite:PATH', got {location!r}")
