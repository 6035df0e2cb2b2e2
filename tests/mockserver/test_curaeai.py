"""curaeai over HTTP: lifecycle, download, signed URLs, isolation, idempotency, ETags."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from mockserver.testing import MockHandle
from tests.mockserver.conftest import client_for

EXPORTS = "/api/sdk/v1/records/exports"


def create(client: httpx.Client, mock: MockHandle, key: str = "k-1", **body: Any) -> httpx.Response:
    connection = mock.target("curaeai")["tenants"]["primary"]["fixtures"]["connectionId"]
    return client.post(EXPORTS, json={"connectionId": connection, **body}, headers={"Idempotency-Key": key})


def test_full_lifecycle_create_poll_download_fetch(mock: MockHandle) -> None:
    with client_for(mock, "curaeai") as client:
        created = create(client, mock)
        assert created.status_code == 202
        export = created.json()["export"]
        assert export["status"] == "QUEUED"
        refused = client.get(f"{EXPORTS}/{export['id']}/download")
        assert refused.status_code == 409
        assert refused.json()["code"] == "EXPORT_NOT_READY"
        assert refused.headers["content-type"] == "application/problem+json"
        seen = [client.get(f"{EXPORTS}/{export['id']}").json()["export"]["status"]]
        for _ in range(3):
            mock.advance(1)
            seen.append(client.get(f"{EXPORTS}/{export['id']}").json()["export"]["status"])
        assert seen == ["QUEUED", "RUNNING", "RUNNING", "READY"]
        ready = client.get(f"{EXPORTS}/{export['id']}").json()["export"]
        stamps = [ready[k] for k in ("queuedAt", "startedAt", "completedAt", "expiresAt")]
        assert stamps == sorted(stamps)
        answer = client.get(f"{EXPORTS}/{export['id']}/download")
        assert answer.status_code == 200
        download = answer.json()["download"]
        assert download["expiresInSeconds"] == 60
        assert download["url"].startswith(mock.url + "/_storage/s3/curaeai/")
    artifact = httpx.get(download["url"])
    assert artifact.status_code == 200
    assert artifact.headers["content-type"] == "application/fhir+ndjson"
    assert artifact.headers["content-disposition"] == f'attachment; filename="{export["id"]}.ndjson"'
    assert hashlib.sha256(artifact.content).hexdigest() == ready["artifact"]["sha256"]
    assert str(len(artifact.content)) == ready["artifact"]["byteSize"]
    lines = artifact.content.decode().splitlines()
    assert lines
    assert all('"resourceType":"Observation"' in line for line in lines)


def ready_url(mock: MockHandle) -> str:
    state = mock.provider_state("curaeai", "READY")
    with client_for(mock, "curaeai") as client:
        url: str = client.get(f"{EXPORTS}/{state['id']}/download").json()["download"]["url"]
    return url


def test_url_refused_after_its_lifetime(mock: MockHandle) -> None:
    url = ready_url(mock)
    assert httpx.get(url).status_code == 200
    mock.advance(61)
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert expired.headers["content-type"] == "application/xml"
    assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.text


def test_changed_signature_or_key_refused(mock: MockHandle) -> None:
    url = ready_url(mock)
    split = urlsplit(url)
    query = dict(parse_qsl(split.query))
    query["X-Amz-Signature"] = "0" * 64
    tampered = httpx.get(f"{split.scheme}://{split.netloc}{split.path}?{urlencode(query)}")
    assert tampered.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in tampered.text
    other_key = httpx.get(url.replace(".ndjson?", ".csv?"))
    assert other_key.status_code == 403
    for evil in ("/_storage/s3/curaeai/..%2F..%2Fetc/passwd", "/_storage/s3/curaeai/a%2Fb/c"):
        assert httpx.get(mock.url + evil + "?" + split.query).status_code in (400, 403, 404)


def comparable(response: httpx.Response) -> tuple[int, str, dict[str, Any]]:
    body = response.json()
    body.pop("instance", None)  # names the path, which differs by id
    return response.status_code, response.headers["content-type"], body


def test_second_tenant_gets_the_missing_answer(mock: MockHandle) -> None:
    job = mock.provider_state("curaeai", "READY")
    missing = str(uuid.UUID(int=1))
    with client_for(mock, "curaeai", "secondary") as other:
        for suffix in ("", "/download"):
            foreign = other.get(f"{EXPORTS}/{job['id']}{suffix}")
            absent = other.get(f"{EXPORTS}/{missing}{suffix}")
            assert foreign.status_code == 404
            assert comparable(foreign) == comparable(absent)
            assert foreign.text.replace(job["id"], missing) == absent.text


def test_create_with_another_connection_is_not_found(mock: MockHandle) -> None:
    secondary = mock.target("curaeai")["tenants"]["secondary"]["fixtures"]["connectionId"]
    with client_for(mock, "curaeai") as client:
        answer = client.post(EXPORTS, json={"connectionId": secondary}, headers={"Idempotency-Key": "x"})
    assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND")


def test_idempotency_replays_the_original_answer(mock: MockHandle) -> None:
    with client_for(mock, "curaeai") as client:
        first = create(client, mock, key="same")
        mock.advance(10)
        again = create(client, mock, key="same")
        assert again.status_code == 202
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-body-mismatch" not in again.headers
        different = create(client, mock, key="same", includeRawFhir=True)
        assert different.json() == first.json()
        assert different.headers["idempotent-body-mismatch"] == "true"
        with client_for(mock, "curaeai", "secondary") as other:
            connection = mock.target("curaeai")["tenants"]["secondary"]["fixtures"]["connectionId"]
            theirs = other.post(EXPORTS, json={"connectionId": connection}, headers={"Idempotency-Key": "same"})
            assert theirs.json()["export"]["id"] != first.json()["export"]["id"]
        mock.advance(24 * 3600 + 1)
        assert create(client, mock, key="same").json()["export"]["id"] != first.json()["export"]["id"]
        fresh = create(client, mock, key="other")
        assert fresh.json()["export"]["id"] != first.json()["export"]["id"]


def test_idempotency_ignored_under_vendor_rules_fault(mock: MockHandle) -> None:
    mock.set_fault("curaeai", violation="vendor-rules")
    with client_for(mock, "curaeai") as client:
        ids = {create(client, mock, key="same").json()["export"]["id"] for _ in range(2)}
    assert len(ids) == 2


def test_etag_and_if_none_match(mock: MockHandle) -> None:
    job = mock.provider_state("curaeai", "RUNNING")
    with client_for(mock, "curaeai") as client:
        first = client.get(f"{EXPORTS}/{job['id']}")
        etag = first.headers["etag"]
        assert etag.startswith('"')
        assert client.get(f"{EXPORTS}/{job['id']}", headers={"If-None-Match": etag}).status_code == 304
        assert client.get(f"{EXPORTS}/{job['id']}", headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("state", ["QUEUED", "RUNNING", "FAILED", "EXPIRED"])
def test_download_refused_in_every_non_ready_state(mock: MockHandle, state: str) -> None:
    job = mock.provider_state("curaeai", state)
    with client_for(mock, "curaeai") as client:
        status = client.get(f"{EXPORTS}/{job['id']}").json()["export"]
        refused = client.get(f"{EXPORTS}/{job['id']}/download")
    assert status["status"] == state
    assert refused.status_code == 409
    assert refused.json()["code"] in ("EXPORT_NOT_READY", "EXPORT_NOT_DOWNLOADABLE")
    assert (status["failedAt"] is not None) == (state == "FAILED")
