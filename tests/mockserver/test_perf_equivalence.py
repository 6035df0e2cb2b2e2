"""The speed-ups answer exactly what the code they replaced answered.

``MemoryStore.list_jobs`` (an index per API and tenant instead of a scan), the signer's query
encoding (instead of ``urlencode``), the timestamps memoised by second, carevalidate's directory
built once: each is compared with the straightforward version on many inputs.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st

from mockserver.clock import compact_utc, rfc3339
from mockserver.signing import _query, _quoted_path
from mockserver.store import Job, MemoryStore
from mockserver.vendors import Derive
from mockserver.vendors.carevalidate import _directory, directory


def _scanned(jobs: dict[tuple[str, str], Job], api: str, tenant: str, before: int | None, limit: int) -> list[Job]:
    found = [j for j in jobs.values() if j.api == api and j.tenant == tenant and (before is None or j.seq < before)]
    found.sort(key=lambda job: job.seq, reverse=True)
    return found[:limit]


def test_list_jobs_pages_as_a_full_scan_would() -> None:
    rng = random.Random(6)
    for _ in range(200):
        store, jobs = MemoryStore(), {}
        for _ in range(60):
            api, job_id, roll = rng.choice("ab"), str(rng.randrange(15)), rng.random()
            if roll < 0.6:  # new jobs, replaced jobs (another tenant or seq), equal seqs
                job = Job(api, job_id, rng.choice(["p", "s"]), rng.randrange(10), 0.0, ())
                store.put_job(job)
                jobs[(api, job_id)] = job
            elif roll < 0.8:
                assert store.delete_job(api, job_id) == (jobs.pop((api, job_id), None) is not None)
            else:
                for before in (None, rng.randrange(12)):
                    for limit in (-1, 0, 1, 3, 100):
                        got = store.list_jobs(api, "p", before_seq=before, limit=limit)
                        assert got == _scanned(jobs, api, "p", before, limit)
        store.clear()
        assert store.list_jobs("a", "p", before_seq=None, limit=5) == []


@given(st.lists(st.tuples(st.text(string.printable + "é~ü/"), st.text(string.printable + "é~/"))))
def test_signing_query_is_urlencode(pairs: list[tuple[str, str]]) -> None:
    assert _query(pairs) == urlencode(pairs)


@given(st.text(string.printable + "é~ü/%"))
def test_signing_path_is_quote(path: str) -> None:
    assert _quoted_path(path) == quote(path, safe="/~")


@given(st.floats(min_value=0, max_value=4e9))
def test_timestamps_are_those_of_datetime(seconds: float) -> None:
    at = datetime.fromtimestamp(int(seconds // 1), UTC)
    assert rfc3339(seconds) == at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert compact_utc(seconds) == at.strftime("%Y%m%dT%H%M%SZ")


def test_carevalidate_directory_is_built_once_and_not_shared_mutably() -> None:
    first = directory(Derive(4, "carevalidate"))
    first.clear()  # a caller's copy: the cached directory is untouched
    again = directory(Derive(4, "carevalidate"))
    assert set(again) == {"primary", "secondary"}
    assert again == _directory.__wrapped__(4, "carevalidate")
    assert directory(Derive(5, "carevalidate")) != again
