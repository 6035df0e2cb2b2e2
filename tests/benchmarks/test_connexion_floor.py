"""``benchmarks.connexion_floor``: Connexion with do-nothing handlers still checks auth and input."""

from __future__ import annotations

import asyncio

import httpx

from benchmarks.connexion_floor import create_floor_app
from benchmarks.payloads import Payload

EXPORT_ID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
PATH = f"/curaeai/api/sdk/v1/records/exports/{EXPORT_ID}/download"
RECORDED = Payload.recorded(
    PATH,
    200,
    {"Content-Type": "application/json"},
    b'{"download":{}}',
    api="curaeai",
    operation_id="downloadRecordsExport",
)


def get(path: str, headers: dict[str, str]) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_floor_app([RECORDED]))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(call())


def test_serves_the_recorded_answer_to_any_well_formed_credential() -> None:
    response = get(PATH, {"Authorization": "Bearer whatever"})
    assert (response.status_code, response.content) == (200, b'{"download":{}}')


def test_security_and_validation_are_on() -> None:
    assert get(PATH, {}).status_code == 401
    malformed = get(PATH.replace(EXPORT_ID, "not-a-uuid"), {"Authorization": "Bearer whatever"})
    assert malformed.status_code == 400


def test_an_operation_without_a_recording_answers_501() -> None:
    response = get(f"/curaeai/api/sdk/v1/records/exports/{EXPORT_ID}", {"Authorization": "Bearer k"})
    assert (response.status_code, response.text) == (501, "not recorded")
