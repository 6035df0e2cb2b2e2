"""Bad input against a running server: Schemathesis' negative mode, coverage and fuzzing phases.

Schemathesis generates requests that break the spec (wrong types, missing members, bad
headers, unexpected methods, missing credentials) and sends them to the target with the
primary tenant's credentials. None of its own checks run, so no failure cuts an operation's
generation short; every recorded answer is judged afterwards by ``EnvelopeJudge``: no 5xx, and
every rejection in the vendor's envelope.

Schemathesis' ``max-examples`` is per operation and some operations cannot be broken in many
ways, so the run repeats the fuzzing phase with fresh seeds until ``cases`` requests were sent
(or ``max_rounds`` is reached, which the report shows as fewer cases than asked). The coverage
phase runs once, first, and its cases count towards ``cases``.

Generating negative cases costs far more CPU than the mock spends answering them (about 15 ms
against 4 ms a case), so ``fuzz_apis`` runs one API per worker process, as many as there are
cores, while the server keeps running where it is.

    >>> report = fuzz_api(load_spec("curaeai"), target, cases=2000, seed=1)   # doctest: +SKIP
    >>> report.cases >= 2000 and not report.findings                         # doctest: +SKIP
    True
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reliability.envelope import EnvelopeJudge
from reliability.errors import Finding, HarnessError
from reliability.recipes import HTTP_METHODS, Target
from specs import API_NAMES, load_spec

PACKAGE_PARENT = Path(__file__).resolve().parents[1]
MAX_FINDINGS = 25  # findings kept per API: enough to see the pattern, short enough to read


@dataclass
class FuzzReport:
    """What one API's negative run sent and what came back."""

    api: str
    cases: int = 0
    rounds: int = 0
    seconds: float = 0.0
    by_phase: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    no_response: int = 0
    accepted: int = 0  # 2xx/3xx answers to negative cases (e.g. an unknown query parameter): counted, not judged
    server_errors: int = 0
    envelope_violations: int = 0
    findings: list[Finding] = field(default_factory=list)
    engine_errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        """The figures for the README (plain JSON)."""
        return {
            "cases": self.cases,
            "rounds": self.rounds,
            "seconds": round(self.seconds, 1),
            "by_phase": dict(sorted(self.by_phase.items())),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "operations": len(self.by_operation),
            "no_response": self.no_response,
            "accepted": self.accepted,
            "server_errors": self.server_errors,
            "envelope_violations": self.envelope_violations,
            "engine_errors": self.engine_errors[:5],
        }

    def to_json(self) -> dict[str, Any]:
        """Figures and findings, for a worker to hand its report back."""
        return {
            **self.figures(),
            "api": self.api,
            "seconds": self.seconds,
            "engine_errors": self.engine_errors,
            "by_operation": dict(self.by_operation),
            "findings": [vars(f) for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FuzzReport:
        """The report ``to_json`` wrote (raises ``KeyError``/``TypeError``/``ValueError`` if it is not one)."""
        counters = {name: int(data[name]) for name in ("cases", "rounds", "no_response", "accepted",
                                                       "server_errors", "envelope_violations")}  # fmt: skip
        return cls(
            api=str(data["api"]),
            seconds=float(data["seconds"]),
            by_phase=Counter(data["by_phase"]),
            by_status=Counter({int(k): v for k, v in data["by_status"].items()}),
            by_operation=Counter(data["by_operation"]),
            findings=[Finding(**f) for f in data["findings"]],
            engine_errors=list(data["engine_errors"]),
            **counters,
        )

    def record(self, finding: Finding) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)


def schemathesis_config(
    spec: Mapping[str, Any], target: Target, *, max_examples: int, seed: int, coverage: bool
) -> dict[str, Any]:
    """The Schemathesis configuration (``schemathesis.toml`` shape) of one negative round:
    the coverage phase alone (``coverage=True``) or the fuzzing phase alone."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    auth: dict[str, Any] = {}
    for name, value in target.tenant("primary").credentials.items():
        scheme = schemes.get(name) or {}
        if scheme.get("type") == "http":
            auth[name] = {"bearer": value}
        elif scheme.get("type") == "apiKey":
            auth[name] = {"api_key": value}
    return {
        "base-url": target.base_url,
        "seed": seed,
        "workers": 1,
        "request-timeout": 30.0,
        "max-redirects": 0,
        "warnings": False,
        "suppress-health-check": ["all"],
        "generation": {"mode": "negative", "max-examples": max_examples, "database": "none", "deterministic": True},
        "checks": {"enabled": False},  # judged afterwards: a failing check would stop an operation early
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": coverage},
            "fuzzing": {"enabled": not coverage},
            "stateful": {"enabled": False},
        },
        "output": {"sanitization": {"enabled": False}},
        "auth": {"openapi": auth},
    }


def fuzz_api(spec: Mapping[str, Any], target: Target, *, cases: int, seed: int = 1, max_rounds: int = 6) -> FuzzReport:
    """Send at least ``cases`` negative requests to ``target`` and judge every answer."""
    report = FuzzReport(target.api)
    judge = EnvelopeJudge(spec, target.api)
    operations = sum(1 for item in (spec.get("paths") or {}).values() for key in item if key in HTTP_METHODS)
    started = time.monotonic()
    # Round 0 is the coverage phase alone (a fixed set of cases); fuzzing rounds then fill up to
    # `cases`, spread over the operations that still yield new cases (some run out early).
    productive = operations
    while report.cases < cases and report.rounds < max_rounds:
        coverage = report.rounds == 0
        remaining = cases - report.cases
        per_operation = max(1, math.ceil(remaining / max(productive, 1) * (1.0 if report.rounds <= 1 else 1.1)))
        config = schemathesis_config(
            spec, target, max_examples=per_operation, seed=seed + report.rounds, coverage=coverage
        )
        before = Counter(report.by_operation)
        sent = _run_round(spec, config, judge, report)
        report.rounds += 1
        if not coverage:
            productive = sum(1 for label, n in report.by_operation.items() if n - before[label] >= per_operation)
            if sent == 0:
                break
    report.seconds = time.monotonic() - started
    return report


def fuzz_apis(
    targets: Mapping[str, str], *, cases: int, seed: int = 1, workers: int | None = None
) -> dict[str, FuzzReport]:
    """``fuzz_api`` for every ``{api: target URL}``, one worker process per API, one per core at most.

    Each worker is ``python -m reliability.fuzz``, so the caller may run the mock in a thread of
    its own process (no fork of a threaded process, no re-import of the caller's main module).
    """
    limit = max(1, min(len(targets), workers or os.cpu_count() or 1))
    reports: dict[str, FuzzReport] = {}
    with tempfile.TemporaryDirectory(prefix="exportkit-fuzz-") as folder:
        pending = list(targets.items())
        running: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        try:
            while pending or running:
                while pending and len(running) < limit:
                    api, url = pending.pop(0)
                    out = Path(folder) / f"{api}.json"
                    options = ["--target", url, "--cases", str(cases), "--seed", str(seed), "--out", str(out)]
                    command = [sys.executable, "-m", "reliability.fuzz", *options]
                    log = (Path(folder) / f"{api}.log").open("wb")
                    # cwd: the folder that holds the reliability package, wherever the caller runs from
                    worker = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=PACKAGE_PARENT)
                    running[api] = (worker, out)
                    log.close()
                for api, (process, out) in list(running.items()):
                    if process.poll() is None:
                        continue
                    del running[api]
                    reports[api] = _read_report(api, out, process.returncode, Path(folder) / f"{api}.log")
                time.sleep(0.2)
        finally:
            for process, _ in running.values():
                process.kill()
                process.wait()
    return reports


def _read_report(api: str, out: Path, returncode: int, log: Path) -> FuzzReport:
    try:
        return FuzzReport.from_json(json.loads(out.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
        report = FuzzReport(api)
        report.engine_errors.append(f"the fuzz worker exited {returncode} without a report: {tail}")
        return report


def _run_round(spec: Mapping[str, Any], config: dict[str, Any], judge: EnvelopeJudge, report: FuzzReport) -> int:
    import schemathesis
    from schemathesis.engine import from_schema
    from schemathesis.engine.events import (
        EngineFinished,
        FatalError,
        FuzzScenarioFinished,
        NonFatalError,
        ScenarioFinished,
    )

    schema = schemathesis.openapi.from_dict(copy.deepcopy(dict(spec)), config=schemathesis.Config.from_dict(config))
    sent = 0
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished | FuzzScenarioFinished):
            phase = str(getattr(getattr(event, "phase", None), "value", None) or "fuzzing")
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                node = recorder.cases.get(case_id)
                template = str(node.value.operation.path) if node is not None else ""
                sent += 1
                _judge_one(judge, report, phase, recorder.label, template, interaction)
        elif isinstance(event, NonFatalError):
            report.engine_errors.append(f"{event.label}: {event.info.format()}".splitlines()[0][:300])
        elif isinstance(event, FatalError):
            report.engine_errors.append(f"Schemathesis stopped: {event.exception}".splitlines()[0][:300])
        elif isinstance(event, EngineFinished):
            break
    return sent


def _judge_one(
    judge: EnvelopeJudge, report: FuzzReport, phase: str, label: str, template: str, interaction: Any
) -> None:
    request, response = interaction.request, interaction.response
    report.cases += 1
    report.by_phase[phase] += 1
    report.by_operation[label] += 1
    where = f"{request.method} {request.uri}"[:300]
    if response is None:
        report.no_response += 1
        report.record(Finding("no-response", judge.api, where, "the connection failed (no HTTP answer)"))
        return
    status = int(response.status_code)
    report.by_status[status] += 1
    report.accepted += status < 400
    content_type = (response.headers.get("content-type") or [None])[0]  # Schemathesis lowercases names
    problems = judge.problems(str(request.method), template, status, content_type, bytes(response.content or b""))
    if not problems:
        return
    crashed = any(p.startswith("server error") for p in problems)
    report.server_errors += crashed
    report.envelope_violations += any(not p.startswith("server error") for p in problems)
    check = "server-error" if crashed else "envelope"
    report.record(Finding(check, judge.api, where, f"{status}: " + "; ".join(problems)))


def main(argv: list[str] | None = None) -> int:
    """``python -m reliability.fuzz --target URL|FILE --cases N --out FILE``: one API, report as JSON."""
    parser = argparse.ArgumentParser(prog="python -m reliability.fuzz", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--target", required=True, help="target description: URL (/_control/{api}/target) or file")
    parser.add_argument("--cases", type=int, default=2000, help="negative requests to send at least (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write the report here as JSON (default: print it)")
    args = parser.parse_args(argv)
    try:
        if "://" in args.target:
            target = Target.from_url(args.target)
        else:
            target = Target.from_dict(json.loads(Path(args.target).read_text(encoding="utf-8")), args.target)
    except (HarnessError, OSError, ValueError) as exc:
        print(f"reliability.fuzz: {exc}", file=sys.stderr)
        return 2
    if target.api not in API_NAMES:
        parser.error(f"unknown API {target.api!r}; known: {', '.join(API_NAMES)}")
    report = fuzz_api(load_spec(target.api), target, cases=args.cases, seed=args.seed)
    text = json.dumps(report.to_json(), indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0 if report.cases >= args.cases and not report.findings else 1


if __name__ == "__main__":
    raise SystemExit(main())
