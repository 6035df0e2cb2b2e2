"""Envelopes: exceptions mapped to vendor errors, and rendered per API, control plane and storage."""

from __future__ import annotations

import asyncio
import json

import pytest
from connexion.exceptions import BadRequestProblem, OAuthProblem, UnsupportedMediaTypeProblem
from starlette.exceptions import HTTPException
from starlette.requests import Request

from mockserver.clock import VirtualClock
from mockserver.envelopes import ErrorRenderer, storage_xml
from mockserver.errors import ControlError, StorageError, VendorError
from mockserver.faults import Fault, FaultBook
from mockserver.runtime import ApiRuntime
from mockserver.signing import SignedUrlSigner
from mockserver.store import MemoryStore
from mockserver.vendors import load_vendor
from specs import load_spec


@pytest.fixture
def renderer() -> ErrorRenderer:
    faults = FaultBook()
    runtimes = {}
    for name in ("curaeai", "hookbridge"):
        vendor = load_vendor(name)
        assert vendor is not None
        runtimes[name] = ApiRuntime(
            name, load_spec(name), vendor, store=MemoryStore(), clock=VirtualClock(),
            signer=SignedUrlSigner("x"), faults=faults,
        )  # fmt: skip
    return ErrorRenderer(runtimes)


def request(path: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""})


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (BadRequestProblem(detail="bad\n\nlong jsonschema dump"), 400, "INVALID_REQUEST"),
        (OAuthProblem(detail="no token"), 401, "UNAUTHORIZED"),
        (UnsupportedMediaTypeProblem(detail="text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (HTTPException(404), 404, "NOT_FOUND"),
        (HTTPException(405, headers={"Allow": "GET"}), 405, "METHOD_NOT_ALLOWED"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "x"), 400, "INVALID_REQUEST"),
        (RuntimeError("boom"), 500, "INTERNAL_ERROR"),
    ],
)  # fmt: skip
def test_exceptions_map_to_vendor_codes(renderer: ErrorRenderer, exc: Exception, status: int, code: str) -> None:
    error = renderer.to_vendor_error(exc, renderer.runtimes["hookbridge"])
    assert (error.status, error.code) == (status, code)
    assert "\n" not in error.message


def test_vendor_envelopes_and_media_types(renderer: ErrorRenderer) -> None:
    error = VendorError(404, "NOT_FOUND", "gone")
    problem = asyncio.run(renderer.handle(request("/curaeai/x"), error))
    assert problem.media_type == "application/problem+json"
    assert json.loads(bytes(problem.body))["status"] == 404
    hook = asyncio.run(renderer.handle(request("/hookbridge/x"), error))
    body = json.loads(bytes(hook.body))
    assert hook.media_type == "application/json"
    assert body["meta"]["request_id"] == hook.headers["x-request-id"]
    assert body["error"]["code"] == "NOT_FOUND"


def test_405_gets_the_spec_methods(renderer: ErrorRenderer) -> None:
    answer = asyncio.run(renderer.handle(request("/hookbridge/v1/exports/abc"), HTTPException(405)))
    assert answer.headers["allow"] == "GET, DELETE"


def test_error_envelope_fault(renderer: ErrorRenderer) -> None:
    renderer.runtimes["curaeai"].faults.set("curaeai", Fault(violation="error-envelope"))
    answer = asyncio.run(renderer.handle(request("/curaeai/x"), VendorError(404, "NOT_FOUND", "gone")))
    assert answer.media_type == "text/plain"


def test_control_and_storage_and_unknown_paths(renderer: ErrorRenderer) -> None:
    control = asyncio.run(renderer.handle(request("/_control/x"), ControlError(400, "BAD", "no")))
    assert json.loads(bytes(control.body)) == {"error": {"status": 400, "code": "BAD", "message": "no"}}
    missing = asyncio.run(renderer.handle(request("/_storage/gcs/b/k"), HTTPException(404)))
    assert missing.media_type == "application/xml"
    assert b"<Code>NoSuchKey</Code>" in bytes(missing.body)
    other = asyncio.run(renderer.handle(request("/elsewhere"), HTTPException(404)))
    assert json.loads(bytes(other.body))["error"]["status"] == 404


def test_storage_xml_is_escaped_per_provider() -> None:
    s3 = storage_xml(StorageError(403, "AccessDenied", "a<b"), provider="s3", resource="/r", request_id="req_1")
    assert b"<Message>a&lt;b</Message>" in bytes(s3.body)
    assert b"<RequestId>req_1</RequestId>" in bytes(s3.body)
    gcs = storage_xml(StorageError(403, "ExpiredToken", "late"), provider="gcs", resource="/r", request_id="x")
    assert b"<Code>ExpiredToken</Code>" in bytes(gcs.body)
    assert b"RequestId" not in bytes(gcs.body)
