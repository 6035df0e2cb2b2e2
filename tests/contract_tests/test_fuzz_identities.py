"""Schemathesis' ``object_level_authorization`` in the checker: configured with two tenants, not covered with one.

The configuration tests need no server. The run tests use the fake server (``fake_server.py``),
which hands another tenant's export out when it breaks ``tenant-isolation``, and the real mock.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from schemathesis.wfc.escalation import escalating_provider

from contract_tests.client import HttpClient
from contract_tests.fuzz import SEVERITY, SchemathesisOptions, build_config, not_run_results, run_schemathesis
from contract_tests.fuzz_identities import (
    NO_SECOND_IDENTITY,
    NOTHING_REPLAYED,
    OBJECT_LEVEL_AUTHORIZATION,
    FuzzIdentities,
    fixture_pins,
    inapplicable,
    wfc_auth,
    wfc_document,
)
from contract_tests.results import CheckResult, Outcome, Severity
from contract_tests.session import Session
from contract_tests.target import Target
from mockserver.testing import running_mock
from specs import API_NAMES, Lifecycle, load_spec
from tests.contract_tests.conftest import FAKE_SPEC, FakeTarget
from tests.contract_tests.fake_server import CONNECTIONS, TOKENS

OLA_ID = f"schemathesis:{OBJECT_LEVEL_AUTHORIZATION}"
SEED = 20260521
# The owner's read comes from the stateful phase (create, then read the new job back by its link).
OLA_ONLY = SchemathesisOptions(max_examples=4, seed=SEED, checks=(OBJECT_LEVEL_AUTHORIZATION,), phases=("stateful",))
TOKEN_OF = {tenant: token for token, tenant in TOKENS.items()}


def fake_spec(*, deletable: bool = True) -> dict[str, Any]:
    """The fake API's spec; without ``deletable``, Schemathesis never deletes the job it is about to read back."""
    loaded: dict[str, Any] = yaml.safe_load(FAKE_SPEC.read_text(encoding="utf-8"))
    if not deletable:
        del loaded["paths"]["/exports/{exportId}"]["delete"]
        loaded["x-lifecycle"]["operations"]["delete"] = None
        del loaded["x-lifecycle"]["rules"]["deletedGone"]
    return loaded


def two_tenants(spec: dict[str, Any]) -> FuzzIdentities:
    """Both tenants of ``spec``'s API with a made-up credential for every security scheme."""
    schemes = spec["components"]["securitySchemes"]
    tenants = {t: {name: f"{t}-{name}" for name in schemes} for t in ("primary", "secondary")}
    return FuzzIdentities(tenants)


def fake_identities(*tenants: str) -> FuzzIdentities:
    return FuzzIdentities(
        {t: {"apiKey": TOKEN_OF[t]} for t in tenants}, fixtures={"connectionId": CONNECTIONS["primary"]}
    )


def result_of(results: list[CheckResult], check_id: str = OLA_ID) -> CheckResult:
    found = [r for r in results if r.check_id == check_id]
    assert len(found) == 1, [r.check_id for r in results]
    return found[0]


# --- configuration, no server -----------------------------------------------------------------


@pytest.mark.parametrize("api", API_NAMES)
def test_two_tenants_configure_the_user_and_both_peers(api: str) -> None:
    spec = load_spec(api)
    identities = two_tenants(spec)
    with wfc_auth(spec, identities) as wfc:
        assert wfc is not None
        raw = build_config("http://127.0.0.1:9/x", identities.tenants["primary"], spec, OLA_ONLY, wfc=wfc)
        assert raw["auth"] == {"wfc": {"path": wfc["path"], "user": "primary", "peers": ["primary", "secondary"]}}
        assert raw["checks"][OBJECT_LEVEL_AUTHORIZATION] == {"enabled": True}
        document = json.loads(Path(wfc["path"]).read_text(encoding="utf-8"))
        assert [user["name"] for user in document["auth"]] == ["primary", "secondary"]
        # Schemathesis itself accepts the configuration and loads every identity as a peer.
        schema = schemathesis.openapi.from_dict(copy.deepcopy(spec), config=schemathesis.Config.from_dict(raw))
        provider = escalating_provider(schema)
        assert provider is not None
        assert provider.peers == ("primary", "secondary")
    assert not Path(wfc["path"]).parent.exists(), "the WFC document outlives the run"


def test_credentials_become_the_headers_their_schemes_name() -> None:
    spec = load_spec("carevalidate")
    identities = FuzzIdentities(
        {
            "primary": {"cvApiKey": "cv_1", "accessToken": "jwt-1"},
            "secondary": {"cvApiKey": "cv_2", "accessToken": "j2"},
        }
    )
    users = {user["name"]: user["fixedHeaders"] for user in wfc_document(spec, identities)["auth"]}
    assert users["primary"] == [
        {"name": "cv-api-key", "value": "cv_1"},
        {"name": "Authorization", "value": "Bearer jwt-1"},
    ]
    assert "jwt-1" not in repr(identities)


@pytest.mark.parametrize(
    ("identities", "reason"),
    [
        (None, "no tenant identities were given"),
        (FuzzIdentities({"primary": {"apiKey": "k1"}}), NO_SECOND_IDENTITY),
        (FuzzIdentities({"primary": {"apiKey": "k1"}, "secondary": {}}), NO_SECOND_IDENTITY),
        (FuzzIdentities({"primary": {"apiKey": "k"}, "secondary": {"apiKey": "k"}}), "the same credentials"),
        (FuzzIdentities({"a": {"apiKey": "k1"}, "b": {"apiKey": "k2"}}), "'primary' that would send the requests"),
        (FuzzIdentities({"primary": {"apiKey": "k1"}, "secondary": {"nope": "k2"}}), "secondary.credentials.nope"),
    ],
    ids=["none", "one-tenant", "no-credentials", "same-credentials", "no-user", "unknown-scheme"],
)
def test_without_two_usable_identities_the_check_is_not_covered(identities: FuzzIdentities | None, reason: str) -> None:
    skipped = inapplicable(fake_spec(), (OBJECT_LEVEL_AUTHORIZATION, "not_a_server_error"), identities)
    assert reason in skipped[OBJECT_LEVEL_AUTHORIZATION]
    assert "not_a_server_error" not in skipped


def test_one_tenant_reports_not_covered_without_sending_a_request() -> None:
    unreachable = "http://127.0.0.1:9/fakeapi"  # nothing listens there: a request would fail the run
    results = run_schemathesis(
        fake_spec(), unreachable, {"apiKey": "k1"}, OLA_ONLY, api="fakeapi", identities=fake_identities("primary")
    )
    (result,) = results
    assert (result.check_id, result.outcome, result.reason) == (OLA_ID, Outcome.NOT_COVERED, NO_SECOND_IDENTITY)
    assert result.severity is Severity.CRITICAL


def test_fixtures_pin_the_create_request() -> None:
    assert fixture_pins(fake_spec(), {"connectionId": "c-1", "other": 1}) == {
        "createExport": {"body.connectionId": "c-1"}
    }
    pins = fixture_pins(load_spec("webadmit"), {"user_identity_id": 1, "export_id": 2})
    assert pins == {"createExportFile": {"path.user_identity_id": 1, "path.export_id": 2}}
    assert fixture_pins(fake_spec(), {}) == {}


# --- runs against a server --------------------------------------------------------------------


def test_a_target_that_hands_out_another_tenants_export_fails(
    fake: FakeTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.vendor.breaks = frozenset({"tenant-isolation"})
    monkeypatch.chdir(tmp_path)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    creds = {"apiKey": TOKEN_OF["primary"]}
    results = run_schemathesis(
        fake_spec(deletable=False),
        f"{fake.url}/fakeapi",
        creds,
        OLA_ONLY,
        api="fakeapi",
        identities=fake_identities("primary", "secondary"),
    )
    result = result_of(results)
    assert result.outcome is Outcome.FAILED, (result.outcome, result.reason)
    failure = result.failures[0]
    assert (failure.check_id, failure.severity) == (OLA_ID, SEVERITY[OBJECT_LEVEL_AUTHORIZATION])
    assert "`secondary` received" in failure.observed
    assert "# as secondary (peer)\ncurl -X GET -H 'Authorization: Bearer key-secondary-0002'" in failure.curl
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"], "the run wrote into the working directory"
    assert list(private_tmp.iterdir()) == [], "the WFC document was left behind"


def test_a_target_that_keeps_tenants_apart_passes_and_identities_come_from_the_session(fake: FakeTarget) -> None:
    target = fake.target()  # no tenants in the target: credentials come from its provider states
    spec = fake_spec(deletable=False)
    with HttpClient() as client:
        session = Session(target, spec, Lifecycle.from_spec(spec, "fakeapi"), client)
        identities = FuzzIdentities.from_session(session)
    assert identities.peers == ("primary", "secondary")
    assert identities.fixtures == {"connectionId": CONNECTIONS["primary"]}
    results = run_schemathesis(
        spec, target.base_url, identities.tenants["primary"], OLA_ONLY, api="fakeapi", identities=identities
    )
    result = result_of(results)
    assert result.outcome is Outcome.PASSED, (result.outcome, result.reason)
    assert result.cases > 0, "no read was replayed as the other tenant"


def test_the_mock_passes_on_every_api_and_fails_when_it_leaks() -> None:
    options = SchemathesisOptions(max_examples=5, seed=SEED, checks=(OBJECT_LEVEL_AUTHORIZATION,))
    with running_mock(time_scale=100) as mock:
        outcomes: dict[str, tuple[Outcome, int, str]] = {}
        for api in API_NAMES:
            target = Target.from_dict(mock.target(api))
            identities = FuzzIdentities(
                {name: tenant.credentials for name, tenant in target.tenants.items()},
                fixtures=target.tenants["primary"].fixtures,
            )
            primary = identities.tenants["primary"]
            result = result_of(
                run_schemathesis(load_spec(api), target.base_url, primary, options, api=api, identities=identities)
            )
            outcomes[api] = (result.outcome, result.cases, result.reason)
        assert all(o in (Outcome.PASSED, Outcome.NOT_COVERED) for o, _, _ in outcomes.values()), outcomes
        assert all(reason in ("", NOTHING_REPLAYED) for _, _, reason in outcomes.values()), outcomes
        assert any(o is Outcome.PASSED and cases > 0 for o, cases, _ in outcomes.values()), outcomes
        mock.set_fault("curaeai", violation="tenant-isolation")
        target = Target.from_dict(mock.target("curaeai"))
        identities = FuzzIdentities(
            {name: tenant.credentials for name, tenant in target.tenants.items()},
            fixtures=target.tenants["primary"].fixtures,
        )
        leaky = run_schemathesis(
            load_spec("curaeai"),
            target.base_url,
            identities.tenants["primary"],
            options,
            api="curaeai",
            identities=identities,
        )
        assert result_of(leaky).outcome is Outcome.FAILED, result_of(leaky).reason


def test_a_run_that_was_not_started_gives_its_own_reason() -> None:
    results = not_run_results(
        fake_spec(), OLA_ONLY, api="fakeapi", reason="not run: the target sent a body over the cap"
    )
    assert [(r.check_id, r.outcome, r.reason) for r in results] == [
        (OLA_ID, Outcome.NOT_COVERED, "not run: the target sent a body over the cap")
    ]
