"""SQLite persistence across a restart, and the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import pytest

from mockserver.cli import add_serve_arguments, main
from mockserver.testing import running_mock
from tests.mockserver.conftest import client_for


def test_sqlite_restart_loses_nothing(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'mock.db'}"
    with running_mock(["hookbridge"], store=store, seed=3) as first:
        ready = first.provider_state("hookbridge", "completed")
        first.advance(30)
        with client_for(first, "hookbridge") as client:
            created = client.post("/v1/exports", json={"start_time": "2026-01-01T00:00:00Z",
                                                       "end_time": "2026-01-02T00:00:00Z"})  # fmt: skip
            listed = client.get("/v1/exports").json()["data"]
            before = {item["id"]: item for item in listed}
    assert created.status_code == 201
    with running_mock(["hookbridge"], store=store, seed=3) as second:
        assert httpx.get(second.url + "/_control/clock").json()["offsetSeconds"] >= 30
        with client_for(second, "hookbridge") as client:
            after = {item["id"]: item for item in client.get("/v1/exports").json()["data"]}
            assert set(after) == set(before) == {ready["id"], created.json()["data"]["id"]}
            assert after[ready["id"]] == before[ready["id"]]
            assert client.get(f"/v1/exports/{ready['id']}/download").status_code == 302


def test_serve_arguments_parse() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    args = parser.parse_args(["--api", "curaeai", "--api", "hookbridge", "--store", "sqlite:/tmp/x.db",
                              "--time-scale", "10", "--seed", "4", "--validate-responses", "--port", "0"])  # fmt: skip
    assert args.apis == ["curaeai", "hookbridge"]
    assert (args.time_scale, args.seed, args.validate_responses, args.port) == (10.0, 4, True, 0)


@pytest.mark.parametrize(
    "argv",
    [["--store", "redis:x"], ["--api", "nope"], ["--time-scale", "0"], ["--failure-rate", "2"]],
)
def test_bad_options_exit_2_with_a_message(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("exportkit serve: ")
