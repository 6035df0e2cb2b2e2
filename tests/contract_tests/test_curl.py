"""Curl commands: shell-quoted so they survive any value, and they really reproduce the request."""

from __future__ import annotations

import shlex
import shutil
import subprocess

from hypothesis import given
from hypothesis import strategies as st

from contract_tests.client import HttpClient
from contract_tests.curl import render_curl
from tests.contract_tests.conftest import FakeTarget

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters="\x7f"), max_size=30)


@given(value=header_text, body=st.text(max_size=40), path=st.text("abc/ '\"$;", max_size=10))
def test_quoting_survives_any_value(value: str, body: str, path: str) -> None:
    url = f"https://x.test/{path}"
    words = shlex.split(render_curl("POST", url, [("X-Key", value)], body.encode()))
    assert words[:5] == ["curl", "-i", "-X", "POST", url]
    assert words[words.index("-H") + 1] == f"X-Key: {value}"
    if body:
        assert words[-2:] == ["--data-raw", body]


def test_get_has_no_method_flag_and_transport_headers_are_left_out() -> None:
    command = render_curl("GET", "http://h/a", [("Host", "h"), ("Authorization", "Bearer k")])
    assert command == "curl -i http://h/a -H 'Authorization: Bearer k'"


def test_binary_bodies_are_not_passed_off_as_text() -> None:
    assert "binary bytes, not shown" in render_curl("PUT", "http://h", [], b"\xff\x00")


def test_the_recorded_curl_reproduces_the_request(fake: FakeTarget) -> None:
    assert shutil.which("curl"), "curl is part of the test image"
    with HttpClient() as client:
        exchange = client.request(
            "POST",
            f"{fake.url}/fakeapi/exports",
            headers={"Authorization": "Bearer key-primary-0001", "Idempotency-Key": "it's-1"},
            json_body={"connectionId": "00000000-0000-4000-8000-000000000001"},
        )
    assert exchange.status == 202
    fake.vendor.idempotency.clear()  # the replay must create, as the recorded request did
    out = subprocess.run(
        ["sh", "-c", exchange.curl + " -s -o /dev/null -w '%{http_code}'"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert out.stdout == "202"
    assert len(fake.vendor.jobs) == 2
