"""One reliability scenario: load a mock process, optionally kill -9 it during the load, verify.

``run_scenario`` builds a recipe per API from the running process's target descriptions, runs
the clients, and, with ``kills`` > 0, kills the process at evenly spaced moments of the load
and restarts it on the same port and store (how long each outage lasted and how many creates
were on the wire at each kill are recorded). An outage does not eat into the load: after each
restart the clients get a full spacing of service before the next kill or the end. When the
load is over, every acknowledged job is verified over HTTP against the (restarted) server.

    with MockProcess(apis, store=f"sqlite:{db}", log=log) as mock:
        report = asyncio.run(run_scenario(mock, apis, LoadOptions(clients=50, seconds=20), kills=2))
    assert not report.findings()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reliability.errors import Finding
from reliability.ledger import Ledger
from reliability.load import Deadline, LoadOptions, run_clients
from reliability.load_report import LoadReport
from reliability.process import MockProcess
from reliability.recipes import ApiRecipe, Target
from reliability.verify import VerifyReport, verify
from specs import load_spec


@dataclass(frozen=True)
class Kill:
    """One kill -9 during the load."""

    at_seconds: float  # since the load started
    outage_seconds: float  # from the kill until the restarted server answered its health check
    creates_on_the_wire: dict[str, int]  # per API, creates sent and not yet answered at the kill
    acknowledged_before: int  # creates acknowledged before the kill


@dataclass
class ScenarioReport:
    """The load, the kills and the verification of one scenario."""

    load: LoadReport
    verification: VerifyReport
    ledger: Ledger
    kills: list[Kill] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        """Every problem found: while loading, in the ledger, and in the verification."""
        return [*self.load.findings, *self.ledger.findings, *self.verification.findings]

    def figures(self) -> dict[str, Any]:
        jobs = list(self.ledger.jobs())
        return {
            **self.load.figures(),
            "jobs_acknowledged": len(jobs),
            "jobs_by_api": {api: sum(1 for j in jobs if j.api == api) for api in self.load.apis},
            "verification": self.verification.figures(),
            "ledger_findings": len(self.ledger.findings),
            "kills": len(self.kills),
            "faults_survived": [
                {
                    "at_seconds": round(k.at_seconds, 1),
                    "outage_seconds": round(k.outage_seconds, 2),
                    "creates_on_the_wire": k.creates_on_the_wire,
                    "acknowledged_before": k.acknowledged_before,
                }
                for k in self.kills
            ],
            "lost": self.verification.lost,
        }


def recipes_for(process: MockProcess, apis: Sequence[str]) -> dict[str, ApiRecipe]:
    """A recipe per API, from the process's own target descriptions."""
    return {api: ApiRecipe.build(load_spec(api), Target.from_url(process.target_url(api))) for api in apis}


async def run_scenario(
    process: MockProcess, apis: Sequence[str], options: LoadOptions, *, kills: int = 0
) -> ScenarioReport:
    """Load ``process`` (killing and restarting it ``kills`` times), then verify every acknowledged job."""
    recipes = await asyncio.to_thread(recipes_for, process, apis)
    ledger = Ledger({api: recipe.lifecycle for api, recipe in recipes.items()})
    options = replace(options, outages_expected=options.outages_expected or kills > 0)
    load = LoadReport(options.clients, options.seconds, sorted(recipes), outages_expected=options.outages_expected)
    started = time.monotonic()
    deadline = Deadline(started + options.seconds)
    done: list[Kill] = []
    chaos = _kill_during(process, kills, started, options.seconds, load, deadline, done)
    await asyncio.gather(run_clients(recipes, ledger, options, load, deadline), chaos)
    verification = await verify(recipes, ledger, timeout=options.request_timeout)
    return ScenarioReport(load, verification, ledger, done)


async def _kill_during(
    process: MockProcess,
    kills: int,
    started: float,
    seconds: float,
    load: LoadReport,
    deadline: Deadline,
    done: list[Kill],
) -> None:
    spacing = seconds / (kills + 1)
    moment = started
    for _ in range(kills):
        moment += spacing
        await asyncio.sleep(max(0.0, moment - time.monotonic()))
        on_the_wire = {api: n for api, n in load.inflight_creates.items() if n}
        killed_at = time.monotonic()
        acknowledged = load.creates_acknowledged
        await asyncio.to_thread(process.kill)
        await asyncio.to_thread(process.start)
        done.append(Kill(killed_at - started, time.monotonic() - killed_at, on_the_wire, acknowledged))
        # The outage does not count as load: each restart is followed by a full spacing of service.
        moment = time.monotonic()
        deadline.at = max(deadline.at, moment + spacing)
