"""Each rule of the project lint, shown passing on a conforming spec and failing on a broken one."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from specs.lint import LintProblem, lint_spec, resolve

FIXTURE = Path(__file__).parent / "fixtures" / "minimal.yaml"
Spec = dict[str, Any]


@pytest.fixture
def spec() -> Spec:
    data: Spec = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return data


def rules(problems: list[LintProblem]) -> set[str]:
    return {p.rule for p in problems}


def test_conforming_spec_has_no_problems(spec: Spec) -> None:
    assert lint_spec(spec, "minimal") == []


def _drop_summary(s: Spec) -> None:
    del s["paths"]["/exports"]["post"]["summary"]


def _undeclared_tag(s: Spec) -> None:
    s["paths"]["/exports"]["post"]["tags"] = ["nowhere"]


def _bad_example(s: Spec) -> None:
    s["paths"]["/exports/{exportId}"]["get"]["responses"]["200"]["content"]["application/json"]["example"] = {
        "export": {"id": "not-a-uuid", "status": "READY"}
    }


def _missing_example(s: Spec) -> None:
    del s["paths"]["/exports"]["post"]["requestBody"]["content"]["application/json"]["example"]


def _wrong_error_media_type(s: Spec) -> None:
    r = s["paths"]["/exports/{exportId}/download"]["get"]["responses"]["409"]
    r["content"] = {"application/json": r["content"]["application/problem+json"]}


def _unpinned_code(s: Spec) -> None:
    del s["components"]["responses"]["NotFound"]["content"]["application/problem+json"]["schema"]["properties"]["code"][
        "enum"
    ]


def _status_not_pinned(s: Spec) -> None:
    s["components"]["responses"]["NotFound"]["content"]["application/problem+json"]["schema"]["properties"]["status"][
        "enum"
    ] = [400]


def _no_link(s: Spec) -> None:
    del s["paths"]["/exports/{exportId}"]["get"]["responses"]["200"]["links"]


def _no_local_server(s: Spec) -> None:
    s["servers"] = s["servers"][:1]


def _lifecycle_disagrees_with_enum(s: Spec) -> None:
    s["components"]["schemas"]["ExportStatus"]["enum"] = ["QUEUED", "READY", "FAILED", "EXPIRED"]


BREAKS: dict[str, tuple[Callable[[Spec], None], str]] = {
    "no summary": (_drop_summary, "operation-metadata"),
    "undeclared tag": (_undeclared_tag, "operation-metadata"),
    "invalid example": (_bad_example, "examples"),
    "missing example": (_missing_example, "examples"),
    "error media type": (_wrong_error_media_type, "error-envelope"),
    "unpinned error code": (_unpinned_code, "error-envelope"),
    "body status not the HTTP status": (_status_not_pinned, "error-envelope"),
    "no link to download": (_no_link, "links"),
    "no local server": (_no_local_server, "servers"),
    "lifecycle vs status enum": (_lifecycle_disagrees_with_enum, "lifecycle"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_rule_catches_its_break(spec: Spec, name: str) -> None:
    breaker, rule = BREAKS[name]
    broken = copy.deepcopy(spec)
    breaker(broken)
    problems = lint_spec(broken, "minimal")
    assert rule in rules(problems), f"{name}: expected a {rule!r} problem, got {problems}"
    assert all(str(p) for p in problems)


def test_resolve_follows_local_refs(spec: Spec) -> None:
    resolved = resolve(spec, {"$ref": "#/components/responses/NotFound"})
    assert resolved["description"].startswith("No such export")
