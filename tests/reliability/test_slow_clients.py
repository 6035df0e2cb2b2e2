"""Issue 5, point 5 (part): a slow client does not stall the others.

On every served API at once, clients write their requests a byte at a time (some their body,
some the whole request), while ordinary clients read ready jobs. The ordinary clients must all
be served, each answer within ``FAST_BOUND``, before the slow ones have even finished sending;
and each slow request, once complete, gets its proper answer (a trickled create is a real job).
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import httpx
import pytest

from mockserver.testing import running_mock
from reliability.figures import render
from reliability.recipes import ApiRecipe, Planned, Target
from reliability.slow import RawAnswer, Trickle, serve_while_trickling
from specs import load_spec
from tests.reliability.conftest import Figures, served_apis

# An ordinary request on loopback takes milliseconds; the trickles take seconds. Two seconds
# leaves room for a loaded CI runner and is still far below a trickle's length.
FAST_BOUND = 2.0
BODY_DELAY = 0.025  # seconds per byte of a trickled body
HEAD_DELAY = 0.01  # seconds per byte of a request trickled whole
PAD_TO = 160  # trickled create bodies are padded to about this many bytes (an open member)


def trickled_create(recipe: ApiRecipe, base_path: str) -> Trickle:
    planned = recipe.create("primary", key=f"trickle-{recipe.api}")
    body = dict(planned.json or {})
    body["padding"] = "x" * max(0, PAD_TO - len(json.dumps(body)))
    headers = {**planned.headers, "Content-Type": "application/json"}
    return Trickle(planned.method, base_path + planned.path, headers, json.dumps(body).encode(), "body", BODY_DELAY)


def trickled_read(read: Planned, base_path: str) -> Trickle:
    return Trickle(read.method, base_path + read.path, dict(read.headers), b"", "head", HEAD_DELAY)


@pytest.mark.slow
def test_slow_clients_do_not_stall_the_others(figures: Figures) -> None:
    apis = served_apis()
    with running_mock(apis, seed=3) as mock:
        recipes = {api: ApiRecipe.build(load_spec(api), Target.from_dict(mock.target(api))) for api in apis}
        reads = {
            api: recipe.status("primary", str(mock.provider_state(api, recipe.lifecycle.ready)["id"]))
            for api, recipe in recipes.items()
        }
        slow: list[Trickle] = []
        for api, recipe in recipes.items():
            base_path = urlsplit(recipe.target.base_url).path
            slow += [trickled_create(recipe, base_path), trickled_read(reads[api], base_path)]
        fast = [(recipes[api].target.base_url, reads[api]) for api in apis]
        port = urlsplit(mock.url).port or 80
        outcome = asyncio.run(serve_while_trickling("127.0.0.1", port, slow=slow, fast=fast, fast_clients=10))
        created = {}
        for api, answer in zip([a for a in apis for _ in (0, 1)], outcome.slow, strict=True):
            if isinstance(answer, RawAnswer) and answer.status in (201, 202):
                job_id = recipes[api].job_id(answer.json())
                planned = recipes[api].status("primary", str(job_id))
                created[api] = httpx.get(
                    recipes[api].target.base_url + planned.path, headers=planned.headers
                ).status_code
    result = {
        **outcome.figures(),
        "apis": apis,
        "fast_bound_ms": FAST_BOUND * 1000,
        "trickled_creates_readable": created,
    }
    figures.record("slow_clients", result)
    print(render("slow_clients", result))

    assert not outcome.fast_errors, outcome.fast_errors[:5]
    assert set(outcome.fast_statuses) == {200}, outcome.fast_statuses
    assert outcome.slowest_fast_answer < FAST_BOUND, f"an ordinary request waited {outcome.slowest_fast_answer:.2f} s"
    assert outcome.fast_done_before_slow, "the ordinary clients were not done before the slow ones: stalled?"
    answers = [a.status if isinstance(a, RawAnswer) else a for a in outcome.slow]
    assert all(isinstance(a, int) and 200 <= a < 300 for a in answers), (
        f"slow requests (create, read per API): {answers}"
    )
    assert created == dict.fromkeys(apis, 200), f"a trickled create is not a readable job: {created}"
