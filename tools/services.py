"""What the command line uses from the layers below, gathered so tests can inject fakes.

``default_services()`` imports the real ones lazily: ``exportkit report`` never loads the mock
or Schemathesis, and a test hands ``main`` a ``Services`` made of small fakes instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, TextIO

from contract_tests.results import ApiRun


@dataclass(frozen=True)
class Services:
    """The command line's collaborators.

    Args:
        load_target: ``contract_tests.target.load_target(*, api, base_url, target) -> Target``.
        verify: ``contract_tests.runner.verify(target, *, max_examples, seed, checks, progress) -> ApiRun``.
        running_mock: ``mockserver.testing.running_mock(apis, *, port, seed, ...)``, a context manager
            yielding a handle with ``url`` and ``target_url(api)``.
        add_serve_arguments: adds the mock's flags to the ``serve`` parser.
        serve_from_args: runs the mock until interrupted; returns the exit status.
        walkthrough: prints one API's lifecycle walk-through: ``(target, out, seed) -> object``.
        expected_errors: exception types that are the user's or the target's problem: printed as
            one line, exit 2, never a traceback.
    """

    load_target: Callable[..., Any]
    verify: Callable[..., ApiRun]
    running_mock: Callable[..., AbstractContextManager[Any]]
    add_serve_arguments: Callable[[argparse.ArgumentParser], None]
    serve_from_args: Callable[[argparse.Namespace], int]
    walkthrough: Callable[[Any, TextIO, int | None], object]
    expected_errors: tuple[type[BaseException], ...] = ()
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def _load_target(**kwargs: Any) -> Any:
    from contract_tests.target import load_target

    return load_target(**kwargs)


def _verify(target: Any, **kwargs: Any) -> ApiRun:
    from contract_tests.runner import verify

    return verify(target, **kwargs)


def _running_mock(*args: Any, **kwargs: Any) -> AbstractContextManager[Any]:
    from mockserver.testing import running_mock

    return running_mock(*args, **kwargs)


def _add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    from mockserver.cli import add_serve_arguments

    add_serve_arguments(parser)


def _serve_from_args(args: argparse.Namespace) -> int:
    from mockserver.cli import serve_from_args

    return serve_from_args(args)


def _walkthrough(target: Any, out: TextIO, seed: int | None) -> object:
    from tools.walkthrough import walk_lifecycle

    return walk_lifecycle(target, out, seed=seed)


def default_services() -> Services:
    """The real collaborators: the checker, the mock, and the walk-through over HTTP."""
    from contract_tests.errors import ToolError
    from mockserver.errors import MockError
    from specs.errors import SpecError
    from tools.errors import CliError

    return Services(
        load_target=_load_target,
        verify=_verify,
        running_mock=_running_mock,
        add_serve_arguments=_add_serve_arguments,
        serve_from_args=_serve_from_args,
        walkthrough=_walkthrough,
        expected_errors=(ToolError, SpecError, CliError, MockError),
    )
