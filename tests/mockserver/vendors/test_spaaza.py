"""spaaza over HTTP: tasks on a trigger, execute, logs, signed download URLs, chains, errors."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from mockserver.errors import ConfigError, VendorError
from mockserver.testing import MockHandle, running_mock
from mockserver.vendors import Derive
from mockserver.vendors.spaaza import COLUMNS, VENDOR, delay_to_trigger, file_prefixes, parse_trigger, run_now
from specs import Lifecycle, load_spec

API = "spaaza"
LIFECYCLE = Lifecycle.from_spec(load_spec(API), API)
PREFIXES = file_prefixes(load_spec(API))
MISSING = 987654321
UUID_SECRET = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}:[0-9a-f]{40}")


@pytest.fixture(scope="module")
def mock_session() -> Iterator[MockHandle]:
    with running_mock([API], seed=5) as handle:
        yield handle


@pytest.fixture
def mock(mock_session: MockHandle) -> MockHandle:
    mock_session.reset()
    return mock_session


def tenant(mock: MockHandle, name: str = "primary") -> dict[str, Any]:
    found: dict[str, Any] = mock.target(API)["tenants"][name]
    return found


def client(mock: MockHandle, name: str = "primary") -> httpx.Client:
    token = tenant(mock, name)["credentials"]["accessToken"]
    return httpx.Client(base_url=mock.base_url(API), headers={"Authorization": f"Bearer {token}"}, timeout=10.0)


def task_body(
    mock: MockHandle, index: str = "transactions", fmt: str = "csv", once: str = "2026-01-01T00:00:00Z"
) -> Any:
    target = {"action": "export", "export_index": index, "export_format": fmt}
    return {"chain": tenant(mock)["fixtures"]["chain"], "desc": "export", "target": target, "trigger": {"once": once}}


def clock_now(mock: MockHandle) -> datetime:
    return datetime.fromisoformat(str(httpx.get(mock.url + "/_control/clock").json()["now"]).replace("Z", "+00:00"))


def assert_error(answer: httpx.Response, status: int, name: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["result"] == {"code": 2, "status": "error"}
    assert (body["error"]["code"], body["error"]["name"]) == (status, name)
    assert body["error"]["description"]


def stamps_ordered(task: dict[str, Any]) -> bool:
    state = task["state"]
    stamps = [state[k] for k in ("created_date", "last_run_date", "last_modified") if state[k] is not None]
    return stamps == sorted(stamps)


def test_full_lifecycle_create_poll_download_fetch(mock: MockHandle) -> None:
    with client(mock) as c:
        created = c.post("/tasks", json=task_body(mock))
        assert created.status_code == 201
        task = created.json()
        assert (task["state"]["code"], task["state"]["last_run_date"], task["logs"], task["version"]) == (
            "READY", None, [], 1,
        )  # fmt: skip
        assert_error(c.get(f"/tasks/{task['id']}/download_url"), 409, "task_not_done")
        seen = [task["state"]["code"]]
        for _ in range(3):
            mock.advance(1)
            seen.append(c.get(f"/tasks/{task['id']}").json()["state"]["code"])
        assert seen == ["READY", "INPROGRESS", "INPROGRESS", "DONE"]
        done = c.get(f"/tasks/{task['id']}").json()
        assert stamps_ordered(done)
        assert [log["message"] for log in done["logs"]] == ["export started", "export finished"]
        answer = c.get(f"/tasks/{task['id']}/download_url")
    assert answer.status_code == 200
    url = answer.json()["url"]
    assert url.startswith(f"{mock.url}/_storage/s3/{API}/")
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Expires"] == "3600"
    assert urlsplit(url).path.endswith(f"/Transaction_Export-{task['id']}.csv")
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"].startswith("text/csv")
    assert fetched.headers["content-disposition"] == f'attachment; filename="Transaction_Export-{task["id"]}.csv"'
    rows = list(csv.reader(io.StringIO(fetched.text)))
    assert tuple(rows[0]) == COLUMNS["transactions"]
    assert len(rows) > 1
    assert {row[1] for row in rows[1:]} == {str(task["chain"])}
    assert httpx.get(url).content == fetched.content


@pytest.mark.parametrize(("index", "fmt"), [(i, "json" if n % 2 else "csv") for n, i in enumerate(PREFIXES)])
def test_every_index_names_its_file_from_the_spec(mock: MockHandle, index: str, fmt: str) -> None:
    with client(mock) as c:
        task_id = c.post("/tasks", json=task_body(mock, index, fmt)).json()["id"]
        assert c.post(f"/tasks/{task_id}/execute").json()["code"] == "DONE"
        fetched = httpx.get(c.get(f"/tasks/{task_id}/download_url").json()["url"])
    filename = f"{PREFIXES[index]}_Export-{task_id}.{fmt}"
    assert fetched.headers["content-disposition"] == f'attachment; filename="{filename}"'
    if fmt == "json":
        assert fetched.headers["content-type"] == "application/json"
        records = json.loads(fetched.content)
        assert records
        assert all(set(record) == set(COLUMNS[index]) for record in records)
    else:
        assert next(csv.reader(io.StringIO(fetched.text))) == list(COLUMNS[index])


def test_documented_file_name_prefixes() -> None:
    documented = {"transactions": "Transaction", "users": "User", "vouchers": "Voucher", "wallet-ledger": "Wallet"}
    assert documented.items() <= PREFIXES.items()
    with pytest.raises(ConfigError, match="x-file-prefixes"):
        file_prefixes({"components": {"schemas": {"ExportIndex": {"enum": ["users"]}}}})


def test_task_waits_for_its_trigger_time(mock: MockHandle) -> None:
    now = clock_now(mock)
    once = (now + timedelta(seconds=600)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with client(mock) as c:
        task_id = c.post("/tasks", json=task_body(mock, once=once)).json()["id"]
        mock.advance(300)
        assert c.get(f"/tasks/{task_id}").json()["state"]["code"] == "READY"
        mock.advance(300)
        running = c.get(f"/tasks/{task_id}").json()
        assert (running["state"]["code"], running["state"]["last_run_date"]) == ("INPROGRESS", once)
        mock.advance(3)
        done = c.get(f"/tasks/{task_id}").json()
    assert done["state"]["code"] == "DONE"
    assert stamps_ordered(done)


def test_execute_runs_now_and_a_finished_task_stays(mock: MockHandle) -> None:
    later = (clock_now(mock) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    failed = mock.provider_state(API, "ERROR")
    with client(mock) as c:
        task_id = c.post("/tasks", json=task_body(mock, once=later)).json()["id"]
        executed = c.post(f"/tasks/{task_id}/execute")
        assert executed.status_code == 200
        assert executed.json()["code"] == "DONE"
        task = c.get(f"/tasks/{task_id}").json()
        assert task["state"] == executed.json()
        assert stamps_ordered(task)
        assert len(task["logs"]) == 2
        assert c.get(f"/tasks/{task_id}/download_url").status_code == 200
        mock.advance(10)
        assert c.post(f"/tasks/{task_id}/execute").json() == executed.json()
        before = c.get(f"/tasks/{failed['id']}").json()
        again = c.post(f"/tasks/{failed['id']}/execute").json()
        assert again["code"] == "ERROR"
        assert c.get(f"/tasks/{failed['id']}").json() == before


def test_run_now_and_delay_rewrite_trails_in_order() -> None:
    failing = (("READY", 0.0), ("INPROGRESS", 1.0), ("ERROR", 3.0))
    assert run_now(LIFECYCLE, failing, 0.5) == (("READY", 0.0), ("INPROGRESS", 0.5), ("ERROR", 0.5))
    passing = (("READY", 0.0), ("INPROGRESS", 1.0), ("DONE", 3.0))
    assert run_now(LIFECYCLE, passing, 1.5) == (("READY", 0.0), ("INPROGRESS", 1.0), ("DONE", 1.5))
    assert run_now(LIFECYCLE, passing, 5.0) == passing
    assert run_now(LIFECYCLE, (("READY", 0.0),), 9.0) == (("READY", 0.0), ("INPROGRESS", 9.0), ("DONE", 9.0))
    assert delay_to_trigger(passing, 100.0) == (("READY", 0.0), ("INPROGRESS", 100.0), ("DONE", 102.0))
    assert delay_to_trigger(passing, 0.5) == passing


@pytest.mark.parametrize(
    ("text", "epoch"),
    [("2026-01-01T00:00:00Z", 1767225600.0), ("2026-01-01t01:00:00+01:00", 1767225600.0),
     ("2016-12-31T23:59:60Z", 1483228799.0), ("2026-01-01T00:00:00.25z", 1767225600.25)],
)  # fmt: skip
def test_parse_trigger_reads_rfc3339(text: str, epoch: float) -> None:
    assert parse_trigger(text) == epoch


@pytest.mark.parametrize("text", ["2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", None, 5])
def test_parse_trigger_refuses_anything_else(text: Any) -> None:
    with pytest.raises(VendorError) as caught:
        parse_trigger(text)
    assert (caught.value.status, caught.value.code) == (400, "invalid_parameters")


def test_logs_are_paginated(mock: MockHandle) -> None:
    job = mock.provider_state(API, "DONE")
    with client(mock) as c:
        every = c.get(f"/tasks/{job['id']}").json()["logs"]
        assert [log["message"] for log in every] == ["export started", "export finished"]
        assert c.get(f"/tasks/{job['id']}", params={"log_limit": 1, "offset": 1}).json()["logs"] == every[1:]
        assert c.get(f"/tasks/{job['id']}", params={"log_limit": 0}).json()["logs"] == []
        assert c.get(f"/tasks/{job['id']}", params={"offset": 5}).json()["logs"] == []


def done_url(mock: MockHandle) -> str:
    job = mock.provider_state(API, "DONE")
    with client(mock) as c:
        url: str = c.get(f"/tasks/{job['id']}/download_url").json()["url"]
    return url


def test_url_refused_once_its_hour_has_passed(mock: MockHandle) -> None:
    url = done_url(mock)
    mock.advance(3500)
    assert httpx.get(url).status_code == 200
    mock.advance(101)
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.text


def test_changed_signature_refused(mock: MockHandle) -> None:
    split = urlsplit(done_url(mock))
    query = dict(parse_qsl(split.query))
    query["X-Amz-Signature"] = "0" * 64
    tampered = httpx.get(f"{split.scheme}://{split.netloc}{split.path}?{urlencode(query)}")
    assert tampered.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in tampered.text


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("POST", "/execute"), ("GET", "/download_url")])
def test_another_chains_task_answers_like_a_missing_one(mock: MockHandle, method: str, suffix: str) -> None:
    job = mock.provider_state(API, "DONE")
    with client(mock, "secondary") as other:
        foreign = other.request(method, f"/tasks/{job['id']}{suffix}")
        absent = other.request(method, f"/tasks/{MISSING}{suffix}")
        not_a_number = other.request(method, f"/tasks/abc{suffix}")
    assert_error(foreign, 404, "task_not_found")
    for answer in (absent, not_a_number):
        assert (answer.status_code, answer.headers["content-type"], answer.content) == (
            foreign.status_code, foreign.headers["content-type"], foreign.content,
        )  # fmt: skip


def test_create_for_another_chain_is_refused(mock: MockHandle) -> None:
    with client(mock) as c:
        answer = c.post("/tasks", json={**task_body(mock), "chain": tenant(mock, "secondary")["fixtures"]["chain"]})
    assert_error(answer, 401, "authentication_failed")


@pytest.mark.parametrize(
    ("method", "path", "content", "content_type", "status", "name"),
    [
        ("POST", "/tasks", b"{not json", "application/json", 400, "invalid_parameters"),
        ("POST", "/tasks", b'{"chain": 1, "desc": "\xff\xfe"}', "application/json", 400, "invalid_parameters"),
        ("POST", "/tasks", b"chain=1", "text/plain", 415, "unsupported_media_type"),
        ("POST", "/tasks", b"{}", "application/json", 400, "invalid_parameters"),
        ("GET", "/no/such/route", b"", None, 404, "task_not_found"),
        ("GET", "/tasks/9223372036854775808", b"", None, 400, "invalid_parameters"),
        ("GET", "/tasks/1?log_limit=-1", b"", None, 400, "invalid_parameters"),
        ("GET", "/tasks/1?offset=x", b"", None, 400, "invalid_parameters"),
    ],
)
def test_bad_input_gets_the_vendor_envelope(
    mock: MockHandle, method: str, path: str, content: bytes, content_type: str | None, status: int, name: str
) -> None:
    with client(mock) as c:
        answer = c.request(
            method, path, content=content, headers={"Content-Type": content_type} if content_type else {}
        )
    assert_error(answer, status, name)


def test_bodies_a_schema_cannot_refuse(mock: MockHandle) -> None:
    body = task_body(mock)
    surrogate = json.dumps({**body, "desc": "x"}).replace('"x"', '"\\ud800"').encode()
    with client(mock) as c:
        for content in (surrogate, json.dumps({**body, "trigger": {"once": "next tuesday"}}).encode()):
            answer = c.post("/tasks", content=content, headers={"Content-Type": "application/json"})
            assert_error(answer, 400, "invalid_parameters")


@pytest.mark.parametrize(("method", "path", "allow"), [("DELETE", "/tasks/1", "GET"), ("PATCH", "/tasks", "POST"),
                                                       ("GET", "/tasks/1/execute", "POST")])  # fmt: skip
def test_405_lists_only_the_paths_methods(mock: MockHandle, method: str, path: str, allow: str) -> None:
    with client(mock) as c:
        answer = c.request(method, path)
    assert_error(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == allow


def test_auth_failures_are_401_in_envelope(mock: MockHandle) -> None:
    token_id, secret = tenant(mock)["credentials"]["accessToken"].split(":")
    other_id = tenant(mock, "secondary")["credentials"]["accessToken"].split(":")[0]
    for value in (None, "Bearer", f"Bearer {token_id}", f"Bearer :{secret}", f"Bearer {token_id}:",
                  f"Bearer {token_id}:{'0' * 40}", f"Bearer {other_id}:{secret}", "Basic eDp5"):  # fmt: skip
        answer = httpx.get(mock.base_url(API) + "/tasks/1", headers={"Authorization": value} if value else {})
        assert_error(answer, 401, "authentication_failed")


@pytest.mark.parametrize("state", ["READY", "INPROGRESS", "ERROR"])
def test_download_refused_before_done(mock: MockHandle, state: str) -> None:
    job = mock.provider_state(API, state, tenant="secondary")
    with client(mock, "secondary") as c:
        assert c.get(f"/tasks/{job['id']}").json()["state"]["code"] == state
        assert_error(c.get(f"/tasks/{job['id']}/download_url"), 409, "task_not_done")


def test_non_export_refused_and_served_under_vendor_rules_fault(mock: MockHandle) -> None:
    job = mock.provider_state(API, "non-export")
    with client(mock) as c:
        task = c.get(f"/tasks/{job['id']}").json()
        assert task["target"]["action"] == "bulk issue rewards"
        assert isinstance(task["target"]["campaign"], int)
        assert task["state"]["code"] == "DONE"
        assert_error(c.get(f"/tasks/{job['id']}/download_url"), 400, "invalid_task_type")
        mock.set_fault(API, violation="vendor-rules")
        served = c.get(f"/tasks/{job['id']}/download_url")
    assert served.status_code == 200
    assert httpx.get(served.json()["url"]).status_code == 200


def test_done_without_a_valid_result_is_500(mock: MockHandle) -> None:
    job = mock.provider_state(API, "invalid-result", tenant="secondary")
    with client(mock, "secondary") as c:
        task = c.get(f"/tasks/{job['id']}").json()
        assert task["state"]["code"] == "DONE"
        assert task["logs"][-1]["message"] == "export finished without a result file"
        assert_error(c.get(f"/tasks/{job['id']}/download_url"), 500, "invalid_task_result")


@pytest.mark.parametrize("state", [*LIFECYCLE.states, "non-export", "invalid-result"])
@pytest.mark.parametrize("owner", ["primary", "secondary"])
def test_provider_states_for_either_tenant(mock: MockHandle, state: str, owner: str) -> None:
    answer = mock.provider_state(API, state, tenant=owner)
    assert answer["credentials"] == tenant(mock, owner)["credentials"]
    assert answer["params"] == {"id": int(answer["id"])}
    other = "secondary" if owner == "primary" else "primary"
    with client(mock, owner) as mine, client(mock, other) as theirs:
        task = mine.get(f"/tasks/{answer['id']}").json()
        assert task["state"]["code"] == (state if state in LIFECYCLE.states else "DONE")
        assert task["chain"] == tenant(mock, owner)["fixtures"]["chain"]
        assert stamps_ordered(task)
        assert (task["state"]["last_run_date"] is None) == (state == "READY")
        assert theirs.get(f"/tasks/{answer['id']}").status_code == 404


def test_credentials_are_stable_for_a_seed() -> None:
    first, again, other = (VENDOR.tenants(Derive(seed, API)) for seed in (5, 5, 6))
    assert first == again
    assert first != other
    assert all(UUID_SECRET.fullmatch(t.credentials["accessToken"]) for t in first)
    assert first[0].fixtures["chain"] != first[1].fixtures["chain"]


def status_of(mock: MockHandle, task_id: str) -> Any:
    owner = "primary" if client_sees(mock, "primary", task_id) else "secondary"
    with client(mock, owner) as c:
        return {"owner": owner, **c.get(f"/tasks/{task_id}").json()}


def client_sees(mock: MockHandle, name: str, task_id: str) -> bool:
    with client(mock, name) as c:
        return c.get(f"/tasks/{task_id}").status_code == 200


def test_sqlite_restart_loses_nothing(tmp_path: Path) -> None:
    options: dict[str, Any] = {"store": f"sqlite:{tmp_path / 'spaaza.db'}", "seed": 3, "signing_secret": "s3cr3t"}
    with running_mock([API], **options) as first:
        later = (clock_now(first) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids = [first.provider_state(API, s, tenant="secondary")["id"] for s in ("DONE", "non-export", "invalid-result")]
        with client(first) as c:
            ids.append(str(c.post("/tasks", json=task_body(first, "vouchers", "json", later)).json()["id"]))
            ids.append(str(c.post("/tasks", json=task_body(first)).json()["id"]))
            c.post(f"/tasks/{ids[-1]}/execute")
            first.advance(30)
            url = c.get(f"/tasks/{ids[-1]}/download_url").json()["url"]
            data = httpx.get(url).content
        before = {tid: status_of(first, tid) for tid in ids}
    with running_mock([API], **options) as second:
        assert httpx.get(second.url + "/_control/clock").json()["offsetSeconds"] >= 30
        assert {tid: status_of(second, tid) for tid in ids} == before
        assert before[ids[3]]["state"]["code"] == "READY"
        assert httpx.get(url.replace(first.url, second.url)).content == data
        with client(second) as c:
            assert int(c.post("/tasks", json=task_body(second)).json()["id"]) == len(ids) + 1


def test_artifact_is_the_same_bytes_for_the_same_job(mock: MockHandle) -> None:
    job = mock.provider_state(API, "DONE")
    stored = mock.server.runtimes[API].store.get_job(API, job["id"])
    assert stored is not None
    built = [VENDOR.artifact(stored, random.Random(1)).data for _ in range(2)]
    assert built[0] == built[1]
    assert built[0].startswith(",".join(COLUMNS["transactions"]).encode() + b"\r\n")
    assert VENDOR.artifact(stored, random.Random(2)).data != built[0]
