"""Identical creates at the same instant: does the server still make exactly one job?

``burst`` sends the same create (same tenant, same body, same idempotency key) on ``copies``
connections at once, so the requests really overlap on the server instead of queueing behind
one connection. A request that gets no answer is sent again, as a client holding an
idempotency key would (safe by definition: the key names one operation), and counted. The
answer is a ``Burst``: how many were acknowledged and which job ids came back.

    result = asyncio.run(burst(recipe, "primary", key="k-1", copies=50))
    assert result.acknowledged == 50 and len(result.ids) == 1
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpx

from reliability.recipes import ApiRecipe


@dataclass
class Burst:
    """The answers to one burst of identical creates."""

    api: str
    tenant: str
    key: str
    copies: int
    statuses: Counter[int] = field(default_factory=Counter)
    ids: Counter[str] = field(default_factory=Counter)
    no_answer: int = 0  # tries that got no HTTP answer (each was sent again)

    @property
    def acknowledged(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    def summary(self) -> str:
        statuses = dict(sorted(self.statuses.items()))
        return (
            f"{self.api} {self.tenant} key={self.key}: {self.copies} sent ({self.no_answer} sent again), "
            f"answers {statuses}, ids {dict(self.ids)}"
        )


async def burst(
    recipe: ApiRecipe, tenant: str, *, key: str, copies: int, timeout: float = 60.0, tries: int = 3
) -> Burst:
    """Send ``copies`` identical creates of ``tenant`` at once, each on its own connection."""
    result = Burst(recipe.api, tenant, key, copies)
    planned = recipe.create(tenant, key=key)
    url = recipe.target.base_url + planned.path
    limits = httpx.Limits(max_connections=copies, max_keepalive_connections=copies)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as http:
        start = asyncio.Event()

        async def one() -> None:
            await start.wait()
            for _ in range(tries):
                try:
                    response = await http.request(planned.method, url, headers=planned.headers, json=planned.json)
                except httpx.TransportError:
                    result.no_answer += 1
                    continue
                result.statuses[response.status_code] += 1
                if 200 <= response.status_code < 300:
                    job_id = recipe.job_id(response.json())
                    result.ids[job_id or "<no id>"] += 1
                return

        # Every task waits on one event, so all the connections are opened in the same instant.
        tasks = [asyncio.create_task(one()) for _ in range(copies)]
        await asyncio.sleep(0)
        start.set()
        await asyncio.gather(*tasks)
    return result


async def bursts(recipe: ApiRecipe, tenants: list[str], keys: list[str], *, copies: int) -> list[Burst]:
    """One burst per (tenant, key), all at the same time."""
    return list(await asyncio.gather(*(burst(recipe, t, key=k, copies=copies) for t in tenants for k in keys)))
