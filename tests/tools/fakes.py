"""Small fakes of the checker and the mock, injected into ``tools.cli.main`` as ``Services``."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from contract_tests.errors import TargetUnreachable, ToolError
from contract_tests.results import ApiRun, Outcome
from specs.errors import SpecError
from tests.tools.sample_runs import api_run
from tools.errors import CliError
from tools.services import Services

PASSING = {"readiness-gate": Outcome.PASSED, "url-expiry": Outcome.PASSED, "tenant-isolation": Outcome.NOT_COVERED}
FAILING = {"readiness-gate": Outcome.PASSED, "url-expiry": Outcome.FAILED}


class TtyBuffer(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@dataclass
class FakeMock:
    """What ``running_mock`` yields: a URL and target URLs."""

    url: str = "http://127.0.0.1:9"

    def target_url(self, api: str) -> str:
        return f"{self.url}/_control/{api}/target"


@dataclass
class FakeWorld:
    """Records every call; ``outcomes`` decides each API's run; ``errors`` makes a step raise."""

    outcomes: dict[str, dict[str, Outcome]] = field(default_factory=dict)
    load_error: BaseException | None = None
    verify_error: BaseException | None = None
    walk_error: BaseException | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    verified: list[dict[str, Any]] = field(default_factory=list)
    mocks: list[dict[str, Any]] = field(default_factory=list)
    walks: list[str] = field(default_factory=list)
    served: list[argparse.Namespace] = field(default_factory=list)
    progress_events: list[Any] = field(default_factory=list)

    def load_target(self, *, api: str | None = None, base_url: str | None = None, target: str | None = None) -> Any:
        self.targets.append({"api": api, "base_url": base_url, "target": target})
        if self.load_error is not None:
            raise self.load_error
        name = api or (target or "").rsplit("/", 2)[-2]
        return {"api": name, "base_url": base_url or f"http://127.0.0.1:9/{name}"}

    def verify(self, target: Any, **kwargs: Any) -> ApiRun:
        self.verified.append({"target": target, **kwargs})
        if self.verify_error is not None:
            raise self.verify_error
        run = api_run(target["api"], self.outcomes.get(target["api"], PASSING))
        progress: Callable[[str], None] = kwargs["progress"]
        for check in run.checks:  # as contract_tests.runner tells it
            reason = f" ({check.reason})" if check.reason and check.outcome is not Outcome.PASSED else ""
            progress(f"{run.api}: {check.check_id}: {check.outcome.value}{reason}")
        return run

    @contextmanager
    def running_mock(self, apis: list[str] | None = None, **kwargs: Any) -> Iterator[FakeMock]:
        self.mocks.append({"apis": apis, **kwargs})
        yield FakeMock()

    def add_serve_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8080)

    def serve_from_args(self, args: argparse.Namespace) -> int:
        self.served.append(args)
        return 0

    def walkthrough(self, target: Any, out: TextIO, seed: int | None) -> object:
        self.walks.append(target["api"])
        if self.walk_error is not None:
            raise self.walk_error
        out.write(f"{target['api']}: walk-through\n")
        return None


def services_for(
    world: FakeWorld, *, stdout: TextIO | None = None, environ: dict[str, str] | None = None
) -> tuple[Services, io.StringIO, io.StringIO]:
    """``Services`` over ``world``, with captured stdout and stderr."""
    out = stdout if isinstance(stdout, io.StringIO) else io.StringIO()
    err = io.StringIO()
    services = Services(
        load_target=world.load_target,
        verify=world.verify,
        running_mock=world.running_mock,
        add_serve_arguments=world.add_serve_arguments,
        serve_from_args=world.serve_from_args,
        walkthrough=world.walkthrough,
        expected_errors=(ToolError, SpecError, CliError),
        stdout=out,
        stderr=err,
        environ=environ if environ is not None else {"CI": "true"},
    )
    return services, out, err


UNREACHABLE = TargetUnreachable("http://127.0.0.1:1", "ConnectError: [Errno 111] Connection refused")
