"""``benchmarks.bare_app``: the baseline serves the recorded answers byte for byte."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from benchmarks.bare_app import create_bare_app
from benchmarks.payloads import Payload, load_payloads, save_payloads

RECORDED = [
    Payload.recorded(
        "/curaeai/exports/e1/download",
        200,
        {"Content-Type": "application/json", "Content-Length": "11", "Date": "x", "ETag": '"t"'},
        b'{"url":"u"}',
    ),
    Payload.recorded("/hookbridge/exports/h1/download", 302, {"Location": "http://127.0.0.1:1/s3/o"}, b""),
]


def get(path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_bare_app(RECORDED))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path, headers={"Authorization": "Bearer ignored"})

    return asyncio.run(call())


def test_recording_keeps_only_what_a_client_relies_on() -> None:
    assert RECORDED[0].headers == {"content-type": "application/json", "etag": '"t"'}


def test_serves_the_same_status_body_and_headers() -> None:
    response = get("/curaeai/exports/e1/download")
    assert (response.status_code, response.content) == (200, b'{"url":"u"}')
    assert response.headers["content-type"] == "application/json"
    assert response.headers["etag"] == '"t"'
    redirect = get("/hookbridge/exports/h1/download")
    assert (redirect.status_code, redirect.headers["location"]) == (302, "http://127.0.0.1:1/s3/o")


def test_anything_else_is_not_found() -> None:
    assert get("/curaeai/exports/other/download").status_code == 404
    assert get("/_bare/health").status_code == 200


def test_payloads_round_trip_through_their_file(tmp_path: Path) -> None:
    save_payloads(RECORDED, tmp_path / "p.json")
    assert load_payloads(tmp_path / "p.json") == RECORDED
