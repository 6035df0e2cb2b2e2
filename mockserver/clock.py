"""Time for the mock: a ``Clock`` protocol and the default virtual clock.

Every time the mock uses is seconds since the Unix epoch (a float) read from an injected clock, so
a test can move all jobs at once (``advance``) and a restart resumes from the stored schedules.

    >>> clock = VirtualClock(source=lambda: 1000.0, scale=10.0)
    >>> clock.advance(60)
    >>> clock.now(), clock.offset_seconds, clock.scale
    (1060.0, 60.0, 10.0)
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from mockserver.errors import ClockError, ConfigError


@runtime_checkable
class Clock(Protocol):
    """What the mock needs of a clock."""

    @property
    def scale(self) -> float:
        """Lifecycle durations are divided by this (``--time-scale``)."""
        ...

    @property
    def offset_seconds(self) -> float:
        """How far this clock runs ahead of its time source."""
        ...

    def now(self) -> float:
        """Current time, seconds since the epoch."""
        ...

    def advance(self, seconds: float) -> None:
        """Move the clock forward; refuses negative or non-finite amounts."""
        ...

    def set_offset(self, seconds: float) -> None:
        """Set the offset outright (a restore after restart, or a reset to 0)."""
        ...


class VirtualClock:
    """Real time (or any ``source``) plus an offset that only moves forward through ``advance``."""

    def __init__(self, source: Callable[[], float] = time.time, *, scale: float = 1.0, offset: float = 0.0) -> None:
        if not (math.isfinite(scale) and scale > 0):
            raise ConfigError("time-scale", f"must be a finite number > 0, got {scale!r}")
        self._source = source
        self._scale = float(scale)
        self._offset = _checked(offset, allow_negative=False)

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def offset_seconds(self) -> float:
        return self._offset

    def now(self) -> float:
        return self._source() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += _checked(seconds, allow_negative=False)

    def set_offset(self, seconds: float) -> None:
        self._offset = _checked(seconds, allow_negative=False)


def _checked(seconds: float, *, allow_negative: bool) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ClockError(f"seconds must be a number, got {type(seconds).__name__}")
    if not math.isfinite(seconds):
        raise ClockError(f"seconds must be finite, got {seconds!r}")
    if seconds < 0 and not allow_negative:
        raise ClockError(f"the clock only moves forward; got {seconds!r} seconds")
    return float(seconds)


def rfc3339(epoch_seconds: float) -> str:
    """``2024-05-01T12:00:00Z`` (whole seconds, UTC): the form every vendor here prints."""
    return _utc_text(math.floor(epoch_seconds), "%Y-%m-%dT%H:%M:%SZ")


def compact_utc(epoch_seconds: float) -> str:
    """``20240501T120000Z``: the date form of SigV4 and GCS V4 signatures."""
    return _utc_text(math.floor(epoch_seconds), "%Y%m%dT%H%M%SZ")


@functools.lru_cache(maxsize=1024)
def _utc_text(second: int, form: str) -> str:
    # a pure function of its arguments, called ~10 times per rendered export: memoised by second
    return datetime.fromtimestamp(second, UTC).strftime(form)


def parse_compact_utc(text: str) -> float | None:
    """Inverse of ``compact_utc``; ``None`` if ``text`` is not in that form."""
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except (TypeError, ValueError):
        return None
