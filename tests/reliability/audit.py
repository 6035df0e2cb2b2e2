"""Reading a stopped mock's SQLite store, to compare it with what the clients were told.

Tests may look inside the mock (the harness may not): a job in the store that no client was
acknowledged is a duplicate (or a create whose answer was lost); an acknowledged job missing
from it is lost data.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mockserver.store import Job, SqliteStore
from reliability.ledger import Ledger
from specs import Lifecycle

EVERYTHING = 10**9
TENANTS = ("primary", "secondary")


def stored_jobs(path: Path, apis: Iterable[str], tenants: Iterable[str] = TENANTS) -> list[Job]:
    """Every job of ``apis`` in the store at ``path`` (the mock must be stopped)."""
    store = SqliteStore(path)
    try:
        return [
            job
            for api in apis
            for tenant in tenants
            for job in store.list_jobs(api, tenant, before_seq=None, limit=EVERYTHING)
        ]
    finally:
        store.close()


def integrity(path: Path) -> str:
    """SQLite's own ``PRAGMA integrity_check`` answer (``ok`` when the file is sound)."""
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def by_owner(jobs: Iterable[Job]) -> dict[tuple[str, str], set[str]]:
    """``(api, tenant) -> job ids``."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for job in jobs:
        found[(job.api, job.tenant)].add(job.id)
    return dict(found)


@dataclass(frozen=True)
class Comparison:
    """The store against the ledger, per ``api/tenant``: acknowledged but missing, kept but never told."""

    lost: dict[str, set[str]]
    unacknowledged: dict[str, set[str]]

    def count(self, which: str) -> int:
        return sum(len(ids) for ids in getattr(self, which).values())

    def by_api(self, which: str) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for owner, ids in getattr(self, which).items():
            found[owner.split("/", 1)[0]] += len(ids)
        return dict(found)


def compare(ledger: Ledger, jobs: Iterable[Job], apis: Iterable[str]) -> Comparison:
    """What the clients were told (``ledger``) against what the store kept (``jobs``)."""
    stored = by_owner(jobs)
    lost: dict[str, set[str]] = {}
    unacknowledged: dict[str, set[str]] = {}
    for api in apis:
        for tenant in TENANTS:
            told, kept = ledger.ids(api, tenant), stored.get((api, tenant), set())
            if told - kept:
                lost[f"{api}/{tenant}"] = told - kept
            if kept - told:
                unacknowledged[f"{api}/{tenant}"] = kept - told
    return Comparison(lost, unacknowledged)


def overlapping_runs(jobs: Iterable[Job], lifecycle: Lifecycle, slot_members: tuple[str, ...]) -> list[str]:
    """Jobs created while an earlier job of the same slot was still running (webadmit's dedupe).

    A slot is the tenant plus ``slot_members`` of the job's attributes; a job has stopped running
    when its trail enters a terminal state.
    """
    slots: Mapping[tuple[object, ...], list[Job]] = defaultdict(list)
    for job in jobs:
        slots[(job.tenant, *(job.attrs.get(m) for m in slot_members))].append(job)
    overlaps = []
    for slot, members in slots.items():
        members.sort(key=lambda job: job.seq)
        for earlier, later in itertools.pairwise(members):
            ended = next((at for state, at in earlier.trail if state in lifecycle.terminal), float("inf"))
            if later.created < ended:
                overlaps.append(
                    f"{slot}: job {later.id} created at {later.created} while {earlier.id} ran until {ended}"
                )
    return overlaps
