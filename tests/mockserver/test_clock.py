"""The virtual clock: offset, scale, refusals."""

from __future__ import annotations

import math

import pytest

from mockserver.clock import VirtualClock, compact_utc, parse_compact_utc, rfc3339
from mockserver.errors import ClockError, ConfigError


def test_advance_moves_now_and_offset() -> None:
    clock = VirtualClock(source=lambda: 1000.0)
    clock.advance(60)
    clock.advance(0.5)
    assert clock.now() == 1060.5
    assert clock.offset_seconds == 60.5


@pytest.mark.parametrize("bad", [-1, math.inf, math.nan, True, "5"])
def test_advance_refuses_bad_amounts(bad: object) -> None:
    clock = VirtualClock(source=lambda: 0.0)
    with pytest.raises(ClockError):
        clock.advance(bad)  # type: ignore[arg-type]
    assert clock.offset_seconds == 0.0


@pytest.mark.parametrize("scale", [0, -2, math.inf])
def test_scale_must_be_positive_and_finite(scale: float) -> None:
    with pytest.raises(ConfigError):
        VirtualClock(scale=scale)


def test_set_offset_replaces_the_offset() -> None:
    clock = VirtualClock(source=lambda: 10.0, offset=5)
    clock.set_offset(0)
    assert clock.now() == 10.0


def test_time_formats_round_trip() -> None:
    assert rfc3339(0.9) == "1970-01-01T00:00:00Z"
    assert compact_utc(86_400) == "19700102T000000Z"
    assert parse_compact_utc("19700102T000000Z") == 86_400
    assert parse_compact_utc("yesterday") is None
