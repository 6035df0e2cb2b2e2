"""Reliability harness of exportkit: bad input, load, crash and slow-client runs against a target.

Not one of the four layers: it sits beside ``tools`` and, like ``contract_tests``, talks to the
server over HTTP only (it imports ``specs`` for the specs and ``x-lifecycle``, never
``mockserver``), starting the mock as a separate process where a run must kill it. The tests in
``tests/reliability`` drive it and add what only the mock's insides can show (its SQLite store).

Modules, one concept each:

- ``recipes``: what a client sends to one API (``Target``, ``ApiRecipe``), from its spec.
- ``envelope``: is an error answer in the vendor's envelope (``EnvelopeJudge``).
- ``fuzz``: Schemathesis' negative mode against a target (``fuzz_api``, ``fuzz_apis``).
- ``ledger``: what the clients were acknowledged and saw (``Ledger``).
- ``load``: N concurrent create -> poll -> download clients (``run_load``, ``LoadOptions``).
- ``verify``: every acknowledged job still there, consistent and private (``verify``).
- ``process``: ``python -m mockserver`` as a child to kill -9 and restart (``MockProcess``).
- ``scenario``: a load with kills, then the verification (``run_scenario``).
- ``bursts``: identical creates at the same instant (``burst``).
- ``slow``: clients that trickle their requests (``serve_while_trickling``).
- ``budget``, ``figures``: how big a run is (``Budget``), where its figures go (``FiguresFile``).
- ``cli``: ``python -m reliability load|fuzz``.
"""

from reliability.budget import Budget
from reliability.bursts import Burst, burst
from reliability.envelope import EnvelopeJudge
from reliability.errors import Finding, HarnessError, MockStartError, RecipeError, TargetError
from reliability.figures import FiguresFile
from reliability.fuzz import FuzzReport, fuzz_api, fuzz_apis
from reliability.ledger import Ledger
from reliability.load import LoadOptions, run_load
from reliability.load_report import LoadReport
from reliability.process import MockProcess
from reliability.recipes import ApiRecipe, Target
from reliability.scenario import ScenarioReport, run_scenario
from reliability.slow import Trickle, serve_while_trickling
from reliability.verify import VerifyReport, verify

__all__ = [
    "ApiRecipe",
    "Budget",
    "Burst",
    "EnvelopeJudge",
    "FiguresFile",
    "Finding",
    "FuzzReport",
    "HarnessError",
    "Ledger",
    "LoadOptions",
    "LoadReport",
    "MockProcess",
    "MockStartError",
    "RecipeError",
    "ScenarioReport",
    "Target",
    "TargetError",
    "Trickle",
    "VerifyReport",
    "burst",
    "fuzz_api",
    "fuzz_apis",
    "run_load",
    "run_scenario",
    "serve_while_trickling",
    "verify",
]
