"""Every error, Connexion's own included, in the vendor's envelope; control-plane errors as JSON."""

from __future__ import annotations

import logging

import httpx
import pytest

from mockserver.app import PARAMETER_LOGGER, IgnoredQueryParameterFilter
from mockserver.testing import MockHandle
from tests.mockserver.conftest import client_for

CURAEAI_CREATE = "/api/sdk/v1/records/exports"


@pytest.mark.parametrize(
    ("method", "path", "content", "content_type", "status"),
    [
        ("POST", CURAEAI_CREATE, b"{not json", "application/json", 400),
        ("POST", CURAEAI_CREATE, b'{"connectionId": "\xff\xfe"}', "application/json", 400),
        ("POST", CURAEAI_CREATE, b"a=b", "text/plain", 415),
        ("GET", "/no/such/route", b"", None, 404),
        ("DELETE", CURAEAI_CREATE, b"", None, 405),
        ("GET", CURAEAI_CREATE + "/not-a-uuid", b"", None, 400),
    ],
)
def test_curaeai_errors_are_problems(
    mock: MockHandle, method: str, path: str, content: bytes, content_type: str | None, status: int
) -> None:
    headers = {"Idempotency-Key": "k", **({"Content-Type": content_type} if content_type else {})}
    with client_for(mock, "curaeai") as client:
        answer = client.request(method, path, content=content, headers=headers)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "code"} <= set(body)


def test_405_lists_the_documented_methods(mock: MockHandle) -> None:
    with client_for(mock, "hookbridge") as client:
        answer = client.request("PATCH", "/v1/exports")
    assert answer.status_code == 405
    assert set(answer.headers["allow"].split(", ")) == {"GET", "POST"}
    assert answer.json()["meta"]["request_id"] == answer.headers["x-request-id"]


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer hb_test_wrong", "Basic eDp5"])
def test_auth_failures_are_401_in_envelope(mock: MockHandle, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = httpx.get(mock.base_url("hookbridge") + "/v1/exports", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHORIZED"
    assert answer.json()["meta"]["request_id"] == answer.headers["x-request-id"]


def test_hookbridge_bad_json_and_missing_members(mock: MockHandle) -> None:
    with client_for(mock, "hookbridge") as client:
        for body in (b"[", b"\xff", b"{}"):
            answer = client.post("/v1/exports", content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == 400
            assert answer.json()["error"]["code"] == "INVALID_REQUEST"


def test_error_envelope_fault_drops_the_envelope(mock: MockHandle) -> None:
    mock.set_fault("curaeai", violation="error-envelope")
    with client_for(mock, "curaeai") as client:
        answer = client.get(CURAEAI_CREATE + "/00000000-0000-4000-8000-000000000000")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/_control/clock/advance", b"{", 400),
        ("POST", "/_control/clock/advance", b'{"seconds": -5}', 400),
        ("POST", "/_control/clock/advance", b'{"seconds": "x"}', 400),
        ("GET", "/_control/nope/target", b"", 404),
        ("POST", "/_control/curaeai/provider-states", b'{"state": "NOPE"}', 400),
        ("POST", "/_control/curaeai/provider-states", b'{"state": "READY", "params": {"tenant": "x"}}', 400),
        ("POST", "/_control/curaeai/provider-states", b"[]", 400),
        ("PUT", "/_control/curaeai/faults", b'{"violation": "everything"}', 400),
        ("GET", "/_control/unknown-thing", b"", 404),
        ("DELETE", "/_control/health", b"", 405),
    ],
)
def test_control_plane_bad_input_is_a_clear_json_error(
    mock: MockHandle, method: str, path: str, body: bytes, status: int
) -> None:
    answer = httpx.request(method, mock.url + path, content=body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["message"]


def test_an_undeclared_query_parameter_is_ignored_quietly(mock: MockHandle, caplog: pytest.LogCaptureFixture) -> None:
    # Connexion logs each one at ERROR (the endpoints take **kwargs); fuzzers send many.
    with caplog.at_level(logging.DEBUG, logger=PARAMETER_LOGGER), client_for(mock, "hookbridge") as client:
        answer = client.get("/v1/exports", params={"é": "1", "zz": "2"})
    assert answer.status_code == 200
    assert [r for r in caplog.records if r.name == PARAMETER_LOGGER and r.levelno >= logging.WARNING] == []
    # it went through Connexion's parameter handling (else this test would prove nothing)
    assert any(r.name == PARAMETER_LOGGER for r in caplog.records)


def test_the_filter_keeps_every_other_record() -> None:
    keep = logging.LogRecord(PARAMETER_LOGGER, logging.ERROR, __file__, 1, "something else: %s", ("x",), None)
    drop = logging.LogRecord(
        PARAMETER_LOGGER, logging.ERROR, __file__, 1,
        "Function argument '%s' (non-sanitized: %s) not defined in specification", ("", "é"), None,
    )  # fmt: skip
    assert IgnoredQueryParameterFilter().filter(keep)
    assert not IgnoredQueryParameterFilter().filter(drop)
