"""webadmit over HTTP: runs, member-style download URLs, dedupe, uniform 404s, empty 401s, quota."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from mockserver.store import MemoryStore
from mockserver.testing import MockHandle, running_mock
from mockserver.vendors import Derive
from mockserver.vendors.webadmit import (
    QUOTA_NAMESPACE,
    RATE_LIMIT_PER_HOUR,
    RATE_WINDOW_SECONDS,
    VENDOR,
    HourlyQuota,
)
from specs import Lifecycle, load_spec

API = "webadmit"
LIFECYCLE = Lifecycle.from_spec(load_spec(API), API)
NOT_FOUND = b'{"message":"Not Found"}'
TIME_SCALE = 0.01  # each lifecycle step lasts 100 s of mock time: real time alone never finishes a run here
STEP = 1 / TIME_SCALE


@pytest.fixture(scope="module")
def mock_session() -> Iterator[MockHandle]:
    with running_mock([API], seed=11, time_scale=TIME_SCALE, validate_responses=True, rate_limits=True) as handle:
        yield handle


@pytest.fixture
def mock(mock_session: MockHandle) -> MockHandle:
    mock_session.reset()
    return mock_session


def tenant(mock: MockHandle, name: str = "primary") -> dict[str, Any]:
    found: dict[str, Any] = mock.target(API)["tenants"][name]
    return found


def client(mock: MockHandle, name: str = "primary") -> httpx.Client:
    key = tenant(mock, name)["credentials"]["apiKey"]
    return httpx.Client(base_url=mock.base_url(API), headers={"x-api-key": key}, timeout=10.0)


def files_path(uid: int, export_id: int) -> str:
    return f"/api/v1/user_identities/{uid}/exports/{export_id}/export_files"


def file_path(export_id: int, file_id: int) -> str:
    return f"/api/v1/exports/{export_id}/export_files/{file_id}"


def create(http: httpx.Client, fixtures: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    answer = http.post(files_path(fixtures["user_identity_id"], fixtures["export_id"]), **kwargs)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()["export_files"]
    return created


def to_next_hour(mock: MockHandle) -> None:
    """Advance the mock clock just past an hour boundary, so a quota window outlasts the test."""
    now = mock.server.clock.now()
    mock.advance(RATE_WINDOW_SECONDS - now % RATE_WINDOW_SECONDS + 1)


def ready_file(mock: MockHandle, http: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """A provider-state ``available`` file and its status answer."""
    state = mock.provider_state(API, "available")
    answer = http.get(file_path(state["params"]["export_id"], state["params"]["export_file_id"]))
    assert answer.status_code == 200
    return state, answer.json()["export_files"]


def test_full_lifecycle_create_poll_download_fetch(mock: MockHandle) -> None:
    fixtures = tenant(mock)["fixtures"]
    with client(mock) as http:
        created = create(http, fixtures)
        assert created["status"] == LIFECYCLE.initial
        assert created["href"] == file_path(fixtures["export_id"], created["id"])
        seen = []
        for _ in range(5):
            answer = http.get(created["href"])
            assert answer.status_code == 200
            assert answer.headers["x-ratelimit-limit"] == str(RATE_LIMIT_PER_HOUR)
            body = answer.json()["export_files"]
            assert ("download_url" in body) == (body["status"] == "available")
            seen.append(body["status"])
            mock.advance(STEP)
        assert seen[-1] == LIFECYCLE.ready
        assert all(LIFECYCLE.allows(a, b) for a, b in itertools.pairwise(seen))
        url = http.get(created["href"]).json()["export_files"]["download_url"]
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"].split(";")[0] == LIFECYCLE.download.content_type
    assert fetched.headers["content-disposition"] == 'attachment; filename="Nightly-Banner-Export.csv"'
    assert re.fullmatch(LIFECYCLE.download.filename or "", "Nightly-Banner-Export.csv")
    rows = list(csv.reader(io.StringIO(fetched.content.decode("iso-8859-1"))))
    assert rows[0][:3] == ["CAS ID", "First Name", "Last Name"]
    assert len(rows) >= 4
    assert httpx.get(url).content == fetched.content  # the same bytes on every fetch


def test_new_short_lived_url_on_every_call(mock: MockHandle) -> None:
    with client(mock) as http:
        _, first = ready_file(mock, http)
        second = http.get(first["href"]).json()["export_files"]
    assert first["download_url"] != second["download_url"]
    query = dict(parse_qsl(urlsplit(first["download_url"]).query))
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert int(query["X-Amz-Expires"]) == LIFECYCLE.download.lifetime.seconds < 30
    assert httpx.get(first["download_url"]).status_code == httpx.get(second["download_url"]).status_code == 200


def test_url_refused_once_expired_or_tampered(mock: MockHandle) -> None:
    with client(mock) as http:
        _, ready = ready_file(mock, http)
    parts = urlsplit(ready["download_url"])
    query = dict(parse_qsl(parts.query))
    signature = query["X-Amz-Signature"]
    query["X-Amz-Signature"] = ("0" if signature[0] != "0" else "1") + signature[1:]
    tampered = httpx.get(parts._replace(query=urlencode(query)).geturl())
    assert tampered.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
    assert httpx.get(ready["download_url"]).status_code == 200
    mock.advance(LIFECYCLE.download.lifetime.seconds + 1)
    expired = httpx.get(ready["download_url"])
    assert expired.status_code == 403
    assert b"Request has expired" in expired.content


def test_repeat_create_returns_the_running_file_until_it_ends(mock: MockHandle) -> None:
    fixtures = tenant(mock)["fixtures"]
    with client(mock) as http:
        first = create(http, fixtures, params={"callback": "https://example.org/cb"})
        again = create(http, fixtures, json={"callback": "https://example.org/other"})
        assert again["id"] == first["id"]
        mock.advance(4 * STEP)  # the run ends (available): the next create starts a new one
        third = create(http, fixtures)
        assert third["id"] != first["id"]
        mock.set_fault(API, violation="vendor-rules")
        assert create(http, fixtures)["id"] != create(http, fixtures)["id"]


def test_provider_states_cover_every_state_of_both_tenants(mock: MockHandle) -> None:
    for owner in ("primary", "secondary"):
        with client(mock, owner) as http:
            for state in LIFECYCLE.states:
                made = mock.provider_state(API, state, tenant=owner)
                assert made["credentials"] == tenant(mock, owner)["credentials"]
                body = http.get(file_path(made["params"]["export_id"], int(made["id"]))).json()["export_files"]
                assert body["status"] == state
                assert ("download_url" in body) == (state in LIFECYCLE.downloadable)
    named = mock.provider_state(API, "tenant", tenant="secondary")
    assert named["fixtures"] == tenant(mock, "secondary")["fixtures"]


def test_another_tenants_file_is_a_missing_one(mock: MockHandle) -> None:
    with client(mock) as http:
        state, _ = ready_file(mock, http)
        export_id, file_id = state["params"]["export_id"], state["params"]["export_file_id"]
        sibling = next(t["id"] for t in http.get("/api/v1/exports").json()["exports"] if t["id"] != export_id)
        under_sibling = http.get(file_path(sibling, file_id))  # the owner's file under its other template
        assert (under_sibling.status_code, under_sibling.content) == (404, NOT_FOUND)
    with client(mock, "secondary") as other:
        foreign = other.get(file_path(export_id, file_id))
        missing = other.get(file_path(export_id, 999_999))
        wrong_template = other.get(file_path(tenant(mock, "secondary")["fixtures"]["export_id"], file_id))
        for answer in (foreign, missing, wrong_template):
            assert answer.status_code == 404
            assert answer.content == NOT_FOUND
            assert answer.headers["content-type"] == "application/json"
            assert set(answer.headers) == set(missing.headers)
        mine = tenant(mock)["fixtures"]
        for path in (f"/api/v1/user_identities/{mine['user_identity_id']}/exports",
                     f"/api/v1/user_identities/{mine['user_identity_id']}/export_files"):  # fmt: skip
            assert (other.get(path).status_code, other.get(path).content) == (404, NOT_FOUND)
        assert other.post(files_path(mine["user_identity_id"], mine["export_id"])).content == NOT_FOUND
    mock.set_fault(API, violation="tenant-isolation")
    with client(mock, "secondary") as other:
        assert other.get(file_path(export_id, file_id)).status_code == 200


def test_identities_templates_and_recent_files(mock: MockHandle) -> None:
    seen_ids: dict[str, set[int]] = {}
    for owner in ("primary", "secondary"):
        fixtures = tenant(mock, owner)["fixtures"]
        with client(mock, owner) as http:
            identities = http.get("/api/v1/user_identities").json()["user_identities"]
            templates = http.get("/api/v1/exports").json()["exports"]
            own = http.get(f"/api/v1/user_identities/{fixtures['user_identity_id']}/exports").json()["exports"]
            assert fixtures["user_identity_id"] == identities[0]["id"]
            assert fixtures["export_id"] == own[0]["id"]
            assert {t["id"] for t in own} < {t["id"] for t in templates}
            seen_ids[owner] = {i["id"] for i in identities} | {t["id"] for t in templates}
            made = [create(http, fixtures)["id"], mock.provider_state(API, "failed", tenant=owner)["id"]]
            listed = http.get(f"/api/v1/user_identities/{fixtures['user_identity_id']}/export_files").json()
            assert [f["id"] for f in listed["export_files"]] == [int(made[1]), made[0]]  # newest first
            assert all("download_url" not in f for f in listed["export_files"])
            other_identity = identities[1]["id"]
            assert http.get(f"/api/v1/user_identities/{other_identity}/export_files").json()["export_files"] == []
    assert not seen_ids["primary"] & seen_ids["secondary"]


@pytest.mark.parametrize("key", [None, "", "0123456789abcdef0123456789abcdef"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/user_identities"), ("GET", "/api/v1/exports/0/export_files/1"), ("POST", files_path(1, 2))],
)
def test_auth_failures_are_401_with_an_empty_body(mock: MockHandle, key: str | None, method: str, path: str) -> None:
    headers = {} if key is None else {"x-api-key": key}
    answer = httpx.request(method, mock.base_url(API) + path, headers=headers)
    assert answer.status_code == 401
    assert answer.content == b""
    assert "content-type" not in answer.headers


@pytest.mark.parametrize(
    ("method", "path", "content", "content_type"),
    [
        ("GET", "/api/v1/exports/abc/export_files/1", None, None),
        ("GET", "/api/v1/exports/0/export_files/1", None, None),
        ("GET", "/api/v1/user_identities/-4/exports", None, None),
        ("GET", "/api/v1/no/such/route", None, None),
        ("POST", "FILES", b"{not json", "application/json"),
        ("POST", "FILES", b'{"callback": "http://\xff"}', "application/json"),
        ("POST", "FILES", b"[1]", "application/json"),
        ("POST", "FILES", b'{"callback": "not a url"}', "application/json"),
        ("POST", "FILES", b"callback=x", "text/plain"),
        ("POST", "FILES?callback=ftp://x", None, None),
    ],
)
def test_bad_input_is_not_found(
    mock: MockHandle, method: str, path: str, content: bytes | None, content_type: str | None
) -> None:
    fixtures = tenant(mock)["fixtures"]
    path = path.replace("FILES", files_path(fixtures["user_identity_id"], fixtures["export_id"]))
    with client(mock) as http:
        answer = http.request(method, path, content=content, headers={"content-type": content_type or ""})
    assert answer.status_code == 404
    assert answer.content == NOT_FOUND
    assert answer.headers["content-type"] == "application/json"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_other_methods_are_405_with_allow(mock: MockHandle, method: str) -> None:
    fixtures = tenant(mock)["fixtures"]
    with client(mock) as http:
        on_list = http.request(method, "/api/v1/exports")
        on_create = http.request(method, files_path(fixtures["user_identity_id"], fixtures["export_id"]))
    assert (on_list.status_code, on_list.headers["allow"]) == (405, "GET")
    assert (on_create.status_code, on_create.headers["allow"]) == (405, "POST")
    if method != "HEAD":
        assert on_list.json() == on_create.json() == {"message": "Method Not Allowed"}


def test_quota_counts_down_per_key_and_hour_then_429(mock: MockHandle) -> None:
    to_next_hour(mock)
    with client(mock) as http, client(mock, "secondary") as other:
        counts = [int(http.get("/api/v1/exports").headers["x-ratelimit-remaining"]) for _ in range(3)]
        assert counts == [RATE_LIMIT_PER_HOUR - 1, RATE_LIMIT_PER_HOUR - 2, RATE_LIMIT_PER_HOUR - 3]
        assert other.get("/api/v1/exports").headers["x-ratelimit-remaining"] == str(RATE_LIMIT_PER_HOUR - 1)
        missing = http.get(file_path(1, 999_999))
        assert (missing.status_code, missing.headers["x-ratelimit-remaining"]) == (404, str(RATE_LIMIT_PER_HOUR - 4))
        window = int(mock.server.clock.now() // RATE_WINDOW_SECONDS)
        mock.server.store.put_value(QUOTA_NAMESPACE, f"primary:{window}", str(RATE_LIMIT_PER_HOUR))
        over = http.get("/api/v1/exports")
        assert (over.status_code, over.json()) == (429, {"message": "Too Many Requests"})
        assert over.headers["x-ratelimit-remaining"] == "0"
        assert int(over.headers["retry-after"]) >= 1
        assert other.get("/api/v1/exports").status_code == 200
        mock.advance(RATE_WINDOW_SECONDS)
        fresh = http.get("/api/v1/exports")
        assert (fresh.status_code, fresh.headers["x-ratelimit-remaining"]) == (200, str(RATE_LIMIT_PER_HOUR - 1))


def test_hourly_quota_window_follows_the_injected_clock() -> None:
    now = [7200.0]
    quota = HourlyQuota(MemoryStore(), lambda: now[0], limit=2)
    owner = VENDOR.tenants(Derive(0, API))[0]
    assert [quota.take(owner).headers()["X-RateLimit-Remaining"] for _ in range(2)] == ["1", "0"]
    with pytest.raises(Exception, match="429"):
        quota.take(owner)
    now[0] += RATE_WINDOW_SECONDS - 0.5  # still the same hour
    with pytest.raises(Exception, match="429"):
        quota.take(owner)
    now[0] += 0.5
    assert quota.take(owner).headers()["X-RateLimit-Remaining"] == "1"


def test_credentials_and_fixtures_are_stable_for_a_seed() -> None:
    first, again, other = (VENDOR.tenants(Derive(seed, API)) for seed in (5, 5, 6))
    assert first == again
    assert [t.credentials for t in first] != [t.credentials for t in other]
    assert all(re.fullmatch(r"[0-9a-f]{32}", t.credentials["apiKey"]) for t in first)
    assert first[0].credentials != first[1].credentials


def test_sqlite_restart_loses_nothing(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'webadmit.db'}"
    with running_mock([API], store=store, seed=3, time_scale=TIME_SCALE) as first:
        to_next_hour(first)
        fixtures = tenant(first)["fixtures"]
        with client(first) as http:
            running = create(http, fixtures)
            first.advance(4 * STEP)
            done = http.get(running["href"]).json()["export_files"]
            blocking = create(http, fixtures)  # running again: a repeat must still dedupe after the restart
            listed = http.get(f"/api/v1/user_identities/{fixtures['user_identity_id']}/export_files")
            artifact = httpx.get(done["download_url"]).content
    with running_mock([API], store=store, seed=3, time_scale=TIME_SCALE) as second:
        assert tenant(second)["fixtures"] == fixtures
        with client(second) as http:
            again = http.get(f"/api/v1/user_identities/{fixtures['user_identity_id']}/export_files")
            assert again.json() == listed.json()
            assert int(again.headers["x-ratelimit-remaining"]) == int(listed.headers["x-ratelimit-remaining"]) - 1
            assert create(http, fixtures)["id"] == blocking["id"]
            url = http.get(running["href"]).json()["export_files"]["download_url"]
        assert httpx.get(url).content == artifact


def test_ready_download_fault_mints_an_undocumented_lifetime(mock: MockHandle) -> None:
    mock.set_fault(API, violation="ready-download")
    with client(mock) as http:
        _, ready = ready_file(mock, http)
    lifetime = int(dict(parse_qsl(urlsplit(ready["download_url"]).query))["X-Amz-Expires"])
    assert lifetime > LIFECYCLE.download.lifetime.max
