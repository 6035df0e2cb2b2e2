"""The JUnit and JSON writers: valid XML with the right counts; JSON that round-trips."""

from __future__ import annotations

import json as std_json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from contract_tests.results import Run
from tests.tools.sample_runs import HOSTILE, hostile_run, mixed_run
from tools.errors import ReportInputError
from tools.reports import json as json_report
from tools.reports import junit


def test_junit_has_a_suite_per_api_and_a_case_per_check() -> None:
    root = ET.fromstring(junit.render(mixed_run()).encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("9", "1", "1", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["curaeai", "hookbridge"]
    hook = suites["hookbridge"]
    assert (hook.get("tests"), hook.get("failures"), hook.get("errors"), hook.get("skipped")) == ("5", "1", "1", "0")
    cases = {c.get("name"): c for c in hook.iter("testcase")}
    failure = cases["url-expiry"].find("failure")
    assert failure is not None
    assert failure.get("message") == "the URL was still accepted"
    assert "expected: 403 from the object store" in (failure.text or "")
    assert "observed: 200 with 1234 bytes" in (failure.text or "")
    assert "curl -sS -i" in (failure.text or "")
    assert cases["error-envelope"].find("error") is not None
    skipped = suites["curaeai"].find("testcase[@name='tenant-isolation']/skipped")
    assert skipped is not None
    assert skipped.get("message") == "not covered: no second tenant in the target file"
    assert cases["readiness-gate"].find("*") is None  # a pass has no child


def test_junit_survives_hostile_text_and_reports_a_stopped_run() -> None:
    root = ET.fromstring(junit.render(hostile_run()).encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("errors") == "1"
    run_case = suite.find("testcase[@name='(run)']/error")
    assert run_case is not None
    # markup survives as text; the control characters XML cannot carry are replaced
    assert "<script>alert('x')</script>" in (run_case.get("message") or "")
    assert "\x00" not in (run_case.get("message") or "")


def test_json_round_trips_and_is_stable(tmp_path: Path) -> None:
    run = mixed_run()
    text = json_report.render(run)
    assert Run.from_dict(std_json.loads(text)) == run
    assert json_report.render(Run.from_dict(std_json.loads(text))) == text
    data = std_json.loads(text)
    assert [a["score"] for a in data["apis"]] == [100.0, 71.4]
    path = json_report.write(run, tmp_path / "results.json")
    assert json_report.load(path) == run


def test_json_keeps_hostile_text_exactly() -> None:
    run = hostile_run()
    back = json_report.parse(json_report.render(run))
    assert back.apis[0].checks[0].failures[0].message == HOSTILE
    assert back == run


def test_json_load_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{"apis": "nope"}', encoding="utf-8")
    with pytest.raises(ReportInputError, match="no 'apis' list"):
        json_report.load(path)
    with pytest.raises(ReportInputError, match="no such file"):
        json_report.load(tmp_path / "missing.json")


def test_write_replaces_a_report_whole(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("old", encoding="utf-8")
    json_report.write(mixed_run(), path)
    assert json_report.load(path) == mixed_run()
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left
