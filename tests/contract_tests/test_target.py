"""Target files, URLs and flags: good ones load, bad ones give one-line errors naming the member."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.errors import TargetError, TargetUnreachable, ToolError, UnknownApi
from contract_tests.target import Target, Tenant, load_target
from tests.contract_tests.conftest import FAKE_SPEC, FakeTarget

GOOD = """
api: curaeai
base_url: https://staging.example.com/
tenants:
  primary: {credentials: {platformApiKey: k1}, fixtures: {connectionId: c1}}
  secondary: {credentials: {platformApiKey: k2}}
provider_states_url: https://staging.example.com/_pact/provider-states
clock_url: https://staging.example.com/_control/clock
states:
  READY: {exportId: e1}
"""


def write(tmp_path: Path, text: str, name: str = "target.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_full_target_file_loads(tmp_path: Path) -> None:
    target = Target.from_path(write(tmp_path, GOOD))
    assert target.api == "curaeai"
    assert target.base_url == "https://staging.example.com"
    assert target.tenants["primary"] == Tenant({"platformApiKey": "k1"}, {"connectionId": "c1"})
    assert target.tenants["secondary"].fixtures == {}
    assert target.states == {"READY": {"exportId": "e1"}}
    assert target.clock_url == "https://staging.example.com/_control/clock"


def test_json_targets_load_too(tmp_path: Path) -> None:
    path = write(tmp_path, '{"api": "hookbridge", "base_url": "http://127.0.0.1:9/x"}', "t.json")
    assert Target.from_path(path).api == "hookbridge"


def test_flags_override_the_file(tmp_path: Path) -> None:
    target = load_target(base_url="http://127.0.0.1:8080/curaeai", target=write(tmp_path, GOOD))
    assert target.base_url == "http://127.0.0.1:8080/curaeai"
    assert target.tenants["primary"].credentials == {"platformApiKey": "k1"}


def test_flags_alone_are_a_target() -> None:
    target = load_target(api="webadmit", base_url="http://127.0.0.1:1/webadmit")
    assert (target.api, target.tenants, target.spec) == ("webadmit", {}, None)


def test_a_custom_spec_path_is_resolved_against_the_target_file(tmp_path: Path) -> None:
    (tmp_path / "my.yaml").write_text("openapi: 3.0.3\n", encoding="utf-8")
    target = load_target(target=write(tmp_path, "api: sixth\nbase_url: http://127.0.0.1:1\nspec: my.yaml\n"))
    assert target.spec == str((tmp_path / "my.yaml").resolve())


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("- just\n- a list\n", "must be a mapping"),
        ("api: [unclosed\n", "neither JSON nor valid YAML at line"),
        ("api: curaeai\nbase_url: http://h\ncredentials: {}\n", "unknown member(s) ['credentials']"),
        ("api: curaeai\nbase_url: ftp://h\n", "`base_url` must be an absolute http(s) URL"),
        ("api: curaeai\nbase_url: http://h\ntenants: [a]\n", "`tenants` must map tenant names"),
        (
            "api: curaeai\nbase_url: http://h\ntenants: {primary: {credentials: {k: 1}}}\n",
            "credentials.k must be a string",
        ),
        ("api: curaeai\nbase_url: http://h\ntenants: {primary: {creds: {}}}\n", "unknown member(s) ['creds']"),
        ("api: curaeai\nbase_url: http://h\nstates: {READY: e1}\n", "`states.READY` must be a non-empty mapping"),
        ("base_url: http://h\n", "no API given"),
        ("api: curaeai\n", "no base URL given"),
        ("api: 7\nbase_url: http://h\n", "`api` must be a non-empty string"),
    ],
)
def test_bad_target_files_give_one_line_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(TargetError) as caught:
        load_target(target=write(tmp_path, text))
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert message.startswith(str(tmp_path))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no such file"):
        load_target(target=str(tmp_path / "absent.yaml"))
    with pytest.raises(TargetError, match="is a directory"):
        load_target(target=str(tmp_path))
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TargetError, match="not UTF-8"):
        load_target(target=str(binary))


def test_unknown_api_and_conflicting_flags(tmp_path: Path) -> None:
    with pytest.raises(UnknownApi, match="unknown API 'nope'"):
        load_target(api="nope", base_url="http://127.0.0.1:1")
    with pytest.raises(TargetError, match="--api says 'hookbridge'"):
        load_target(api="hookbridge", target=write(tmp_path, GOOD))
    with pytest.raises(TargetError, match=r"`spec` .* is not a file"):
        load_target(target=write(tmp_path, f"api: x\nbase_url: http://h\nspec: {tmp_path}/none.yaml\n"))


def test_from_url_reads_a_served_target(fake: FakeTarget) -> None:
    # The fake serves YAML files as its storage would not; a plain text endpoint is enough here.
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from tests.contract_tests.servers import serving

    async def target(_: object) -> PlainTextResponse:
        return PlainTextResponse(f"api: fakeapi\nbase_url: {fake.url}/fakeapi\nspec: {FAKE_SPEC}\n")

    async def broken(_: object) -> PlainTextResponse:
        return PlainTextResponse("<html>oops</html>", 500)

    app = Starlette(routes=[Route("/target", target), Route("/broken", broken)])
    with serving(app) as url:
        assert Target.from_url(f"{url}/target").base_url == f"{fake.url}/fakeapi"
        assert load_target(target=f"{url}/target", base_url="http://other:1").base_url == "http://other:1"
        with pytest.raises(TargetError, match="answered HTTP 500"):
            Target.from_url(f"{url}/broken")


def test_an_unreachable_target_url_is_a_tool_error() -> None:
    with pytest.raises(TargetUnreachable) as caught:
        Target.from_url("http://127.0.0.1:9/_control/curaeai/target", timeout=2)
    assert isinstance(caught.value, ToolError)
    assert "\n" not in str(caught.value)
