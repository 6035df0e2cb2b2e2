"""Faults: each violation turns off exactly one rule; bad bodies are refused clearly."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from mockserver.errors import ControlError
from mockserver.faults import VIOLATIONS, Fault, FaultBook


@pytest.mark.parametrize("violation", VIOLATIONS)
def test_each_violation_breaks_exactly_one_rule(violation: str) -> None:
    broken = [name for name, kept in asdict(Fault(violation=violation).rules).items() if not kept]
    assert len(broken) == 1


def test_from_json_round_trip() -> None:
    fault = Fault.from_json({"latencyMs": 5, "errorRate": 0.5, "violation": "auth"})
    assert fault.to_json() == {"latencyMs": 5, "errorRate": 0.5, "violation": "auth"}


@pytest.mark.parametrize(
    "body",
    [[], {"latencyMs": -1}, {"latencyMs": "5"}, {"errorRate": 2}, {"violation": "nope"}, {"extra": 1}],
)
def test_from_json_refuses_bad_bodies(body: object) -> None:
    with pytest.raises(ControlError) as caught:
        Fault.from_json(body)
    assert caught.value.status == 400


def test_book_is_per_api_and_clears() -> None:
    book = FaultBook()
    book.set("a", Fault(violation="lifecycle"))
    assert not book.rules("a").monotonic_states
    assert book.rules("b").monotonic_states
    assert [book.count_poll("a", "j") for _ in range(3)] == [0, 1, 2]
    assert book.first_url("a", "j", lambda: "u1") == book.first_url("a", "j", lambda: "u2") == "u1"
    book.clear()
    assert book.get("a") == Fault()
    assert not book.roll_error("a")
