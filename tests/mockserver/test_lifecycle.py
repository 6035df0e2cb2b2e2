"""The lifecycle engine on the curaeai and hookbridge x-lifecycle."""

from __future__ import annotations

import pytest

from mockserver.errors import ConfigError
from mockserver.lifecycle import LifecycleEngine, Trail
from specs import Lifecycle, load_spec


@pytest.fixture(params=["curaeai", "hookbridge"])
def engine(request: pytest.FixtureRequest) -> LifecycleEngine:
    return LifecycleEngine(Lifecycle.from_spec(load_spec(request.param), request.param))


def ordered(trail: Trail) -> bool:
    times = [at for _, at in trail]
    return times == sorted(times)


def test_plan_walks_the_path_then_expires(engine: LifecycleEngine) -> None:
    lc = engine.lifecycle
    trail = engine.plan(1000.0, job_key="j")
    assert [s for s, _ in trail] == [*lc.path, lc.expired]
    assert ordered(trail)
    ready_at = dict(trail)[lc.ready]
    assert ready_at == 1000.0 + sum(lc.durations[s] for s in lc.path[:-1])
    assert dict(trail)[str(lc.expired)] == ready_at + float(lc.retention_seconds or 0)
    assert engine.progress(trail, 1000.0).state == lc.initial
    assert engine.progress(trail, ready_at).state == lc.ready
    assert engine.progress(trail, ready_at + 10**7).state == lc.expired


def test_time_scale_divides_durations() -> None:
    lc = Lifecycle.from_spec(load_spec("curaeai"), "curaeai")
    trail = LifecycleEngine(lc, scale=10).plan(0.0, job_key="j")
    assert dict(trail)["READY"] == pytest.approx(0.3)


def test_failure_on_demand_and_by_rate(engine: LifecycleEngine) -> None:
    lc = engine.lifecycle
    failed = engine.plan(0.0, job_key="j", fail=True)
    assert failed[-1][0] == lc.failed
    assert lc.ready not in dict(failed)
    assert ordered(failed)
    always = LifecycleEngine(lc, failure_rate=1.0)
    never = LifecycleEngine(lc, failure_rate=0.0)
    assert always.plan(0.0, job_key="x")[-1][0] == lc.failed
    assert never.plan(0.0, job_key="x")[-1][0] == lc.expired


def test_seeded_rate_is_stable_and_roughly_right() -> None:
    lc = Lifecycle.from_spec(load_spec("curaeai"), "curaeai")
    engine = LifecycleEngine(lc, failure_rate=0.3, seed=1)
    draws = [engine.should_fail(f"job-{i}") for i in range(1000)]
    assert draws == [engine.should_fail(f"job-{i}") for i in range(1000)]
    assert 200 < sum(draws) < 400


@pytest.mark.parametrize("index", range(5))
def test_forced_states_hold_now_with_ordered_back_dated_trail(engine: LifecycleEngine, index: int) -> None:
    state = engine.lifecycle.states[index]
    trail = engine.forced(state, 5000.0)
    assert ordered(trail)
    assert engine.progress(trail, 5000.0).state == state
    assert trail[0][0] == engine.lifecycle.initial
    if state not in (engine.lifecycle.ready,):
        assert engine.progress(trail, 10**9).state == state  # held


def test_forced_ready_still_expires(engine: LifecycleEngine) -> None:
    lc = engine.lifecycle
    trail = engine.forced(lc.ready, 0.0)
    assert engine.progress(trail, lc.retention_seconds + 1.0).state == lc.expired  # type: ignore[operator]


def test_unknown_state_is_refused(engine: LifecycleEngine) -> None:
    with pytest.raises(ConfigError, match="no state"):
        engine.forced("NOPE", 0.0)


def test_progress_reports_entered_and_planned(engine: LifecycleEngine) -> None:
    lc = engine.lifecycle
    trail = engine.plan(0.0, job_key="j")
    progress = engine.progress(trail, 0.0)
    assert set(progress.entered) == {lc.initial}
    assert lc.expired in progress.planned
    assert progress.at(lc.ready) is None
