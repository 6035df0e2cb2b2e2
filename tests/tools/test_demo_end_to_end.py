"""``exportkit demo`` for real: the mock on a free port, the walk-through and the checker over HTTP."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from contract_tests.results import Outcome
from contract_tests.target import Target
from mockserver.testing import running_mock
from specs import API_NAMES, Lifecycle, load_spec
from tools.cli import main
from tools.reports import json as json_report
from tools.services import default_services
from tools.walkthrough import walk_lifecycle

pytestmark = pytest.mark.slow


def test_demo_walks_and_verifies_curaeai_against_the_mock(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    services = default_services()
    services = type(services)(**{**services.__dict__, "stdout": out, "stderr": err, "environ": {"CI": "true"}})
    code = main(["demo", "--api", "curaeai", "--max-examples", "2", "--report-dir", str(tmp_path)], services=services)
    text = out.getvalue()
    assert err.getvalue() == "", err.getvalue()
    assert code == 0, text
    for step in ("create", "poll", "download", "fetch"):
        assert f"  {step}" in text
    assert "sha256" in text
    run = json_report.load(tmp_path / "results.json")
    (api,) = run.apis
    assert api.api == "curaeai"
    assert api.observed_transitions  # the run saw the job move
    assert all(c.outcome is not Outcome.FAILED for c in api.checks)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.html", "results.json", "summary.md"]


@pytest.mark.parametrize("api", API_NAMES)
def test_walk_through_reaches_the_bytes_of_every_api(api: str) -> None:
    with running_mock([api], seed=3) as mock:
        out = io.StringIO()
        walk = walk_lifecycle(Target.from_url(mock.target_url(api)), out, seed=3)
    lifecycle = Lifecycle.from_spec(load_spec(api), api)
    assert walk.states[-1] == lifecycle.ready
    assert walk.byte_size > 0
    assert re.fullmatch(r"[0-9a-f]{64}", walk.sha256)
    assert "DIFFERS" not in out.getvalue()
