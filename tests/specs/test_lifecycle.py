"""``Lifecycle.from_spec``: reads a valid extension, and names the member at fault otherwise."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from specs import Lifecycle, LifecycleError

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"


@pytest.fixture
def spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return data


def test_reads_the_extension(spec: dict[str, Any]) -> None:
    lc = Lifecycle.from_spec(spec, "minimal")
    assert lc.states == ("QUEUED", "READY", "FAILED")
    assert lc.ready == "READY"
    assert lc.download.refused["QUEUED"].status == 409
    assert lc.download.lifetime.seconds == 60
    assert lc.allows("QUEUED", "READY")
    assert lc.allows("READY", "READY")
    assert not lc.allows("READY", "QUEUED")


@pytest.mark.parametrize(
    ("member", "value", "named"),
    [
        ("initial", "NOWHERE", "initial"),
        ("path", ["READY", "QUEUED"], "path"),
        ("path", ["QUEUED", "FAILED", "READY"], "path"),
        ("terminal", ["QUEUED"], "terminal"),
        ("downloadable", ["READY", "GONE"], "downloadable"),
        ("states", ["QUEUED", "READY"], "terminal"),
        ("idType", "string", "idType"),
        ("resource", None, "resource"),
        ("operations", {"create": "createExport", "status": "getExport", "download": "nope"}, "operations.download"),
    ],
)
def test_inconsistency_names_the_member(spec: dict[str, Any], member: str, value: Any, named: str) -> None:
    broken = copy.deepcopy(spec)
    broken["x-lifecycle"][member] = value
    with pytest.raises(LifecycleError) as info:
        Lifecycle.from_spec(broken, "minimal")
    assert info.value.member == named, str(info.value)
    assert str(info.value).startswith("minimal: x-lifecycle.")


def test_missing_refusal_is_reported(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    del broken["x-lifecycle"]["download"]["refused"]["FAILED"]
    with pytest.raises(LifecycleError, match="FAILED"):
        Lifecycle.from_spec(broken, "minimal")


def test_states_must_equal_the_status_enum(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    broken["components"]["schemas"]["ExportStatus"]["enum"] = ["READY", "QUEUED", "FAILED"]
    with pytest.raises(LifecycleError, match="enum of ExportStatus"):
        Lifecycle.from_spec(broken, "minimal")


def test_lifetime_bounds(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    broken["x-lifecycle"]["download"]["lifetime"] = {"seconds": 100, "min": 30, "max": 90}
    with pytest.raises(LifecycleError, match="lifetime"):
        Lifecycle.from_spec(broken, "minimal")


def test_no_extension(spec: dict[str, Any]) -> None:
    del spec["x-lifecycle"]
    with pytest.raises(LifecycleError, match="no x-lifecycle"):
        Lifecycle.from_spec(spec, "minimal")
