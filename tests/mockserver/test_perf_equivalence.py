"""The speed-ups answer exactly what the code they replaced answered.

``MemoryStore.list_jobs`` (an index per API and tenant instead of a scan), the signer's query
encoding (instead of ``urlencode``), the timestamps memoised by second, carevalidate's directory
built once: each is compared with the straightforward version on many inputs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import string
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import example, given
from hypothesis import strategies as st
from starlette.responses import Response

from mockserver.clock import compact_utc, rfc3339
from mockserver.jsonbody import bytes_response, compact_json
from mockserver.signing import STYLES, SignedUrlSigner, _plus_quoted, _quoted_path
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


@given(st.text(string.printable + "é~ü/"))
def test_signing_encodes_as_urlencode(text: str) -> None:
    assert _plus_quoted(text) == urlencode([("k", text)])[2:]


def _reference_url(signer: SignedUrlSigner, base: str, style: str, key: str, expires: int, now: float,
                   method: str, extra: dict[str, str]) -> str:  # fmt: skip
    """The signed URL as the signer computed it before its encoding was made single-pass."""
    s = STYLES[style]
    p, date = s.param_prefix, compact_utc(now)
    params = {p + "Algorithm": s.algorithm,
              p + "Credential": f"{signer.access_key}/{date[:8]}/{s.region}/{s.service}/{s.terminator}",
              p + "Date": date, p + "Expires": str(expires), p + "SignedHeaders": "host", **extra}  # fmt: skip
    path = quote(f"/b/{key}", safe="/~")
    canonical = "\n".join([method.upper(), path, urlencode(sorted(params.items()))])
    to_sign = "\n".join([s.algorithm, date, hashlib.sha256(canonical.encode()).hexdigest()])
    day_key = hmac.new(s.key_prefix.encode() + b"secret", date[:8].encode(), hashlib.sha256).digest()
    for part in (s.region, s.service, s.terminator):
        day_key = hmac.new(day_key, part.encode(), hashlib.sha256).digest()
    params[p + "Signature"] = hmac.new(day_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{base}/_storage/{s.path_prefix}{path}?{urlencode(list(params.items()))}"


@given(
    style=st.sampled_from(sorted(STYLES)),
    key=st.from_regex(r"[A-Za-z0-9._~@=+,-]{1,12}(/[A-Za-z0-9._~@=+,-]{1,12}){0,2}", fullmatch=True),
    expires=st.integers(1, 604_800),
    now=st.floats(0, 4e9),
    method=st.sampled_from(["GET", "head", "PUT"]),
    extra=st.dictionaries(st.text(string.ascii_letters + "-_ é/", min_size=1), st.text(string.printable + "é")),
)
def test_signed_urls_are_those_of_the_reference_signer(
    style: str, key: str, expires: int, now: float, method: str, extra: dict[str, str]
) -> None:
    if {".", ".."} & set(key.split("/")):
        return  # refused keys are another test's subject
    extra = {k: v for k, v in extra.items() if k != STYLES[style].param_prefix + "Signature"}
    signer = SignedUrlSigner("secret")
    got = signer.sign("http://h:1", style=style, bucket="b", key=key, expires=expires, now=now, method=method,
                      extra=extra)  # fmt: skip
    assert got == _reference_url(signer, "http://h:1", style, key, expires, now, method, extra)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(STYLES)),
            st.sampled_from(["a/x.csv", "b/y.json"]),
            st.sampled_from([60, 900]),
            st.sampled_from([1e9, 1e9 + 0.25, 1e9 + 0.99, 1e9 + 1, 1e9 + 86_400]),  # same second, next, next day
            st.sampled_from(["GET", "HEAD"]),
            st.sampled_from([{}, {"x-id": "n1"}, {"x-id": "n2"}]),
        ),
        max_size=12,
    )
)
@example([("s3-sigv4", "a/x.csv", 60, 1e9, "GET", {}), ("s3-sigv4", "a/x.csv", 60, 1e9 + 1, "GET", {})])
@example([("gcs-v4", "a/x.csv", 60, 1e9 + 1, "GET", {}), ("gcs-v4", "a/x.csv", 60, 1e9, "GET", {})])
@example([("gcs-v4", "a/x.csv", 60, 1e9, "GET", {}), ("gcs-v4", "a/x.csv", 60, 1e9, "GET", {"x-id": "n1"})])
@example([("gcs-v4", "a/x.csv", 60, 1e9, "GET", {"x-id": n}) for n in ("n1", "n2", "n1")])
def test_urls_remembered_within_a_second_are_those_signed_afresh(
    calls: list[tuple[str, str, int, float, str, dict[str, str]]],
) -> None:
    signer = SignedUrlSigner("secret")  # one signer for the whole sequence: its memory is the subject
    for style, key, expires, now, method, extra in calls:
        got = signer.sign("http://h:1", style=style, bucket="b", key=key, expires=expires, now=now, method=method,
                          extra=extra)  # fmt: skip
        assert got == _reference_url(signer, "http://h:1", style, key, expires, now, method, extra)


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


_JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text()
_JSON = st.recursive(_JSON_SCALARS, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30)


@given(_JSON)
def test_compact_json_writes_what_the_standard_library_writes(value: Any) -> None:
    assert compact_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@given(st.recursive(st.floats(allow_nan=False, allow_infinity=False) | st.integers(), st.lists, max_leaves=10))
def test_compact_json_floats_read_back_equal(value: Any) -> None:
    assert json.loads(compact_json(value)) == value


def test_compact_json_falls_back_for_what_orjson_refuses() -> None:
    assert compact_json({1: 2**70}) == b'{"1":1180591620717411303424}'


_HEADER_NAMES = st.sampled_from(["ETag", "Location", "X-Request-Id", "Content-Type", "content-length", "Cache-Control"])


@given(
    content=st.binary(max_size=64),
    status=st.sampled_from([100, 200, 201, 204, 302, 304, 404, 500]),
    headers=st.none() | st.dictionaries(_HEADER_NAMES, st.text(string.printable.strip(), max_size=12), max_size=3),
    media_type=st.sampled_from(
        ["application/json", "application/problem+json", "text/csv", "text/plain; charset=latin-1"]
    ),
)
@example(b"x", 304, None, "application/json")
@example(b"", 204, {"ETag": "e"}, "application/json")
@example(b"x", 200, {"Content-Type": "application/x"}, "application/json")
@example(b"x", 200, None, "text/csv")
def test_bytes_responses_are_starlette_responses(
    content: bytes, status: int, headers: dict[str, str] | None, media_type: str
) -> None:
    ours = bytes_response(content, status, headers, media_type)
    theirs = Response(content, status, headers, media_type)
    assert (ours.status_code, ours.body, ours.raw_headers, ours.media_type, ours.background) == (
        theirs.status_code, theirs.body, theirs.raw_headers, theirs.media_type, theirs.background,
    )  # fmt: skip
    ours.headers["X-Added"] = "1"  # still a Starlette response: its headers are mutable in place
    assert (b"x-added", b"1") in ours.raw_headers
