"""Raw times: when each intervention of a program falls for one learner, before any rules.

This is the first step of planning: `when` expressions and `follow_up` links become instants,
with no send window, workdays, daily cap or history of missed items applied yet (the planner
does that). An intervention that cannot be timed yet (an undelivered or undone intervention it
counts from, a session without a date, a learner who has not started) gives no occurrence.

Wall-time arithmetic: "2 days before s2" is two calendar days in the cohort's timezone, also
across a DST change; "n hours" is likewise counted on the cohort's wall clock. An `at HH:MM`
is the learner's local time on the date so found; recurring items without `at` use the send
window's start.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from content.model import Intervention, Program
from content.when import AfterIntervention, AtSession, Every, OnEnrol, Relative, When
from scheduler.calendar import to_local, to_utc

_UNIT = {"hours": timedelta(hours=1), "days": timedelta(days=1), "weeks": timedelta(weeks=1)}


@dataclass(frozen=True, slots=True)
class LearnerFacts:
    """What one learner's raw times depend on. Datetimes are aware UTC unless said otherwise."""

    sessions: Mapping[str, datetime]  # session id -> naive local datetime in cohort_timezone
    cohort_timezone: str
    learner_timezone: str
    default_time: time  # learner-local time of recurring items without `at`
    active_since: datetime | None
    delivered_at: Mapping[str, datetime]  # intervention id -> delivery of its single occurrence
    done_at: Mapping[str, datetime]  # intervention id -> completion of its single occurrence
    # Tests (assessments): `N days after` one counts from its completion, not its delivery.
    counted_from_done: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RawOccurrence:
    """One occurrence of an intervention at its unadjusted time."""

    intervention_id: str
    occurrence: str  # "" or, for a recurring item, its learner-local date "2027-01-15"
    due_at: datetime
    immediate: bool = False


def raw_occurrences(program: Program, facts: LearnerFacts) -> tuple[RawOccurrence, ...]:
    """Every occurrence the program gives this learner, in program order."""
    parents = follow_up_parents(program)
    return tuple(
        occurrence
        for item in program.interventions
        for occurrence in _occurrences_of(item, parents.get(item.id, ()), facts)
    )


def follow_up_parents(program: Program) -> dict[str, tuple[str, ...]]:
    """Follow-up id -> the ids of the interventions naming it as their `follow_up`."""
    parents: dict[str, tuple[str, ...]] = {}
    for item in program.interventions:
        if item.follow_up is not None:
            parents[item.follow_up] = (*parents.get(item.follow_up, ()), item.id)
    return parents


def _occurrences_of(
    item: Intervention, parents: tuple[str, ...], facts: LearnerFacts
) -> tuple[RawOccurrence, ...]:
    if not parents:
        return () if item.when is None else _by_when(item.id, item.when, facts)
    # A follow-up waits for its intervention to be done; with several, the first one done counts.
    done = [facts.done_at[parent] for parent in parents if parent in facts.done_at]
    if not done:
        return ()
    gate = min(done)
    if item.when is None:
        return (RawOccurrence(item.id, "", gate),)
    return tuple(
        RawOccurrence(raw.intervention_id, raw.occurrence, max(raw.due_at, gate), raw.immediate)
        for raw in _by_when(item.id, item.when, facts)
    )


def _by_when(item_id: str, when: When, facts: LearnerFacts) -> tuple[RawOccurrence, ...]:
    match when:
        case OnEnrol():
            if facts.active_since is None:
                return ()
            return (RawOccurrence(item_id, "", facts.active_since, immediate=True),)
        case Every():
            return tuple(
                RawOccurrence(item_id, day.isoformat(), moment) for day, moment in _every(when, facts)
            )
        case _:
            moment = _single(when, facts)
            return () if moment is None else (RawOccurrence(item_id, "", moment),)


def _single(when: AtSession | Relative | AfterIntervention, facts: LearnerFacts) -> datetime | None:
    match when:
        case AtSession(session=session):
            local = _session(session, facts)
            return None if local is None else to_utc(local, facts.cohort_timezone)
        case Relative():
            return _relative(when, facts)
        case AfterIntervention():
            return _after_intervention(when, facts)


def _relative(when: Relative, facts: LearnerFacts) -> datetime | None:
    local = _session(when.session, facts)
    if local is None:
        return None
    step = _UNIT[when.unit] * when.amount
    moved = local + step if when.direction == "after" else local - step
    if when.at is None:
        return to_utc(moved, facts.cohort_timezone)
    return to_utc(datetime.combine(moved.date(), when.at), facts.learner_timezone)


def _after_intervention(when: AfterIntervention, facts: LearnerFacts) -> datetime | None:
    # What follows a test builds on its result ("you did the insight test: ..."): it waits
    # until the learner finished the test, not only until the test was sent.
    moments = facts.done_at if when.intervention in facts.counted_from_done else facts.delivered_at
    start = moments.get(when.intervention)
    if start is None:
        return None
    moved = to_local(start, facts.learner_timezone) + timedelta(days=when.days)
    if when.at is not None:
        moved = datetime.combine(moved.date(), when.at)
    return to_utc(moved, facts.learner_timezone)


def _every(when: Every, facts: LearnerFacts) -> Iterator[tuple[date, datetime]]:
    start = _session(when.start_session, facts)
    end = _session(when.end_session, facts)
    if start is None or end is None:
        return
    day = start.date() + timedelta(days=(when.weekday - start.weekday()) % 7)
    at = when.at or facts.default_time
    while day <= end.date():
        yield day, to_utc(datetime.combine(day, at), facts.learner_timezone)
        day += timedelta(days=7)


def _session(session_id: str, facts: LearnerFacts) -> datetime | None:
    """The session's naive cohort-local datetime; None when the cohort has not dated it."""
    local = facts.sessions.get(session_id)
    if local is None or local.tzinfo is None:
        return local
    # Tolerate an aware value (e.g. read back with an offset): its cohort-local wall time counts.
    return to_local(local, facts.cohort_timezone)
