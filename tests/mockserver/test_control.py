"""The control plane: health, target, provider states, clock, reset, faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.testing import MockHandle, running_mock
from tests.mockserver.conftest import client_for

EXPORTS = "/api/sdk/v1/records/exports"


@pytest.fixture(scope="module")
def mock_session() -> Iterator[MockHandle]:
    """Without response validation: injected violations must reach the client, not become 500s."""
    with running_mock(["curaeai", "hookbridge"], seed=7) as handle:
        yield handle


def test_health_and_target(mock: MockHandle) -> None:
    assert httpx.get(mock.url + "/_control/health").json() == {"status": "ok"}
    target = mock.target("curaeai")
    assert target["base_url"] == mock.base_url("curaeai")
    assert target["provider_states_url"] == mock.url + "/_control/curaeai/provider-states"
    assert target["clock_url"] == mock.url + "/_control/clock"
    primary, secondary = target["tenants"]["primary"], target["tenants"]["secondary"]
    assert primary["credentials"]["platformApiKey"].startswith("cae_test_")
    assert primary["credentials"] != secondary["credentials"]
    assert primary["fixtures"]["connectionId"] != secondary["fixtures"]["connectionId"]


def test_credentials_are_deterministic_from_the_seed(mock: MockHandle) -> None:
    with running_mock(["hookbridge"], seed=7) as same, running_mock(["hookbridge"], seed=8) as other:
        assert same.target("hookbridge")["tenants"] == mock.target("hookbridge")["tenants"]
        assert other.target("hookbridge")["tenants"] != mock.target("hookbridge")["tenants"]


def test_provider_state_answer_shape(mock: MockHandle) -> None:
    answer = mock.provider_state("curaeai", "READY", tenant="secondary")
    assert answer["state"] == "READY"
    assert answer["tenant"] == "secondary"
    assert answer["params"] == {"exportId": answer["id"]}
    assert answer["credentials"] == mock.target("curaeai")["tenants"]["secondary"]["credentials"]
    tenant_only = mock.provider_state("curaeai", "tenant")
    assert tenant_only["id"] is None
    assert tenant_only["fixtures"]["connectionId"]


def test_clock_advance_and_reset(mock: MockHandle) -> None:
    before = httpx.get(mock.url + "/_control/clock").json()
    assert before["offsetSeconds"] == 0
    assert mock.advance(90)["offsetSeconds"] == 90
    job = mock.provider_state("curaeai", "READY")
    mock.reset()
    assert httpx.get(mock.url + "/_control/clock").json()["offsetSeconds"] == 0
    with client_for(mock, "curaeai") as client:
        assert client.get(f"{EXPORTS}/{job['id']}").status_code == 404


def test_faults_get_put_delete(mock: MockHandle) -> None:
    assert mock.set_fault("curaeai", latency_ms=1, violation="auth") == {
        "latencyMs": 1,
        "errorRate": 0.0,
        "violation": "auth",
    }
    assert httpx.get(mock.url + "/_control/curaeai/faults").json()["violation"] == "auth"
    assert httpx.get(mock.url + "/_control/hookbridge/faults").json()["violation"] is None
    mock.clear_faults("curaeai")
    assert httpx.get(mock.url + "/_control/curaeai/faults").json()["violation"] is None


def test_error_rate_fault_answers_500_in_envelope(mock: MockHandle) -> None:
    mock.set_fault("curaeai", error_rate=1.0)
    job = mock.provider_state("curaeai", "READY")
    with client_for(mock, "curaeai") as client:
        answer = client.get(f"{EXPORTS}/{job['id']}")
    assert answer.status_code == 500
    assert answer.json()["code"] == "INTERNAL_ERROR"


def download_url(mock: MockHandle, job_id: str, tenant: str = "primary") -> httpx.Response:
    with client_for(mock, "curaeai", tenant) as client:
        return client.get(f"{EXPORTS}/{job_id}/download")


@pytest.mark.parametrize(
    "violation",
    ["readiness-gate", "ready-download", "artifact", "url-expiry", "url-tamper", "fresh-url", "tenant-isolation",
     "auth", "lifecycle"],
)  # fmt: skip
def test_each_violation_breaks_its_rule(mock: MockHandle, violation: str) -> None:
    mock.set_fault("curaeai", violation=violation)
    if violation == "readiness-gate":
        assert download_url(mock, mock.provider_state("curaeai", "RUNNING")["id"]).status_code == 200
    elif violation == "ready-download":
        download = download_url(mock, mock.provider_state("curaeai", "READY")["id"]).json()["download"]
        assert f"X-Amz-Expires={download['expiresInSeconds']}" not in download["url"]
    elif violation in ("artifact", "url-expiry", "url-tamper"):
        job = mock.provider_state("curaeai", "READY")
        answer = download_url(mock, job["id"]).json()
        url = answer["download"]["url"]
        if violation == "artifact":
            assert len(httpx.get(url).content) != int(answer["export"]["artifact"]["byteSize"])
        elif violation == "url-expiry":
            mock.advance(120)
            assert httpx.get(url).status_code == 200
        else:
            assert httpx.get(url[:-4] + "0000").status_code == 200
    elif violation == "fresh-url":
        job = mock.provider_state("curaeai", "READY")
        first = download_url(mock, job["id"]).json()["download"]["url"]
        mock.advance(5)
        assert download_url(mock, job["id"]).json()["download"]["url"] == first
    elif violation == "tenant-isolation":
        job = mock.provider_state("curaeai", "READY")
        assert download_url(mock, job["id"], "secondary").status_code == 200
    elif violation == "auth":
        answer = httpx.get(mock.base_url("curaeai") + EXPORTS + "/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                           headers={"Authorization": "Bearer wrong"})  # fmt: skip
        assert answer.status_code == 404
    else:
        job = mock.provider_state("curaeai", "READY")
        with client_for(mock, "curaeai") as client:
            states = [client.get(f"{EXPORTS}/{job['id']}").json()["export"]["status"] for _ in range(2)]
        assert states == ["READY", "RUNNING"]
