"""``lifecycle``: across polls a job moves only as ``x-lifecycle.transitions`` allows.

Two walks: a job the checker creates, polled (advancing the target's clock where it has one)
through the success path and, with a clock, past retention; and, with provider states, a job set
up in each state and polled again later, which shows terminal states stay put. On every poll:
the state is a known one, the move from the previous poll is allowed, members listed in
``stateMembers`` are non-null only in their states, and the ``timestamps`` are non-decreasing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contract_tests import pointers
from contract_tests.checks.base import Check, Probe
from contract_tests.errors import NotCovered
from contract_tests.results import Severity
from contract_tests.session import CLOCK_STEP_S, POLL_INTERVAL_S, Poll, Session
from contract_tests.states import Job

MAX_POLLS = 40


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def judge_poll(session: Session, probe: Probe, poll: Poll, previous: str | None) -> None:
    """Check one status answer against the state machine, given the state seen before it."""
    lc = session.lifecycle
    exchange = poll.exchange
    probe.case()
    if poll.resource is None:
        probe.fail(
            "the status operation did not answer the job",
            expected=f"HTTP 200 with the job at {lc.resource_pointer}",
            observed=exchange.describe(),
            exchange=exchange,
            clause="x-lifecycle.resourcePointer",
        )
        return
    state = poll.state
    if lc.state_pointer:
        if state not in lc.states:
            probe.fail(
                "the job is in an unknown state",
                expected=f"one of {list(lc.states)}",
                observed=repr(state),
                exchange=exchange,
                clause="x-lifecycle.states",
            )
            return
        if previous is not None and not lc.allows(previous, state):
            terminal = previous in lc.terminal
            probe.fail(
                f"the job moved {previous} -> {state}, which the lifecycle does not allow"
                + (f" ({previous} is terminal)" if terminal else ""),
                expected=f"{previous} or one of {sorted(lc.reachable(previous) - {previous})}",
                observed=state,
                exchange=exchange,
                clause="x-lifecycle.terminal" if terminal else "x-lifecycle.transitions",
            )
        session.note_transition(previous, state)
    for member, allowed in lc.state_members.items():
        if lc.download.style == "member" and member == lc.download.url_pointer:
            continue  # the URL member's presence is the readiness gate's rule, judged there
        value = pointers.get(poll.resource, member)
        if state is not None and value not in (None, pointers.MISSING) and state not in allowed:
            probe.fail(
                f"{member} is set in state {state}",
                expected=f"{member} null or absent outside {list(allowed)}",
                observed=f"{member} = {value!r}",
                exchange=exchange,
                clause=f"x-lifecycle.stateMembers.{member}",
            )
    last: tuple[str, datetime] | None = None
    for member in lc.timestamps:
        moment = _instant(pointers.get(poll.resource, member))
        if moment is None:
            continue
        if last is not None and moment < last[1]:
            probe.fail(
                f"timestamps out of order: {member} is before {last[0]}",
                expected=f"{last[0]} <= {member}",
                observed=f"{last[0]} = {last[1].isoformat()}, {member} = {moment.isoformat()}",
                exchange=exchange,
                clause="x-lifecycle.timestamps",
            )
        last = (member, moment)


def _step(session: Session, seconds: float) -> None:
    if session.states.has_clock:
        session.advance(seconds)
    else:
        session.sleep(min(seconds, POLL_INTERVAL_S))


def walk_created(session: Session, probe: Probe) -> list[str]:
    """Create a job and poll it along the success path (and past retention, with a clock).

    Returns the states the polls saw, in order (a repeated state is listed once per stay).
    """
    lc = session.lifecycle
    exchange, job = session.create()
    if job is None:
        raise NotCovered(f"could not create a job to follow: {exchange.describe(160)}")
    step = max(lc.durations.values(), default=CLOCK_STEP_S)
    budget = session.walk_budget_s
    earlier = session.walk_timed_out(lc.ready)
    if earlier is not None:
        # Another check already waited the whole budget for a created job to get ready.
        probe.notes.append(f"{earlier} (found by an earlier walk in this run), so this walk did not wait")
        budget = 0.0
    deadline = session.monotonic() + budget
    previous: str | None = None
    seen: list[str] = []
    for _ in range(MAX_POLLS):
        poll = session.poll(job)
        judge_poll(session, probe, poll, previous)
        previous = poll.state or previous
        if poll.state is not None and seen[-1:] != [poll.state]:
            seen.append(poll.state)
        if poll.state is None or poll.state in lc.terminal or poll.state == lc.ready:
            break
        if session.monotonic() > deadline:
            if earlier is None:
                probe.notes.append(f"the created job was still {poll.state} after {budget:g} s")
            return seen
        _step(session, step)
    if previous == lc.ready and session.states.has_clock and lc.expired and lc.retention_seconds is not None:
        session.advance(lc.retention_seconds + 1)
        for _ in range(2):  # once into `expired`, and once more to see it stay there
            poll = session.poll(job)
            judge_poll(session, probe, poll, previous)
            previous = poll.state or previous
            if poll.state is not None and seen[-1:] != [poll.state]:
                seen.append(poll.state)
            session.advance(step)
        if previous != lc.expired:
            probe.fail(
                f"the job did not expire {lc.retention_seconds} s after reaching {lc.ready}",
                expected=lc.expired,
                observed=str(previous),
                exchange=poll.exchange,
                clause="x-lifecycle.retentionSeconds",
            )
    return seen


def walk_each_state(session: Session, probe: Probe) -> None:
    """With provider states: every state, polled twice with time passing in between."""
    lc = session.lifecycle
    step = max(lc.durations.values(), default=CLOCK_STEP_S)
    for state in lc.states:
        try:
            job: Job = session.job(state)
        except NotCovered as gap:
            probe.notes.append(f"{state}: {gap.reason}")
            continue
        first = session.poll(job)
        if first.resource is None and state in lc.terminal and first.exchange.status == lc.not_found.status:
            # A terminal state such as a soft delete may read as "not found"; it cannot move on.
            probe.notes.append(f"a {state} {lc.resource} reads as not found")
            continue
        judge_poll(session, probe, first, None)
        _step(session, step)
        second = session.poll(job)
        judge_poll(session, probe, second, first.state)


def check_lifecycle(session: Session, probe: Probe) -> None:
    """Both walks; what cannot be walked is noted, not passed.

    Without provider states the created job's walk is all there is: if it never saw the job
    move (a stateless mock answers one example state forever), no transition was judged, and
    the check is not covered rather than passed on a single state.
    """
    lc = session.lifecycle
    seen: list[str] = []
    try:
        seen = walk_created(session, probe)
    except NotCovered as gap:
        probe.notes.append(gap.reason)
    if session.states.has_provider:
        walk_each_state(session, probe)
        return
    probe.notes.append("without provider states, only the created job's walk was checked")
    if len(seen) < 2 and not probe.failures:
        if lc.state_pointer is None:
            why = "the spec exposes no state (x-lifecycle.statePointer is null)"
        elif seen:
            why = f"the created {lc.resource} was only ever seen {seen[0]!r}"
        else:
            why = f"the created {lc.resource} was never seen in a state"
        raise NotCovered(f"{why}, so no transition could be judged; " + "; ".join(probe.notes))


LIFECYCLE = Check(
    id="lifecycle",
    title="Jobs move only along allowed transitions, terminal states stay, members and timestamps are consistent",
    severity=Severity.HIGH,
    clause="x-lifecycle (transitions, terminal, stateMembers, timestamps)",
    run=check_lifecycle,
)

__all__ = ["LIFECYCLE", "check_lifecycle", "judge_poll"]
