"""Issue 5, point 5 (part): oversized headers and bodies are refused in the vendor's envelope.

No spec documents a size limit (carevalidate's upload page names only App Engine's 32 MB cap),
so the probes are far beyond any sensible limit: a 64 KiB header (four times the 16 KiB that
common proxies allow) and a 33 MiB body (past App Engine's cap). Each probe is first sent at a
normal size and must succeed, so a refusal of the big one can only be about its size. The
refusal must be 431/413 or a 4xx the operation documents, in the vendor's error envelope, and
the refused create must not have made a job.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.testing import MockHandle, running_mock
from reliability.envelope import EnvelopeJudge
from reliability.recipes import ApiRecipe, Target
from specs import API_NAMES, load_spec
from tests.reliability.conftest import Figures, require_vendor, served_apis

HEADER_PROBE = 64 * 1024
BODY_PROBE = 33 * 1024 * 1024
EVERYTHING = 10**9


@pytest.fixture(scope="module")
def mock() -> Iterator[MockHandle]:
    with running_mock(served_apis(), seed=21) as handle:
        yield handle


def recipe_for(mock: MockHandle, api: str) -> ApiRecipe:
    return ApiRecipe.build(load_spec(api), Target.from_dict(mock.target(api)))


def documented(recipe: ApiRecipe, method: str, template: str) -> set[int]:
    for path, item in recipe.spec["paths"].items():
        if path == template:
            return {int(code) for code in item[method.lower()]["responses"] if str(code).isdigit()}
    return set()


def judge_refusal(recipe: ApiRecipe, method: str, template: str, answer: httpx.Response, http_status: int) -> list[str]:
    """Why ``answer`` is not a proper refusal (empty when it is)."""
    allowed = {http_status} | {s for s in documented(recipe, method, template) if 400 <= s < 500}
    problems = (
        [] if answer.status_code in allowed else [f"status {answer.status_code}, expected one of {sorted(allowed)}"]
    )
    judge = EnvelopeJudge(recipe.spec, recipe.api)
    return problems + judge.problems(
        method, template, answer.status_code, answer.headers.get("content-type"), answer.content
    )


def jobs_of(mock: MockHandle, api: str) -> int:
    return len(mock.server.store.list_jobs(api, "primary", before_seq=None, limit=EVERYTHING))


@pytest.mark.slow
@pytest.mark.parametrize("api", API_NAMES)
def test_an_oversized_header_is_refused_in_the_vendor_envelope(api: str, mock: MockHandle, figures: Figures) -> None:
    require_vendor(api)
    recipe = recipe_for(mock, api)
    read = recipe.status("primary", str(mock.provider_state(api, recipe.lifecycle.ready)["id"]))
    url = recipe.target.base_url + read.path
    normal = httpx.get(url, headers={**read.headers, "X-Padding": "x" * 1024}, timeout=30)
    assert normal.status_code == 200, (
        f"the probe is not a valid read at a normal size: {normal.status_code} {normal.text[:200]}"
    )
    big = httpx.get(url, headers={**read.headers, "X-Padding": "x" * HEADER_PROBE}, timeout=30)
    problems = judge_refusal(recipe, read.method, recipe.status_op.path, big, 431)
    result: dict[str, Any] = {"probe_bytes": HEADER_PROBE, "status": big.status_code, "problems": problems}
    figures.record("limits_header", result, key=api)
    assert big.status_code != 200, f"{api}: no header size limit, a {HEADER_PROBE}-byte header was read (200)"
    assert not problems, f"{api}: {problems}: {big.text[:200]}"


@pytest.mark.slow
@pytest.mark.parametrize("api", API_NAMES)
def test_an_oversized_body_is_refused_in_the_vendor_envelope(api: str, mock: MockHandle, figures: Figures) -> None:
    require_vendor(api)
    recipe = recipe_for(mock, api)
    url = recipe.target.base_url + recipe.create("primary", key="-").path

    def create(padding: int, key: str) -> httpx.Response:
        planned = recipe.create("primary", key=key)
        body = {**(planned.json or {}), "padding": "x" * padding}
        return httpx.request(planned.method, url, headers=planned.headers, json=body, timeout=120)

    normal = create(1024, "limits-normal")
    assert 200 <= normal.status_code < 300, (
        f"the probe is not a valid create at a normal size: {normal.status_code} {normal.text[:200]}"
    )
    before = jobs_of(mock, api)
    try:
        big: httpx.Response | None = create(BODY_PROBE, "limits-big")
    except httpx.TransportError as exc:
        big, dropped = None, f"{type(exc).__name__}: {exc}"
    created = jobs_of(mock, api) - before
    if big is None:
        figures.record("limits_body", {"probe_bytes": BODY_PROBE, "status": None, "problems": [dropped]}, key=api)
        pytest.fail(f"{api}: the connection ended without an answer to a {BODY_PROBE}-byte body: {dropped}")
    problems = judge_refusal(recipe, recipe.create_op.method, recipe.create_op.path, big, 413)
    result: dict[str, Any] = {
        "probe_bytes": BODY_PROBE,
        "status": big.status_code,
        "jobs_created": created,
        "problems": problems,
    }
    figures.record("limits_body", result, key=api)
    assert not 200 <= big.status_code < 300, f"{api}: no body size limit, a {BODY_PROBE}-byte create was accepted"
    assert created == 0, f"{api}: the refused create made {created} job(s)"
    assert not problems, f"{api}: {problems}: {big.text[:200]}"
