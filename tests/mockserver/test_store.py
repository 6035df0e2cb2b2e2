"""Stores: memory and SQLite behave alike; SQLite keeps everything across a restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.errors import ConfigError
from mockserver.store import Job, MemoryStore, SqliteStore, Store, open_store


def job(job_id: str, seq: int, tenant: str = "primary", api: str = "curaeai") -> Job:
    return Job(api, job_id, tenant, seq, 100.0, (("QUEUED", 100.0), ("READY", 103.5)), {"connectionId": "c"})


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "mock.db")
    yield made
    made.close()


def test_put_get_delete(store: Store) -> None:
    store.put_job(job("a", 1))
    assert store.get_job("curaeai", "a") == job("a", 1)
    assert store.get_job("hookbridge", "a") is None
    assert store.delete_job("curaeai", "a")
    assert not store.delete_job("curaeai", "a")
    assert store.get_job("curaeai", "a") is None


def test_list_is_per_tenant_newest_first_and_pages(store: Store) -> None:
    for seq in range(1, 6):
        store.put_job(job(f"j{seq}", seq))
    store.put_job(job("other", 6, tenant="secondary"))
    first = store.list_jobs("curaeai", "primary", before_seq=None, limit=2)
    assert [j.id for j in first] == ["j5", "j4"]
    rest = store.list_jobs("curaeai", "primary", before_seq=first[-1].seq, limit=10)
    assert [j.id for j in rest] == ["j3", "j2", "j1"]


def test_sequences_and_values(store: Store) -> None:
    assert [store.next_seq("a"), store.next_seq("a"), store.next_seq("b")] == [1, 2, 1]
    store.put_value("ns", "k", "v1")
    store.put_value("ns", "k", "v2")
    assert store.get_value("ns", "k") == "v2"
    assert store.get_value("ns", "missing") is None
    store.clear()
    assert store.get_value("ns", "k") is None
    assert store.next_seq("a") == 1


def test_sqlite_restart_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "mock.db"
    first = SqliteStore(path)
    for seq in range(1, 4):
        first.put_job(job(f"j{seq}", first.next_seq("curaeai")))
    first.put_value("curaeai:idempotency", "primary:k", '{"h": "x"}')
    first.close()
    second = SqliteStore(path)
    assert [j.id for j in second.list_jobs("curaeai", "primary", before_seq=None, limit=10)] == ["j3", "j2", "j1"]
    assert second.get_job("curaeai", "j2") == job("j2", 2)
    assert second.get_value("curaeai:idempotency", "primary:k") == '{"h": "x"}'
    assert second.next_seq("curaeai") == 4
    second.close()


def test_record_is_compact() -> None:
    assert len(job("0193a4f2-7c1e-7b3a-9d2e-5f6a7b8c9d0e", 1).encode()) < 2048


@pytest.mark.parametrize("location", ["", "mysql:x", "sqlite:", "memory2"])
def test_open_store_refuses_unknown_locations(location: str) -> None:
    with pytest.raises(ConfigError):
        open_store(location)


def test_open_store_refuses_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        open_store(f"sqlite:{tmp_path}/nope/mock.db")


def test_job_and_its_records_commit_together(store: Store) -> None:
    store.put_job(job("a", 1), values=[("curaeai:idempotency", "primary:k1", '{"j": "a"}')])
    assert store.get_job("curaeai", "a") is not None
    assert store.get_value("curaeai:idempotency", "primary:k1") == '{"j": "a"}'


def test_sqlite_keeps_neither_when_a_record_fails(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite")
    unbindable: object = object()  # sqlite3 cannot store it: the transaction must roll back
    with pytest.raises(sqlite3.Error, match=r"bind|type"):
        store.put_job(job("a", 1), values=[("ns", "k", unbindable)])  # type: ignore[list-item]
    assert store.get_job("curaeai", "a") is None
    assert store.get_value("ns", "k") is None
    store.close()
