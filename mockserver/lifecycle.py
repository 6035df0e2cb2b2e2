"""The lifecycle engine: a job's state as a pure function of its trail and the clock.

At creation the engine writes a *trail*: the states a job will walk and when it enters each,
computed from ``x-lifecycle`` only (``path``, ``mock.durations`` divided by the clock's scale,
``failed``, ``expired`` after ``retentionSeconds``). No background task moves jobs; reading the
trail at ``now`` gives the state, so advancing the clock moves every job at once and a restart
resumes where it was. Times in a trail never decrease, so the vendor timestamps built from it
stay ordered (queued <= started <= completed <= expires).

    >>> from specs import Lifecycle
    >>> engine = LifecycleEngine(lifecycle)                      # doctest: +SKIP
    >>> trail = engine.plan(now=100.0, job_key="job-1")          # doctest: +SKIP
    >>> engine.progress(trail, 100.5).state                      # doctest: +SKIP
    'QUEUED'
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from mockserver.errors import ConfigError
from specs import Lifecycle

Trail = tuple[tuple[str, float], ...]

DEFAULT_DURATION = 1.0  # seconds in a path state that mock.durations does not name
FORCED_EXPIRY_AGE = 1.0  # how long before "now" a forced expired job left a state with no retention


@dataclass(frozen=True)
class Progress:
    """Where a job is at one instant.

    ``entered`` maps each state the job has entered by then to the time it did; ``planned`` maps
    every state of the trail, future ones included (e.g. a ready job's coming expiry).
    """

    state: str
    entered: Mapping[str, float]
    planned: Mapping[str, float]

    def at(self, state: str | None) -> float | None:
        """When the job entered ``state``, or ``None`` if it has not (yet)."""
        return self.entered.get(state) if state else None


class LifecycleEngine:
    """Plans and reads trails for one API's ``x-lifecycle``.

    ``failure_rate`` (0..1) makes that share of new jobs fail, chosen by a hash of ``seed`` and
    the job key so the same job always fails or never does.
    """

    def __init__(self, lifecycle: Lifecycle, *, scale: float = 1.0, failure_rate: float = 0.0, seed: int = 0) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ConfigError("failure-rate", f"must be between 0 and 1, got {failure_rate!r}")
        self.lifecycle = lifecycle
        self.scale = scale
        self.failure_rate = failure_rate
        self.seed = seed
        self._fail_from = self._failing_state()

    def duration(self, state: str) -> float:
        """Seconds a job spends in ``state`` before the next step, at this scale."""
        return self.lifecycle.durations.get(state, DEFAULT_DURATION) / self.scale

    def _failing_state(self) -> str | None:
        """The latest non-final path state that may move to ``failed`` (where a failing job stops)."""
        lc = self.lifecycle
        if lc.failed is None:
            return None
        for state in reversed(lc.path[:-1]):
            if lc.failed in lc.transitions.get(state, ()):
                return state
        return None

    def _expiry_after(self, state: str) -> float | None:
        lc = self.lifecycle
        if lc.expired is None or lc.retention_seconds is None or lc.expired not in lc.transitions.get(state, ()):
            return None
        return float(lc.retention_seconds)

    def should_fail(self, job_key: str) -> bool:
        """The seeded coin for ``failure_rate``: stable for a job key."""
        if self.failure_rate <= 0.0 or self._fail_from is None:
            return False
        digest = hashlib.sha256(f"{self.seed}:{self.lifecycle.api}:{job_key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.failure_rate

    def plan(self, now: float, *, job_key: str, fail: bool | None = None) -> Trail:
        """The trail of a job created at ``now``: the success path, or a failure, then expiry."""
        lc = self.lifecycle
        failing = self.should_fail(job_key) if fail is None else fail
        if failing and self._fail_from is None:
            raise ConfigError("fail", f"{lc.api}: no path state may move to a failed state")
        trail: list[tuple[str, float]] = [(lc.path[0], now)]
        at = now
        for state, following in zip(lc.path, lc.path[1:], strict=False):
            at += self.duration(state)
            if failing and state == self._fail_from:
                assert lc.failed is not None  # _fail_from is only set when failed is
                trail.append((lc.failed, at))
                return tuple(trail)
            trail.append((following, at))
        retention = self._expiry_after(lc.ready)
        if retention is not None and lc.expired is not None:
            trail.append((lc.expired, at + retention))
        return tuple(trail)

    def chain_to(self, state: str) -> tuple[str, ...]:
        """The shortest walk of allowed transitions from ``initial`` to ``state``."""
        lc = self.lifecycle
        if state not in lc.states:
            raise ConfigError("state", f"{lc.api} has no state {state!r}; states are {list(lc.states)}")
        previous: dict[str, str | None] = {lc.initial: None}
        queue = deque([lc.initial])
        while queue:
            current = queue.popleft()
            if current == state:
                break
            for nxt in lc.transitions.get(current, ()):
                if nxt not in previous:
                    previous[nxt] = current
                    queue.append(nxt)
        if state not in previous:
            raise ConfigError("state", f"{lc.api}: state {state!r} cannot be reached from {lc.initial!r}")
        walk: list[str] = []
        step: str | None = state
        while step is not None:
            walk.append(step)
            step = previous[step]
        return tuple(reversed(walk))

    def forced(self, state: str, now: float) -> Trail:
        """A trail that is in ``state`` from ``now`` on, with every earlier step back-dated.

        A forced state is held: it does not move on by itself, except that a forced ready state
        still expires after ``retentionSeconds`` (so expiry can be tested by advancing the clock).
        """
        chain = self.chain_to(state)
        times = [now]
        for before, after in zip(reversed(chain[:-1]), reversed(chain[1:]), strict=False):
            if after == self.lifecycle.expired:
                step = self._expiry_after(before) or FORCED_EXPIRY_AGE
            else:
                step = self.duration(before)
            times.append(times[-1] - step)
        trail = list(zip(chain, reversed(times), strict=True))
        retention = self._expiry_after(state) if state == self.lifecycle.ready else None
        if retention is not None and self.lifecycle.expired is not None:
            trail.append((self.lifecycle.expired, now + retention))
        return tuple(trail)

    @staticmethod
    def progress(trail: Trail, now: float) -> Progress:
        """The state at ``now`` and the times the job entered its states."""
        state = trail[0][0]
        entered: dict[str, float] = {}
        for step, at in trail:
            if at <= now:
                state = step
                entered[step] = at
        if not entered:  # a job read before its creation time (a clock set back): its first state
            entered[trail[0][0]] = trail[0][1]
        return Progress(state, entered, dict(trail))

    @staticmethod
    def previous_state(trail: Trail, state: str) -> str:
        """The trail step before ``state`` (itself if first): what a backwards-moving mock shows."""
        names = [step for step, _ in trail]
        index = names.index(state) if state in names else 0
        return names[max(index - 1, 0)]
