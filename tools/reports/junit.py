"""The JUnit XML report, for CI test-report views: a testsuite per API, a testcase per check.

failed -> ``<failure>`` (message, expected, observed, curl); not covered -> ``<skipped
message=reason>``; tool error -> ``<error>``. A tool error that stopped an API's whole run is one
more testcase, ``(run)``, with an ``<error>``, so CI shows it instead of an empty suite.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from contract_tests.results import ApiRun, CheckResult, FailureRecord, Outcome, Run
from tools.reports.common import count, format_score, write_atomic, xml_safe

FILENAME = "junit.xml"
RUN_CASE = "(run)"


def _element(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text:
        child.text = xml_safe(text)
    return child


def _failure_text(failure: FailureRecord) -> str:
    lines = [failure.message, "", f"expected: {failure.expected}", f"observed: {failure.observed}"]
    if failure.operation:
        lines.append(f"operation: {failure.operation}")
    if failure.spec_clause:
        lines.append(f"spec: {failure.spec_clause}")
    if failure.curl:
        lines += ["", "reproduce:", failure.curl]
    return "\n".join(lines)


def _testcase(suite: ET.Element, api: ApiRun, check: CheckResult) -> None:
    case = _element(
        suite,
        "testcase",
        classname=f"exportkit.{api.api}",
        name=check.check_id,
        time=f"{check.duration_s:.3f}",
    )
    if check.outcome is Outcome.FAILED:
        first = check.failures[0] if check.failures else None
        message = check.reason or (first.message if first else "contract failure")
        text = "\n\n----\n\n".join(_failure_text(f) for f in check.failures) or message
        _element(case, "failure", text, message=message, type=f"{check.severity.value} contract failure")
    elif check.outcome is Outcome.NOT_COVERED:
        _element(case, "skipped", message=f"not covered: {check.reason or 'no reason given'}")
    elif check.outcome is Outcome.ERROR:
        _element(case, "error", check.reason, message=check.reason or "the tool could not finish", type="tool error")


def _testsuite(root: ET.Element, api: ApiRun) -> tuple[int, int, int, int]:
    counts = count(api)
    tests = counts.total
    suite = _element(
        root,
        "testsuite",
        name=api.api,
        tests=str(tests),
        failures=str(counts.failed),
        errors=str(counts.errors),
        skipped=str(counts.not_covered),
        time=f"{api.duration_s:.3f}",
        **({"timestamp": api.started_at} if api.started_at else {}),  # an empty one is not a valid dateTime
    )
    props = _element(suite, "properties")
    _element(props, "property", name="base_url", value=api.base_url)
    _element(props, "property", name="score", value=format_score(api.score))
    for check in api.checks:
        _testcase(suite, api, check)
    for problem in api.tool_errors:
        case = _element(suite, "testcase", classname=f"exportkit.{api.api}", name=RUN_CASE, time="0")
        _element(case, "error", problem, message=problem, type="tool error")
    return tests, counts.failed, counts.errors, counts.not_covered


def render(run: Run) -> str:
    """The run as a JUnit XML document (``<testsuites>`` root), UTF-8, with a declaration."""
    root = ET.Element("testsuites", {"name": run.tool or "exportkit"})
    totals = [0, 0, 0, 0]
    for api in run.apis:
        for i, n in enumerate(_testsuite(root, api)):
            totals[i] += n
    for attr, n in zip(("tests", "failures", "errors", "skipped"), totals, strict=True):
        root.set(attr, str(n))
    root.set("time", f"{sum(a.duration_s for a in run.apis):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(run: Run, path: Path) -> Path:
    """Write ``render(run)`` to ``path`` atomically; returns ``path``."""
    return write_atomic(path, render(run))
