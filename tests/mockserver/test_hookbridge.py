"""hookbridge over HTTP: 302 download, request ids, pagination, delete, 410."""

from __future__ import annotations

import csv
import io

import httpx

from mockserver.testing import MockHandle
from tests.mockserver.conftest import client_for

BODY = {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"}


def test_lifecycle_to_302_and_csv(mock: MockHandle) -> None:
    with client_for(mock, "hookbridge") as client:
        created = client.post("/v1/exports", json=BODY)
        assert created.status_code == 201
        assert created.headers["x-request-id"] == created.json()["meta"]["request_id"]
        export_id = created.json()["data"]["id"]
        early = client.get(f"/v1/exports/{export_id}/download")
        assert (early.status_code, early.json()["error"]["code"]) == (409, "EXPORT_NOT_READY")
        assert early.headers["x-request-id"] == early.json()["meta"]["request_id"]
        mock.advance(5)
        data = client.get(f"/v1/exports/{export_id}").json()["data"]
        assert data["status"] == "completed"
        redirect = client.get(f"/v1/exports/{export_id}/download")
    assert redirect.status_code == 302
    assert redirect.headers["x-request-id"].startswith("req_")
    fetched = httpx.get(redirect.headers["location"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"].startswith("text/csv")
    assert fetched.headers["content-disposition"] == f'attachment; filename="export-{export_id}.csv"'
    rows = list(csv.reader(io.StringIO(fetched.text)))
    assert len(rows) - 1 == data["row_count"]
    assert len(fetched.content) == data["file_size_bytes"]


def test_expired_export_is_gone_and_409_under_vendor_rules_fault(mock: MockHandle) -> None:
    job = mock.provider_state("hookbridge", "expired")
    with client_for(mock, "hookbridge") as client:
        gone = client.get(f"/v1/exports/{job['id']}/download")
        assert (gone.status_code, gone.json()["error"]["code"]) == (410, "EXPORT_EXPIRED")
        mock.set_fault("hookbridge", violation="vendor-rules")
        assert client.get(f"/v1/exports/{job['id']}/download").status_code == 409


def test_list_pages_with_a_cursor_and_isolates_tenants(mock: MockHandle) -> None:
    ids = [mock.provider_state("hookbridge", "pending")["id"] for _ in range(5)]
    mock.provider_state("hookbridge", "pending", tenant="secondary")
    with client_for(mock, "hookbridge") as client:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/exports", params=params).json()
            seen += [item["id"] for item in page["data"]]
            assert page["meta"]["has_more"] == (page["meta"]["next_cursor"] is not None)
            cursor = page["meta"]["next_cursor"]
            if not cursor:
                break
        assert seen == list(reversed(ids))
        bad = client.get("/v1/exports", params={"cursor": "not-a-cursor"})
        assert (bad.status_code, bad.json()["error"]["code"]) == (400, "INVALID_REQUEST")


def test_delete_refused_while_active_then_404(mock: MockHandle) -> None:
    active = mock.provider_state("hookbridge", "processing")
    done = mock.provider_state("hookbridge", "completed")
    with client_for(mock, "hookbridge") as client:
        refused = client.delete(f"/v1/exports/{active['id']}")
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "EXPORT_ACTIVE")
        deleted = client.delete(f"/v1/exports/{done['id']}")
        assert deleted.status_code == 204
        assert deleted.headers["x-request-id"].startswith("req_")
        for path in ("", "/download"):
            assert client.get(f"/v1/exports/{done['id']}{path}").status_code == 404
        assert client.delete(f"/v1/exports/{done['id']}").status_code == 404


def test_foreign_export_answers_like_a_missing_one(mock: MockHandle) -> None:
    job = mock.provider_state("hookbridge", "completed")
    missing = "0193a4f2-7c1e-7b3a-9d2e-5f6a7b8c9d0e"
    with client_for(mock, "hookbridge", "secondary") as other:
        for path in ("", "/download"):
            foreign = other.get(f"/v1/exports/{job['id']}{path}")
            absent = other.get(f"/v1/exports/{missing}{path}")
            assert foreign.status_code == absent.status_code == 404
            assert foreign.json()["error"] == absent.json()["error"]
            assert foreign.headers["content-type"] == absent.headers["content-type"]


def test_create_checks_what_the_schema_cannot(mock: MockHandle) -> None:
    with client_for(mock, "hookbridge") as client:
        backwards = client.post("/v1/exports", json={"start_time": BODY["end_time"], "end_time": BODY["start_time"]})
        assert (backwards.status_code, backwards.json()["error"]["code"]) == (400, "INVALID_REQUEST")
        wrong = client.post("/v1/exports", json={**BODY, "direction": "inbound", "endpoint_id": "ep_" + "a" * 32})
        assert wrong.status_code == 400
