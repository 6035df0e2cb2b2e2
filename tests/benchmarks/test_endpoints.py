"""``benchmarks.endpoints``: paths, auth headers and example values derived from the specs."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.endpoints import (
    example_endpoints,
    example_value,
    fill_path,
    find_operation,
    mock_endpoints,
    resolve,
    security_headers,
)
from specs import API_NAMES, load_spec

SPEC: dict[str, Any] = {
    "paths": {"/a/{id}": {"get": {"operationId": "getA"}}},
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "sid"},
            "ref": {"$ref": "#/components/securitySchemes/key"},
        },
        "schemas": {"Id": {"type": "integer", "minimum": 5}},
        "parameters": {"Id": {"name": "id", "in": "path", "schema": {"$ref": "#/components/schemas/Id"}}},
    },
}


def test_resolve_follows_local_references() -> None:
    assert resolve(SPEC, {"$ref": "#/components/parameters/Id"})["name"] == "id"
    with pytest.raises(ValueError, match="cannot follow"):
        resolve(SPEC, {"$ref": "other.yaml#/x"})


def test_fill_path_encodes_values_and_names_a_missing_one() -> None:
    assert fill_path("/t/{a}/f/{b}", {"a": 7, "b": "x y/z"}) == "/t/7/f/x%20y%2Fz"
    with pytest.raises(KeyError, match="'b'"):
        fill_path("/t/{a}/f/{b}", {"a": 7})


def test_find_operation() -> None:
    assert find_operation(SPEC, "getA")[:2] == ("GET", "/a/{id}")
    with pytest.raises(KeyError, match="nope"):
        find_operation(SPEC, "nope")


def test_security_headers_for_bearer_and_api_key_together() -> None:
    operation: dict[str, Any] = {"security": [{"bearer": [], "ref": []}]}
    headers = security_headers(SPEC, operation, {"bearer": "t0k", "ref": "k3y"})
    assert headers == {"Authorization": "Bearer t0k", "x-api-key": "k3y"}


def test_security_headers_refuse_what_a_header_cannot_carry() -> None:
    with pytest.raises(ValueError, match="not supported"):
        security_headers(SPEC, {"security": [{"cookie": []}]}, {"cookie": "c"})
    with pytest.raises(ValueError, match="no credential"):
        security_headers(SPEC, {"security": [{"bearer": []}]}, {})
    assert security_headers(SPEC, {"security": []}, {}) == {}


def test_example_value_falls_back_to_the_schema() -> None:
    assert example_value(SPEC, {"example": "e"}) == "e"
    assert example_value(SPEC, {"examples": {"one": {"value": 3}}}) == 3
    assert example_value(SPEC, resolve(SPEC, {"$ref": "#/components/parameters/Id"})) == 5
    assert example_value(SPEC, {"schema": {"type": "string", "format": "uuid"}}).count("-") == 4


def test_mock_endpoints_of_curaeai_from_a_provider_state() -> None:
    state = {"params": {"exportId": "e-1"}, "credentials": {"platformApiKey": "cae_test_k"}}
    download, status = mock_endpoints("curaeai", load_spec("curaeai"), state)
    assert download.path == "/curaeai/api/sdk/v1/records/exports/e-1/download"
    assert status.path == "/curaeai/api/sdk/v1/records/exports/e-1"
    assert download.headers == {"Authorization": "Bearer cae_test_k"}
    assert (download.expected_status, status.expected_status) == (200, 200)


def test_a_redirect_download_expects_302() -> None:
    state = {"params": {"id": "h-1"}, "credentials": {"apiKey": "hb_test_k"}}
    download, _ = mock_endpoints("hookbridge", load_spec("hookbridge"), state)
    assert download.expected_status == 302


@pytest.mark.parametrize("api", API_NAMES)
def test_every_spec_gives_prism_a_concrete_path_with_credentials(api: str) -> None:
    endpoints = example_endpoints(api, load_spec(api))
    assert [e.kind for e in endpoints] in (["download", "status"], ["download"])
    for endpoint in endpoints:
        assert "{" not in endpoint.path
        assert endpoint.path.startswith("/")
        assert endpoint.headers  # every API here is secured
        assert endpoint.expected_status is None


def test_one_operation_for_status_and_download_is_loaded_once() -> None:
    (only,) = example_endpoints("webadmit", load_spec("webadmit"))
    assert only.kind == "download"
    assert only.path == "/api/v1/exports/86446/export_files/74780"
    assert only.headers == {"x-api-key": "bench-apiKey"}
