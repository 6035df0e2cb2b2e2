"""``tools.cli.main``: argument handling, exit statuses and one-line errors, with injected fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract_tests.results import Outcome, Run
from contract_tests.target import load_target
from specs import API_NAMES
from tests.tools.fakes import FAILING, UNREACHABLE, FakeWorld, TtyBuffer, services_for
from tests.tools.sample_runs import mixed_run
from tools.cli import main
from tools.reports import ALL_FORMATS, FORMATS

ALL_FILES = sorted(FORMATS[f].filename for f in ALL_FORMATS)


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


def verify_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["verify", "--api", "curaeai", "--base-url", "http://127.0.0.1:9", "--report-dir", str(tmp_path), *extra]


def test_conformant_run_exits_0_and_writes_every_report(tmp_path: Path) -> None:
    world = FakeWorld()
    services, out, err = services_for(world)
    assert main(verify_args(tmp_path, "--seed", "3", "--max-examples", "4"), services=services) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ALL_FILES
    assert err.getvalue() == ""
    assert world.targets == [{"api": "curaeai", "base_url": "http://127.0.0.1:9", "target": None}]
    assert world.verified[0]["seed"] == 3
    assert world.verified[0]["max_examples"] == 4
    text = out.getvalue()
    assert "Conformance summary" in text
    assert str(tmp_path / "report.html") in text
    assert "Result: conformant" in text


def test_contract_failure_exits_1(tmp_path: Path) -> None:
    world = FakeWorld(outcomes={"curaeai": FAILING})
    services, out, err = services_for(world)
    assert main(verify_args(tmp_path), services=services) == 1
    assert "curaeai url-expiry (critical)" in out.getvalue()
    assert err.getvalue() == ""


def test_unreachable_target_is_one_line_exit_2_and_still_reported(tmp_path: Path) -> None:
    world = FakeWorld(load_error=UNREACHABLE)
    services, _, err = services_for(world)
    assert main(verify_args(tmp_path), services=services) == 2
    line = one_error_line(err.getvalue())
    assert line.startswith("exportkit: error: curaeai: target unreachable at http://127.0.0.1:1")
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert Run.from_dict(saved).apis[0].tool_errors == [line.split("curaeai: ", 1)[1]]
    assert 'errors="1"' in (tmp_path / "junit.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_exception_is_one_line_unless_debug(tmp_path: Path, debug: bool) -> None:
    world = FakeWorld(verify_error=RuntimeError("boom\nsecond line"))
    services, _, err = services_for(world)
    args = (["--debug"] if debug else []) + verify_args(tmp_path)
    assert main(args, services=services) == 2
    if debug:
        assert "Traceback" in err.getvalue()
        assert err.getvalue().rstrip().endswith("exportkit: internal error: RuntimeError: boom second line")
    else:
        line = one_error_line(err.getvalue())
        assert (
            line
            == "exportkit: internal error: RuntimeError: boom second line (run again with --debug for the traceback)"
        )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "choose a command"),
        (["verify", "--api", "curaeai"], "--base-url URL or --target"),
        (["verify", "--base-url", "http://x"], "needs --api NAME"),
        (["verify", "--api", "all", "--base-url", "http://x"], "put {api} in --target or --base-url"),
        (["verify", "--api", "curaeai", "--base-url", "http://x", "--format", "pdf"], "unknown report format(s) pdf"),
        (["verify", "--api", "curaeai", "--base-url", "http://x", "--format", ","], "--format is empty"),
        (["verify", "--api", "curaeai", "--base-url", "http://x", "--max-examples", "0"], "must be 1 or more"),
        (["verify", "--api", "curaeai", "--base-url", "http://x", "--seed", "x"], "'x' is not a whole number"),
        (["verify", "--api", "curaeai", "--base-url", "http://x", "--colour"], "unrecognized arguments: --colour"),
        (["report"], "the following arguments are required: --from"),
        (["demo", "--api", "nosuch"], "unknown API(s) nosuch"),
        (["launch"], "invalid choice: 'launch'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], fragment: str) -> None:
    world = FakeWorld()
    services, _, err = services_for(world)
    assert main(args, services=services) == 2
    line = one_error_line(err.getvalue())
    assert line.startswith("exportkit: error: ")
    assert fragment in line
    assert world.verified == []


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    services, _, _ = services_for(FakeWorld())
    assert main(["--help"], services=services) == 0
    assert main(["verify", "--help"], services=services) == 0
    assert main(["--version"], services=services) == 0
    printed = capsys.readouterr().out
    assert "--report-dir" in printed
    assert "exportkit " in printed


def test_real_target_loader_errors_are_one_line(tmp_path: Path) -> None:
    """With the real ``load_target``: an unknown API and a broken target file both exit 2, one line."""
    world = FakeWorld()
    services, _, err = services_for(world)
    services = type(services)(**{**services.__dict__, "load_target": load_target})
    assert (
        main(["verify", "--api", "nosuch", "--base-url", "http://x", "--report-dir", str(tmp_path)], services=services)
        == 2
    )
    assert "unknown API 'nosuch'" in one_error_line(err.getvalue())
    broken = tmp_path / "target.yaml"
    broken.write_text("api: curaeai\nbase_url: [unclosed\n", encoding="utf-8")
    services, _, err = services_for(world)
    services = type(services)(**{**services.__dict__, "load_target": load_target})
    assert main(["verify", "--target", str(broken), "--report-dir", str(tmp_path)], services=services) == 2
    assert str(broken) in one_error_line(err.getvalue())
    assert world.verified == []


def test_api_all_fills_the_placeholder_for_each_api(tmp_path: Path) -> None:
    world = FakeWorld(outcomes={"spaaza": FAILING})
    services, _, _ = services_for(world)
    target = "http://127.0.0.1:9/_control/{api}/target"
    code = main(["verify", "--api", "all", "--target", target, "--report-dir", str(tmp_path)], services=services)
    assert code == 1
    assert [t["target"] for t in world.targets] == [target.replace("{api}", a) for a in API_NAMES]
    assert [t["api"] for t in world.targets] == list(API_NAMES)


def test_format_selects_the_reports(tmp_path: Path) -> None:
    services, _, _ = services_for(FakeWorld())
    assert main(verify_args(tmp_path, "--format", "junit, JSON"), services=services) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "results.json"]


def test_report_dir_that_is_a_file_is_refused_before_verifying(tmp_path: Path) -> None:
    world = FakeWorld()
    services, _, err = services_for(world)
    blocker = tmp_path / "file"
    blocker.write_text("keep me", encoding="utf-8")
    assert main(verify_args(blocker), services=services) == 2
    assert "cannot write reports to" in one_error_line(err.getvalue())
    assert blocker.read_text(encoding="utf-8") == "keep me"
    assert world.verified == []


def test_report_rebuilds_from_json_and_exits_as_the_run(tmp_path: Path) -> None:
    source = tmp_path / "in" / "results.json"
    source.parent.mkdir()
    source.write_text(json.dumps(mixed_run().to_dict()), encoding="utf-8")
    services, out, _ = services_for(FakeWorld())
    out_dir = tmp_path / "out"
    assert (
        main(["report", "--from", str(source), "--report-dir", str(out_dir), "--format", "html"], services=services)
        == 1
    )
    assert [p.name for p in out_dir.iterdir()] == ["report.html"]
    assert "hookbridge url-expiry" in out.getvalue()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "no such file"), ("{not json", "not JSON"), ('{"apis": [{"api": 1}]}', "not an exportkit JSON report")],
)
def test_report_from_a_bad_file_is_one_line(tmp_path: Path, content: str | None, fragment: str) -> None:
    source = tmp_path / "results.json"
    if content is not None:
        source.write_text(content, encoding="utf-8")
    services, _, err = services_for(FakeWorld())
    assert main(["report", "--from", str(source), "--report-dir", str(tmp_path / "out")], services=services) == 2
    assert fragment in one_error_line(err.getvalue())


def test_demo_walks_then_verifies_every_api(tmp_path: Path) -> None:
    world = FakeWorld()
    services, out, err = services_for(world)
    assert main(["demo", "--report-dir", str(tmp_path)], services=services) == 0
    assert world.mocks == [{"apis": list(API_NAMES), "port": 0, "seed": 0}]
    assert world.walks == list(API_NAMES)
    assert [t["target"] for t in world.targets[len(API_NAMES) :]] == [
        f"http://127.0.0.1:9/_control/{a}/target" for a in API_NAMES
    ]
    text = out.getvalue()
    assert text.index("walk-through") < text.index("== Conformance run ==") < text.index("Conformance summary")
    assert sorted(p.name for p in tmp_path.iterdir()) == ALL_FILES
    assert err.getvalue() == ""


def test_demo_exits_2_when_a_walk_through_fails(tmp_path: Path) -> None:
    world = FakeWorld(walk_error=UNREACHABLE)
    services, _, err = services_for(world)
    assert main(["demo", "--api", "curaeai", "--report-dir", str(tmp_path)], services=services) == 2
    assert one_error_line(err.getvalue()).startswith("exportkit: error: curaeai: target unreachable")
    assert len(world.verified) == 1


def test_serve_passes_the_mock_its_own_flags() -> None:
    world = FakeWorld()
    services, _, err = services_for(world)
    assert main(["serve", "--port", "9091"], services=services) == 0
    assert world.served[0].port == 9091
    assert main(["serve", "--port", "x"], services=services) == 2
    assert "argument --port" in one_error_line(err.getvalue())


def test_progress_is_live_on_a_terminal_and_plain_in_ci(tmp_path: Path) -> None:
    tty = TtyBuffer()
    services, _, _ = services_for(FakeWorld(), stdout=tty, environ={})
    assert main(verify_args(tmp_path), services=services) == 0
    assert "\r\x1b[K" in tty.getvalue()
    ci = TtyBuffer()
    services, _, _ = services_for(FakeWorld(), stdout=ci, environ={"CI": "true"})
    assert main(verify_args(tmp_path), services=services) == 0
    assert "\x1b" not in ci.getvalue()
    assert "  PASS  readiness-gate" in ci.getvalue()
    assert "  N/C   tenant-isolation" in ci.getvalue()


def test_failing_outcome_labels_reach_the_progress_lines(tmp_path: Path) -> None:
    services, out, _ = services_for(FakeWorld(outcomes={"curaeai": {"url-expiry": Outcome.FAILED}}))
    assert main(verify_args(tmp_path), services=services) == 1
    assert "  FAIL  url-expiry" in out.getvalue()
