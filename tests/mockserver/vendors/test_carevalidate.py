"""carevalidate over HTTP: OTP sign-in, uploads served as signed GCS URLs, uniform 404s, auth order."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from mockserver.testing import MockHandle, running_mock
from mockserver.vendors import Derive
from mockserver.vendors.carevalidate import MAX_UPLOAD_BYTES, TEST_OTP, VENDOR, read_jwt
from specs import Lifecycle, load_spec

API = "carevalidate"
LIFECYCLE = Lifecycle.from_spec(load_spec(API), API)
FILES = "/api/v1/users/me/files"
SEND, VERIFY = "/api/v1/users/auth/send-otp", "/api/v1/users/auth/verify-otp"
FILE_NOT_FOUND = b'{"status":404,"success":false,"error":"File not found","code":"VALIDATION_ERROR"}'
ORG_NOT_FOUND = b'{"status":404,"success":false,"error":"Organization not found","code":"NOT_FOUND"}'
BAD_TOKEN = b'{"status":401,"success":false,"error":"Invalid or expired token","code":"VALIDATION_ERROR"}'
JSON = {"content-type": "application/json"}
MISSING_ID = "0d3c7a4e-2f7b-4c1e-9a55-1b2c3d4e5f60"
SECOND_PATIENT = "sam.rivera@example.com"  # primary's other patient (mockserver.vendors.carevalidate.PROFILES)


@pytest.fixture(scope="module")
def mock_session() -> Iterator[MockHandle]:
    with running_mock([API], seed=5, validate_responses=True) as handle:
        yield handle


@pytest.fixture
def mock(mock_session: MockHandle) -> MockHandle:
    mock_session.reset()
    return mock_session


def tenant(mock: MockHandle, name: str = "primary") -> dict[str, Any]:
    found: dict[str, Any] = mock.target(API)["tenants"][name]
    return found


def client(mock: MockHandle, name: str = "primary", *, token: str | None = None) -> httpx.Client:
    credentials = tenant(mock, name)["credentials"]
    headers = {"cv-api-key": credentials["cvApiKey"], "Authorization": f"Bearer {token or credentials['accessToken']}"}
    return httpx.Client(base_url=mock.base_url(API), headers=headers, timeout=10.0)


def upload(http: httpx.Client, data: bytes, *, name: str = "lab-result.pdf", **extra: Any) -> dict[str, Any]:
    body = {"name": name, "data": base64.b64encode(data).decode(), "mimeType": "application/pdf", **extra}
    answer = http.post(f"{FILES}/upload", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()["data"]
    return created


def own_file(mock: MockHandle, http: httpx.Client, data: bytes = b"%PDF-1.4 lab", **extra: Any) -> dict[str, Any]:
    return upload(http, data, caseId=tenant(mock)["fixtures"]["caseId"], **extra)


def sign_in(mock: MockHandle, email: str, name: str = "primary") -> str:
    """An access token of the patient ``email`` through send-otp and verify-otp."""
    key = {"cv-api-key": tenant(mock, name)["credentials"]["cvApiKey"]}
    base = mock.base_url(API)
    assert httpx.post(base + SEND, headers=key, json={"email": email, "channel": "EMAIL"}).status_code == 200
    answer = httpx.post(base + VERIFY, headers=key, json={"email": email, "code": TEST_OTP})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["accessToken"])


def served_name(answer: httpx.Response) -> str | None:
    message = Message()
    message["content-disposition"] = answer.headers["content-disposition"]
    return message.get_filename()


def assert_envelope(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body == {"status": status, "success": False, "error": body["error"], "code": code}
    assert isinstance(body["error"], str)
    assert body["error"]


def test_full_lifecycle_upload_poll_download_fetch(mock: MockHandle) -> None:
    data = bytes(range(256)) * 3
    with client(mock) as http:
        created = own_file(mock, http, data, name="lab-result.pdf")
        assert (created["isPHI"], created["isRestricted"], "uploadedBy" in created) == (False, False, False)
        meta = http.get(f"{FILES}/{created['id']}/metadata").json()["data"]
        assert meta["uploadedBy"]["firstName"] == "Jane"
        assert {k: meta[k] for k in created} == created
        listed = http.get(FILES).json()["data"]["files"]
        assert [f["id"] for f in listed] == [created["id"]]
        answer = http.get(f"{FILES}/{created['id']}/download")
    assert answer.status_code == 200
    grant = answer.json()["data"]
    assert (grant["fileName"], grant["expiresIn"]) == ("lab-result.pdf", LIFECYCLE.download.lifetime.seconds)
    query = dict(parse_qsl(urlsplit(grant["downloadUrl"]).query))
    assert query["X-Goog-Expires"] == "900"
    assert query["X-Goog-Algorithm"].startswith("GOOG4-")
    fetched = httpx.get(grant["downloadUrl"])
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["content-type"] == "application/pdf"
    name = served_name(fetched)
    assert name == "lab-result.pdf"
    assert re.fullmatch(str(LIFECYCLE.download.filename).replace("{/fileName}", re.escape(meta["fileName"])), name)


def test_uuids_are_read_in_any_case(mock: MockHandle) -> None:
    case_id = str(tenant(mock)["fixtures"]["caseId"]).upper()
    with client(mock) as http:
        created = upload(http, b"upper", caseId=case_id)
        assert created["caseId"] == case_id.lower()
        assert http.get(f"{FILES}/{created['id'].upper()}/metadata").json()["data"]["id"] == created["id"]
        assert len(http.get(FILES, params={"caseId": case_id}).json()["data"]["files"]) == 1


def test_any_file_name_is_served_and_rename_renames_the_download(mock: MockHandle) -> None:
    with client(mock) as http:
        created = own_file(mock, http, b"one", name="Lab Résult (1).pdf")
        before = http.get(f"{FILES}/{created['id']}/download").json()["data"]["downloadUrl"]
        assert served_name(httpx.get(before)) == "Lab Résult (1).pdf"
        renamed = http.patch(f"{FILES}/{created['id']}/metadata", json={"fileName": 'scan "final".pdf'})
        assert renamed.status_code == 200
        assert renamed.json()["data"]["fileName"] == 'scan "final".pdf'
        after = http.get(f"{FILES}/{created['id']}/download").json()["data"]
    assert after["fileName"] == 'scan "final".pdf'
    for url in (before, after["downloadUrl"]):  # the object is not moved: the old URL still works
        fetched = httpx.get(url)
        assert (fetched.content, served_name(fetched)) == (b"one", 'scan "final".pdf')


def test_url_refused_once_tampered_or_expired(mock: MockHandle) -> None:
    with client(mock) as http:
        created = own_file(mock, http)
        url = http.get(f"{FILES}/{created['id']}/download").json()["data"]["downloadUrl"]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["X-Goog-Signature"] = ("0" if query["X-Goog-Signature"][0] != "0" else "1") + query["X-Goog-Signature"][1:]
    tampered = httpx.get(parts._replace(query=urlencode(query)).geturl())
    assert (tampered.status_code, tampered.headers["content-type"]) == (403, "application/xml")
    assert b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
    assert httpx.get(url).status_code == 200
    mock.advance(LIFECYCLE.download.lifetime.seconds + 1)
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert b"<Code>ExpiredToken</Code>" in expired.content


def test_missing_deleted_general_foreign_files_get_one_identical_404(mock: MockHandle) -> None:
    with client(mock) as http:
        mine = own_file(mock, http)
        deleted = own_file(mock, http)
        general = upload(http, b"general document")  # no caseId: not a case attachment
        assert general["caseId"] is None
        gone = http.delete(f"{FILES}/{deleted['id']}")
        assert gone.json() == {"status": 200, "success": True, "message": "File deleted successfully"}
    token = sign_in(mock, SECOND_PATIENT)
    with client(mock) as http, client(mock, token=token) as other_patient, client(mock, "secondary") as other_org:
        targets = [(http, MISSING_ID), (http, deleted["id"]), (http, general["id"])]
        targets += [(other_patient, mine["id"]), (other_org, mine["id"])]
        for who, file_id in targets:
            for method, path in (("GET", "/metadata"), ("GET", "/download"), ("DELETE", ""), ("PATCH", "/metadata")):
                body = {"fileName": "x.pdf"} if method == "PATCH" else None
                answer = who.request(method, f"{FILES}/{file_id}{path}", json=body)
                assert (answer.status_code, answer.content) == (404, FILE_NOT_FOUND), (method, path, file_id)
    with client(mock) as http:
        assert [f["id"] for f in http.get(FILES).json()["data"]["files"]] == [mine["id"]]
        assert http.get(f"{FILES}/{mine['id']}/metadata").status_code == 200


def test_list_is_newest_first_with_case_and_type_filters(mock: MockHandle) -> None:
    fixtures = tenant(mock)["fixtures"]
    staff = mock.provider_state(API, "staff-file")  # uploaded by staff, marked PHI
    mock.advance(1)
    with client(mock) as http:
        first = own_file(mock, http)
        mock.advance(1)
        second = own_file(mock, http)
        upload(http, b"general")
        everything = http.get(FILES).json()["data"]["files"]
        assert [f["id"] for f in everything] == [second["id"], first["id"], staff["id"]]
        stamps = [f["createdAt"] for f in everything]
        assert stamps == sorted(stamps, reverse=True)
        phi = http.get(FILES, params={"type": "phi"}).json()["data"]["files"]
        assert [(f["id"], f["isPHI"], f["uploadedBy"]["lastName"]) for f in phi] == [(staff["id"], True, "Lee")]
        general = http.get(FILES, params={"type": "general"}).json()["data"]["files"]
        assert [f["id"] for f in general] == [second["id"], first["id"]]
        same_case = http.get(FILES, params={"caseId": fixtures["caseId"]}).json()["data"]["files"]
        assert len(same_case) == 3
        for staff_call in (http.delete(f"{FILES}/{staff['id']}"),
                           http.patch(f"{FILES}/{staff['id']}/metadata", json={"fileName": "x"})):  # fmt: skip
            assert (staff_call.status_code, staff_call.content) == (404, FILE_NOT_FOUND)
        for foreign in (tenant(mock, "secondary")["fixtures"]["caseId"], MISSING_ID):
            assert_envelope(http.get(FILES, params={"caseId": foreign}), 403, "VALIDATION_ERROR")
            answer = http.post(f"{FILES}/upload", json={"name": "a", "data": "AA==", "mimeType": "text/plain",
                                                        "caseId": foreign})  # fmt: skip
            assert_envelope(answer, 403, "VALIDATION_ERROR")
    with client(mock, token=sign_in(mock, SECOND_PATIENT)) as other_patient:
        assert other_patient.get(FILES).json()["data"]["files"] == []
        assert_envelope(other_patient.get(FILES, params={"caseId": fixtures["caseId"]}), 403, "VALIDATION_ERROR")


def test_otp_sign_in(mock: MockHandle) -> None:
    base, key = mock.base_url(API), {"cv-api-key": tenant(mock)["credentials"]["cvApiKey"]}

    def send(**body: str) -> httpx.Response:
        return httpx.post(base + SEND, headers=key, json=body)

    def verify(code: str = TEST_OTP, **who: str) -> httpx.Response:
        return httpx.post(base + VERIFY, headers=key, json={**who, "code": code})

    unknown, known = send(email="nobody@example.com", channel="EMAIL"), send(email=SECOND_PATIENT, channel="EMAIL")
    assert (unknown.status_code, unknown.content) == (known.status_code, known.content)  # no user enumeration
    assert verify(email="nobody@example.com").json()["error"] == "Invalid credentials"
    assert verify(email="patient@example.com").json()["error"] == "Invalid verification code"  # never sent
    assert verify("000000", email=SECOND_PATIENT).json()["error"] == "Invalid verification code"
    signed = verify(email=" Sam.Rivera@Example.com ".strip())
    assert signed.status_code == 200
    assert signed.headers["cache-control"] == "no-store"
    tokens = signed.json()["data"]
    assert tokens["expiresIn"] == 900
    assert tokens["refreshToken"]
    assert_envelope(verify(email=SECOND_PATIENT), 401, "VALIDATION_ERROR")
    assert verify(email=SECOND_PATIENT).json()["error"] == "Verification code already used"
    with client(mock, token=tokens["accessToken"]) as http:
        assert http.get(FILES).status_code == 200
        mock.advance(840)  # a margin for the real seconds the clock also runs
        assert http.get(FILES).status_code == 200
        mock.advance(61)
        assert (http.get(FILES).status_code, http.get(FILES).content) == (401, BAD_TOKEN)
    send(phoneNumber="+15551234567", channel="SMS")
    for _ in range(5):
        verify("999999", phoneNumber="+15551234567")
    assert verify(phoneNumber="+15551234567").json()["error"] == "Invalid verification code"  # 5 wrong: OTP dead
    send(phoneNumber="+15551234567", channel="SMS")
    mock.advance(301)
    assert verify(phoneNumber="+15551234567").status_code == 401  # older than 5 minutes
    send(phoneNumber="+15551234567", channel="SMS")
    assert verify(phoneNumber="+15551234567").status_code == 200


@pytest.mark.parametrize(
    ("key", "bearer", "status", "body"),
    [
        ("own", "own", 200, None),
        (None, None, 401, BAD_TOKEN),
        ("own", None, 401, BAD_TOKEN),
        ("own", "garbage", 401, BAD_TOKEN),
        ("own", "other", 401, BAD_TOKEN),  # a token of another organisation
        (None, "own", 400, None),
        (None, "garbage", 401, BAD_TOKEN),  # the bearer check answers first
        ("unknown", "own", 404, ORG_NOT_FOUND),
        ("unknown", None, 401, BAD_TOKEN),
    ],
)
def test_auth_order_on_files(mock: MockHandle, key: str | None, bearer: str | None, status: int, body: bytes) -> None:
    own, other = tenant(mock)["credentials"], tenant(mock, "secondary")["credentials"]
    headers = {}
    if key is not None:
        headers["cv-api-key"] = {"own": own["cvApiKey"], "unknown": "cv_test_nope"}[key]
    if bearer is not None:
        token = {"own": own["accessToken"], "other": other["accessToken"], "garbage": "a.b.c"}[bearer]
        headers["Authorization"] = f"Bearer {token}"
    answer = httpx.get(mock.base_url(API) + FILES, headers=headers)
    assert answer.status_code == status
    if body is not None:
        assert answer.content == body
    if status == 400:
        assert_envelope(answer, 400, "VALIDATION_ERROR")


def test_auth_endpoints_need_only_the_key(mock: MockHandle) -> None:
    body = {"email": "patient@example.com", "channel": "EMAIL"}
    url = mock.base_url(API) + SEND
    assert_envelope(httpx.post(url, json=body), 400, "VALIDATION_ERROR")
    assert httpx.post(url, json=body, headers={"cv-api-key": "cv_test_nope"}).content == ORG_NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("POST", f"{FILES}/upload", {"content": b"{not json", "headers": JSON}, 400,
         "VALIDATION_ERROR"),
        ("POST", f"{FILES}/upload", {"content": b'{"name": "\xff\xfe"}', "headers": JSON}, 400, "VALIDATION_ERROR"),
        ("POST", f"{FILES}/upload", {"content": b"a=b", "headers": {"content-type": "text/plain"}}, 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        ("POST", f"{FILES}/upload", {"json": {"name": "a", "data": "not base64!", "mimeType": "text/plain"}}, 400,
         "VALIDATION_ERROR"),
        ("POST", f"{FILES}/upload", {"json": {"name": "a", "data": "AA==", "mimeType": "application/zip"}}, 400,
         "VALIDATION_ERROR"),
        ("POST", f"{FILES}/upload", {"content": b'{"name": "\\ud800", "data": "AA==", "mimeType": "text/plain"}',
                                     "headers": {"content-type": "application/json"}}, 400, "VALIDATION_ERROR"),
        ("PATCH", f"{FILES}/{MISSING_ID}/metadata", {"json": {}}, 400, "VALIDATION_ERROR"),
        ("GET", f"{FILES}/not-a-uuid/metadata", {}, 400, "VALIDATION_ERROR"),
        ("GET", FILES, {"params": {"caseId": MISSING_ID + "\n"}}, 400, "VALIDATION_ERROR"),
        ("GET", FILES, {"params": {"type": "secret"}}, 400, "VALIDATION_ERROR"),
        ("GET", "/api/v1/no/such/route", {}, 404, "NOT_FOUND"),
        ("DELETE", f"{FILES}/upload", {}, 405, "METHOD_NOT_ALLOWED"),
        ("PUT", f"{FILES}/{MISSING_ID}/metadata", {}, 405, "METHOD_NOT_ALLOWED"),
        ("GET", f"{FILES}/{MISSING_ID}", {}, 405, "METHOD_NOT_ALLOWED"),
    ],
)  # fmt: skip
def test_bad_input_gets_the_vendor_envelope(
    mock: MockHandle, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    with client(mock) as http:
        answer = http.request(method, path, **kwargs)
    assert_envelope(answer, status, code)
    if status == 405:
        expected = {f"{FILES}/upload": "POST", f"{FILES}/{MISSING_ID}": "DELETE"}.get(path, "GET, PATCH")
        assert answer.headers["allow"] == expected


@pytest.mark.parametrize(
    "body",
    [
        {"email": "patient@example.com\n", "channel": "EMAIL"},  # ECMA `$`: not before a final newline
        {"email": "patient@example.com", "channel": "SMS"},
        {"phoneNumber": "+15551234567", "email": "patient@example.com", "channel": "EMAIL"},
        {"phoneNumber": "+15551234567\n", "channel": "SMS"},
    ],
)
def test_send_otp_refuses_bodies_the_spec_refuses(mock: MockHandle, body: dict[str, str]) -> None:
    key = {"cv-api-key": tenant(mock)["credentials"]["cvApiKey"]}
    assert_envelope(httpx.post(mock.base_url(API) + SEND, headers=key, json=body), 400, "VALIDATION_ERROR")


def test_upload_size_limit(mock: MockHandle) -> None:
    with client(mock) as http:
        own_file(mock, http, b"x" * MAX_UPLOAD_BYTES)
        too_big = base64.b64encode(b"x" * (MAX_UPLOAD_BYTES + 1)).decode()
        answer = http.post(f"{FILES}/upload", json={"name": "big.pdf", "mimeType": "application/pdf", "data": too_big})
    assert_envelope(answer, 400, "VALIDATION_ERROR")


def test_blob_missing_download_is_the_documented_500(mock: MockHandle) -> None:
    with client(mock) as http:
        for state in ("blob-missing", "BLOB_MISSING"):
            file_id = mock.provider_state(API, state)["id"]
            assert http.get(f"{FILES}/{file_id}/metadata").status_code == 200
            answer = http.get(f"{FILES}/{file_id}/download")
            assert (
                answer.content
                == b'{"status":500,"success":false,"error":"Internal server error","code":"INTERNAL_ERROR"}'
            )
            assert answer.status_code == 500
            assert http.delete(f"{FILES}/{file_id}").status_code == 200


@pytest.mark.parametrize("owner", ["primary", "secondary"])
@pytest.mark.parametrize("state", LIFECYCLE.states)
def test_provider_state_for_every_state_and_tenant(mock: MockHandle, state: str, owner: str) -> None:
    answer = mock.provider_state(API, state, tenant=owner)
    assert set(answer["credentials"]) == {"cvApiKey", "accessToken"}
    assert answer["params"] == {"id": answer["id"]}
    assert answer["fixtures"]["caseId"]
    with client(mock, owner) as http:
        meta = http.get(f"{FILES}/{answer['id']}/metadata")
        download = http.get(f"{FILES}/{answer['id']}/download")
    assert meta.status_code == (404 if state == "DELETED" else 200)
    refused = LIFECYCLE.download.refused.get(state)
    assert download.status_code == (refused.status if refused else 200)
    if state == "AVAILABLE":
        fetched = httpx.get(download.json()["data"]["downloadUrl"])
        assert fetched.content.startswith(b"%PDF-1.4")
        assert fetched.content == httpx.get(download.json()["data"]["downloadUrl"]).content


def test_vendor_rules_fault_shows_deleted_files(mock: MockHandle) -> None:
    with client(mock) as http:
        created = own_file(mock, http)
        assert http.delete(f"{FILES}/{created['id']}").status_code == 200
        mock.set_fault(API, violation="vendor-rules")
        assert http.get(f"{FILES}/{created['id']}/metadata").status_code == 200
        assert [f["id"] for f in http.get(FILES).json()["data"]["files"]] == [created["id"]]
        mock.clear_faults(API)
        assert http.get(f"{FILES}/{created['id']}/metadata").status_code == 404


def test_credentials_are_stable_for_a_seed_and_tokens_verify() -> None:
    first, again, other = (VENDOR.tenants(Derive(seed, API)) for seed in (5, 5, 6))
    assert first == again
    assert [t.credentials for t in first] != [t.credentials for t in other]
    assert len({t.credentials["cvApiKey"] for t in first}) == 2
    claims = read_jwt(Derive(5, API), first[0].credentials["accessToken"], now=4e9)
    assert claims is not None
    assert claims["type"] == "patient-portal"
    assert read_jwt(Derive(6, API), first[0].credentials["accessToken"], now=0.0) is None


def test_restart_on_sqlite_loses_nothing(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'carevalidate.db'}"
    with running_mock([API], store=store, seed=5, signing_secret="restart-secret") as first:
        token = sign_in(first, SECOND_PATIENT)
        with client(first) as http:
            kept = own_file(first, http, b"kept bytes", name="kept.pdf")
            removed = own_file(first, http)
            assert http.delete(f"{FILES}/{removed['id']}").status_code == 200
            url = http.get(f"{FILES}/{kept['id']}/download").json()["data"]["downloadUrl"]
        first.advance(60)
        port = urlsplit(first.url).port
    with running_mock([API], port=port or 0, store=store, seed=5, signing_secret="restart-secret") as second:
        with client(second) as http:
            assert http.get(f"{FILES}/{kept['id']}/metadata").json()["data"]["fileName"] == "kept.pdf"
            assert (http.get(f"{FILES}/{removed['id']}/metadata").content) == FILE_NOT_FOUND
            assert [f["id"] for f in http.get(FILES).json()["data"]["files"]] == [kept["id"]]
        fetched = httpx.get(url)
        assert (fetched.status_code, fetched.content) == (200, b"kept bytes")
        with client(second, token=token) as http:
            assert http.get(FILES).status_code == 200  # the OTP token survives, and its clock too
        second.advance(900 - 60)
        with client(second, token=token) as http:
            assert http.get(FILES).status_code == 401
        key = {"cv-api-key": tenant(second)["credentials"]["cvApiKey"]}
        used = httpx.post(second.base_url(API) + VERIFY, headers=key, json={"email": SECOND_PATIENT, "code": TEST_OTP})
        assert used.json()["error"] == "Verification code already used"
