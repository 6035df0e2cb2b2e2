"""The derived Schemathesis configuration (``derive.py``), without a server: fast, and exact."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from schemathesis.checks import DEFAULT_MAX_RESPONSE_TIME
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import _BUILTIN_CHECK_NAMES, POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.core.result import Ok

from specs import API_NAMES, load_spec, spec_path
from tests.mockserver.schemathesis.derive import (
    AUTH_FILE,
    EXCLUSIONS,
    POSITIVE_DATA_ACCEPTANCE_DEFAULT,
    DerivationError,
    derive_config,
    main,
)
from tests.mockserver.schemathesis.toml_writer import to_toml

README = Path(__file__).parent / "README.md"
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def fake_target(**tenants: dict[str, Any]) -> dict[str, Any]:
    return {"api": "carevalidate", "tenants": tenants}


def target_for(api: str) -> dict[str, Any]:
    """Two tenants with a credential for every security scheme of ``api``'s spec."""
    schemes = load_spec(api)["components"]["securitySchemes"]
    tenants = {t: {"credentials": {name: f"{t}-{name}" for name in schemes}} for t in ("primary", "secondary")}
    return {"api": api, "tenants": tenants}


def carevalidate_tenant(case_id: str = "c1") -> dict[str, Any]:
    return {"credentials": {"cvApiKey": "cv_test_1", "accessToken": "jwt-1"}, "fixtures": {"caseId": case_id}}


def override(config: Mapping[str, Any], operation_id: str) -> dict[str, Any]:
    found = [e for e in config.get("operations", []) if e["include-operation-id"] == operation_id]
    assert len(found) == 1, f"expected one [[operations]] entry for {operation_id}: {config.get('operations')}"
    entry: dict[str, Any] = found[0]
    return entry


def test_both_carevalidate_credentials_become_headers_of_every_tenant() -> None:
    target = fake_target(primary=carevalidate_tenant(), secondary=carevalidate_tenant("c2"))
    derived = derive_config(load_spec("carevalidate"), target)
    headers = {user["name"]: user["fixedHeaders"] for user in derived.users["auth"]}
    assert headers["primary"] == [
        {"name": "cv-api-key", "value": "cv_test_1"},
        {"name": "Authorization", "value": "Bearer jwt-1"},
    ]
    assert derived.config["auth"]["wfc"] == {"user": "primary", "peers": ["primary", "secondary"]}
    assert "cv_test_1" not in repr(derived)


@pytest.mark.parametrize(
    ("api", "tenant", "operation_id", "pins"),
    [
        ("curaeai", {"platformApiKey": "k"}, "createRecordsExport", {"body.connectionId": "conn-1"}),
        ("spaaza", {"accessToken": "id:secret"}, "createTask", {"body.chain": 2476}),
        (
            "webadmit",
            {"apiKey": "k"},
            "createExportFile",
            {"path.user_identity_id": 842091, "path.export_id": 853998},
        ),
    ],
)
def test_fixtures_named_like_create_inputs_are_pinned(
    api: str, tenant: dict[str, str], operation_id: str, pins: dict[str, Any]
) -> None:
    fixtures = {"connectionId": "conn-1", "chain": 2476, "user_identity_id": 842091, "export_id": 853998}
    target = {"api": api, "tenants": {"primary": {"credentials": tenant, "fixtures": fixtures}}}
    assert override(derive_config(load_spec(api), target).config, operation_id)["parameters"] == pins


def test_a_single_tenant_has_no_peers() -> None:
    target = {"api": "curaeai", "tenants": {"primary": {"credentials": {"platformApiKey": "k"}}}}
    assert derive_config(load_spec("curaeai"), target).config["auth"]["wfc"] == {"user": "primary"}


def test_a_fixture_that_is_no_create_input_is_not_pinned() -> None:
    target = {
        "api": "hookbridge",
        "tenants": {"primary": {"credentials": {"apiKey": "k"}, "fixtures": {"project_id": "p"}}},
    }
    entries = derive_config(load_spec("hookbridge"), target).config["operations"]
    assert all("parameters" not in entry for entry in entries)


def test_schema_valid_rejections_extend_the_default_expected_statuses() -> None:
    config = derive_config(load_spec("hookbridge"), target_for("hookbridge")).config
    for operation_id in ("createExport", "listExports"):
        checks = override(config, operation_id)["checks"]
        assert checks["positive_data_acceptance"]["expected-statuses"] == [*POSITIVE_DATA_ACCEPTANCE_DEFAULT, "400"]


def test_the_repeated_default_is_schemathesis_own() -> None:
    assert list(POSITIVE_DATA_ACCEPTANCE_DEFAULT) == POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES


def test_each_exclusion_is_applied_and_explained_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for exclusion in EXCLUSIONS:
        config = derive_config(load_spec(exclusion.api), target_for(exclusion.api)).config
        assert override(config, exclusion.operation_id)["checks"][exclusion.check] == {"enabled": False}
        assert f"`{exclusion.operation_id}`" in readme, exclusion
        assert f"`{exclusion.check}`" in readme, exclusion


@pytest.mark.parametrize("api", API_NAMES)
def test_the_derived_checks_are_those_of_checks_all_less_the_exclusions(api: str, tmp_path: Path) -> None:
    path = derive_config(load_spec(api), target_for(api)).write(tmp_path)
    derived = schemathesis.openapi.from_path(spec_path(api), config=SchemathesisConfig.from_path(path))
    flagged = SchemathesisConfig.from_path(path)
    flagged.projects.override.checks.update(included_check_names=["all"])  # what `--checks all` does
    reference = schemathesis.openapi.from_path(spec_path(api), config=flagged)
    excluded = {(e.operation_id, e.check) for e in EXCLUSIONS if e.api == api}
    for result in derived.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operation_id = operation.definition.raw["operationId"]
        for phase in PHASES:
            ours = derived.config.checks_config_for(operation=operation, phase=phase)
            theirs = reference.config.checks_config_for(operation=operation, phase=phase)
            for name in sorted(_BUILTIN_CHECK_NAMES):
                expected = theirs.get_by_name(name=name).enabled and (operation_id, name) not in excluded
                assert ours.get_by_name(name=name).enabled == expected, (operation_id, phase, name)
            assert ours.max_response_time.limit == DEFAULT_MAX_RESPONSE_TIME


def test_the_written_config_loads_in_schemathesis(tmp_path: Path) -> None:
    target = fake_target(primary=carevalidate_tenant(), secondary=carevalidate_tenant("c2"))
    path = derive_config(load_spec("carevalidate"), target).write(tmp_path)
    SchemathesisConfig.from_path(path)
    users = json.loads((tmp_path / AUTH_FILE).read_text(encoding="utf-8"))
    assert [user["name"] for user in users["auth"]] == ["primary", "secondary"]
    assert tomllib.loads(path.read_text(encoding="utf-8"))["auth"]["wfc"]["path"] == str(tmp_path / AUTH_FILE)


@pytest.mark.parametrize(
    ("tenants", "member"),
    [
        ({}, "tenants"),
        ({"secondary": carevalidate_tenant()}, "tenants"),
        ({"primary": {"credentials": {"cvApiKey": "k"}}}, "tenants.primary.credentials"),
        ({"primary": {"credentials": {"nope": "k", **carevalidate_tenant()["credentials"]}}}, "credentials.nope"),
        ({"primary": {"credentials": {"cvApiKey": "", "accessToken": "t"}}}, "credentials.cvApiKey"),
        ({"primary": {"fixtures": {}}}, "tenants.primary.credentials"),
        ({"primary": {**carevalidate_tenant(), "fixtures": ["caseId"]}}, "tenants.primary.fixtures"),
    ],
    ids=["no-tenant", "no-primary", "missing-bearer", "unknown-scheme", "empty-key", "no-credentials", "bad-fixtures"],
)
def test_bad_targets_get_a_clear_error(tenants: dict[str, Any], member: str) -> None:
    with pytest.raises(DerivationError) as raised:
        derive_config(load_spec("carevalidate"), fake_target(**tenants))
    assert member in raised.value.member
    assert str(raised.value).startswith("carevalidate: ")


def test_a_scheme_that_cannot_be_a_header_is_refused() -> None:
    spec = dict(load_spec("webadmit"))
    spec["components"] = {"securitySchemes": {"apiKey": {"type": "apiKey", "in": "query", "name": "key"}}}
    target = {"api": "webadmit", "tenants": {"primary": {"credentials": {"apiKey": "k"}}}}
    with pytest.raises(DerivationError, match=r"components\.securitySchemes\.apiKey"):
        derive_config(spec, target)


def test_the_toml_writer_round_trips() -> None:
    document = {
        "seed": 3,
        "auth": {"wfc": {"path": "/tmp/a b.json", "peers": ["p", "s"]}},
        "operations": [
            {"include-operation-id": "x", "parameters": {"body.a": 'q"uo\\te\n\x7f\x01tab\t', "path.n": 1.5}},
            {"include-operation-id": "y", "checks": {"ignored_auth": {"enabled": False}}},
        ],
    }
    assert tomllib.loads(to_toml(document)) == document
    with pytest.raises(TypeError):
        to_toml({"x": float("nan")})


def test_main_writes_the_config_from_a_target_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump(fake_target(primary=carevalidate_tenant())), encoding="utf-8")
    assert main(["--target", str(target), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out" / "schemathesis.toml")


def test_main_refuses_a_bad_target_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "target.json"
    target.write_text(json.dumps({"api": "nosuchapi", "tenants": {}}), encoding="utf-8")
    assert main(["--target", str(target), "--out", str(tmp_path / "out")]) == 2
    assert "nosuchapi" in capsys.readouterr().err
    assert main(["--target", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
