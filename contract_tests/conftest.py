"""The pytest front end: ``pytest contract_tests --api curaeai --base-url URL [--target FILE|URL]``.

Options describe the target (flags over the target file, as ``load_target`` merges them), the
Schemathesis effort (``--max-examples``, ``--seed``) and optionally which checks to run. The
whole conformance run happens once per session; each check is then one test: failed checks fail
with their records, not-covered checks are skipped with the reason.
"""

from __future__ import annotations

import pytest

from contract_tests.client import DEFAULT_TIMEOUT_S
from contract_tests.errors import ToolError
from contract_tests.results import ApiRun
from contract_tests.runner import verify
from contract_tests.target import load_target


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("exportkit", "exportkit contract tests")
    group.addoption("--api", default=None, help="API name (a spec in specs/), e.g. curaeai")
    group.addoption("--base-url", default=None, help="base URL the spec's paths are appended to")
    group.addoption("--target", default=None, help="target file (YAML/JSON) or http(s) URL serving one")
    group.addoption("--max-examples", type=int, default=10, help="Schemathesis cases per operation (default 10)")
    group.addoption("--seed", type=int, default=None, help="seed for generated data and unknown ids")
    group.addoption("--checks", default=None, help="comma-separated check ids to run (default: all)")
    group.addoption(
        "--request-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds to connect and for each read of a request to the target (default {DEFAULT_TIMEOUT_S:g})",
    )


def _options_given(config: pytest.Config) -> bool:
    return any(config.getoption(name) for name in ("--api", "--base-url", "--target"))


@pytest.fixture(scope="session")
def contract_run(request: pytest.FixtureRequest) -> ApiRun:
    """One conformance run of the target named by the options, shared by every check test."""
    config = request.config
    if not _options_given(config):
        pytest.skip("no target: pass --api and --base-url, or --target")
    checks = config.getoption("--checks")
    timeout = config.getoption("--request-timeout")
    try:
        target = load_target(
            api=config.getoption("--api"),
            base_url=config.getoption("--base-url"),
            target=config.getoption("--target"),
            timeout=timeout,
        )
        return verify(
            target,
            max_examples=config.getoption("--max-examples"),
            seed=config.getoption("--seed"),
            checks=[c.strip() for c in checks.split(",") if c.strip()] if checks else None,
            timeout=timeout,
        )
    except ToolError as exc:
        # A tool error is not the target's fault; it still must not look like a pass.
        pytest.fail(f"tool error: {exc}", pytrace=False)
