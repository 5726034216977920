"""The planner: one learner's program, cohort dates and history -> dated deliveries.

`plan` is a pure function of its input (no clock reads, no I/O), so the caller can re-plan as
often as it likes (enrolment, first contact, menu choices, pause/resume, moved session dates)
and store the result under unique keys: the same input always gives the same plan. Feeding back
what the dispatcher did (history) leaves the rest of the plan where it was, except where items
that become plannable (follow-ups, `n days after`) take a place under the daily cap;
`moved_by_delivery` says whether a delivery moved anything, so a send need not re-plan.

Steps and the edge cases they decide:

1. Raw times per intervention occurrence (scheduler/timing.py): sessions, `n units before/after`
   on the cohort's wall clock, `at HH:MM` in the learner's timezone, `n days after <id>` from that
   intervention's delivery (from its completion for a test: what follows builds on its result),
   weekly `every` items (occurrence = their learner-local date, the key stays the same when the
   slot moves), `on enrol` at `active_since` (none before the learner started). A `follow_up` is
   planned once its intervention is done, not before its own `when`. Items whose session has no
   date, or whose reference is undelivered (or, for a test, unfinished), are not planned yet.
2. Excluded: optional interventions not chosen, occurrences already delivered, and everything
   while paused (an empty plan: the caller cancels unsent rows).
3. Every time except on-enrol items moves to the next allowed slot in the learner's timezone:
   inside the send window on a workday (scheduler/calendar.py handles DST gaps and folds).
   On-enrol items are `immediate`: part of the conversation the learner opened, exempt from the
   window and the daily cap, and they do not count toward the cap.
4. Missed items: a slotted time before `active_since` (before `now` when the learner has not
   started: the plan is then a projection) is not sent in a burst. Required ones are offered once
   as a catch-up (ids in program order; an id in `catch_up_offered` is not offered again, so a
   recurring item is offered at most once), optional ones are listed in `skipped` every time
   (informational). Items due between `active_since` and `now` keep their time: they are due.
   `catch_up_at` is the next allowed slot at or after max(now, active_since).
5. `max_per_day` per learner-local date: items are taken in order (slotted time, then program
   order, then occurrence); messages delivered that day (history) count, and so do the day's
   `other_messages` (peer feedback and a round's notices, sent or due); the catch-up offer counts
   as one message placed before items due at the same moment, and an item that finds its day full
   moves to the next workday's window start (cascading), so order is kept. The catch-up offer
   moves the same way. `next_free_slot` places a message outside the plan by the same rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from content.model import Intervention, Program
from content.when import OnEnrol
from scheduler.calendar import local_date, next_allowed_slot, next_day_start
from scheduler.timing import LearnerFacts, RawOccurrence, raw_occurrences


@dataclass(frozen=True, slots=True)
class ItemHistory:
    """What already happened to one (intervention, occurrence)."""

    delivered_at: datetime | None = None  # UTC aware: sent to the learner
    done_at: datetime | None = None  # learner completed it


@dataclass(frozen=True, slots=True)
class PlanInput:
    """Everything a learner's plan depends on; datetimes are aware UTC unless said otherwise."""

    program: Program
    sessions: Mapping[str, datetime]  # session id -> NAIVE local datetime in cohort_timezone
    cohort_timezone: str  # IANA
    learner_timezone: str  # IANA (the participant's own, or the cohort's)
    chosen: frozenset[str]  # chosen optional intervention ids
    active_since: datetime | None  # first contact or last resume; None = not started
    paused: bool
    history: Mapping[tuple[str, str], ItemHistory]  # (intervention_id, occurrence) -> history
    catch_up_offered: frozenset[str]  # intervention ids already offered as catch-up once
    now: datetime
    # Messages outside the plan that count toward the daily cap (a colleague's feedback, a
    # round's reminder), sent or due: they take their day's places before planned items do.
    other_messages: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    intervention_id: str
    occurrence: str  # "" or the learner-local date "2027-01-15" of a recurring item
    due_at: datetime  # UTC aware
    immediate: bool = False  # on-enrol items: part of the conversation, not bound to window/cap


@dataclass(frozen=True, slots=True)
class Plan:
    deliveries: tuple[PlannedDelivery, ...]  # ordered by due_at; only NOT yet delivered items
    catch_up: tuple[str, ...]  # missed required ids to offer (not offered before)
    catch_up_at: datetime | None  # when to send the catch-up offer (next allowed slot)
    skipped: tuple[str, ...]  # missed optional ids (informational)


EMPTY_PLAN = Plan(deliveries=(), catch_up=(), catch_up_at=None, skipped=())

_CATCH_UP_RANK = -1  # the catch-up offer goes before items due at the same moment


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An occurrence on its way through the steps; `rank` is the intervention's program order."""

    due_at: datetime
    rank: int
    occurrence: str
    intervention_id: str
    immediate: bool


def plan(data: PlanInput) -> Plan:
    """The learner's not-yet-delivered deliveries, and what was missed (see the module steps)."""
    _check_input(data)
    if data.paused:
        return EMPTY_PLAN
    pending = _pending(data)
    start = data.active_since or data.now
    current = [item for item in pending if item.immediate or item.due_at >= start]
    missed = _missed_ids(item for item in pending if not item.immediate and item.due_at < start)
    catch_up = tuple(
        item_id
        for item_id in missed
        if data.program.intervention(item_id).required and item_id not in data.catch_up_offered
    )
    skipped = tuple(item_id for item_id in missed if not data.program.intervention(item_id).required)
    catch_up_at = _catch_up_slot(data) if catch_up else None
    deliveries, catch_up_at = _apply_cap(current, catch_up_at, data)
    return Plan(deliveries=deliveries, catch_up=catch_up, catch_up_at=catch_up_at, skipped=skipped)


def next_free_slot(data: PlanInput, moment: datetime) -> datetime:
    """When a message outside the plan (`other_messages`) may reach the learner: the first
    allowed slot at or after `moment` on a day whose cap is not yet taken by what was delivered
    and by the other messages. Planned items still waiting make room: a re-plan that counts the
    new message moves them on."""
    _check_input(data)
    return _place(_slot(moment, data), _delivered_per_day(data), data)


def moved_by_delivery(data: PlanInput, item: tuple[str, str]) -> bool:
    """Whether the first delivery of `item` (intervention id, occurrence), recorded in
    `data.history`, changes the plan beyond taking `item` out of it: an item counted from it
    (`n days after <item>`), a day's cap it fills on another day than planned, a catch-up to
    offer. A caller whose outbox holds the plan from before the delivery writes only when this
    is true: most sends move nothing (a re-plan then reads and compares every planned row).
    Before first contact the plan is a projection from `now`, which may have moved: true."""
    entry = data.history.get(item)
    if data.active_since is None or entry is None or entry.delivered_at is None:
        return True
    undelivered = replace(data, history={**data.history, item: replace(entry, delivered_at=None)})
    rest = tuple(d for d in plan(undelivered).deliveries if (d.intervention_id, d.occurrence) != item)
    after = plan(data)
    return bool(after.catch_up) or after.deliveries != rest


def _pending(data: PlanInput) -> list[_Candidate]:
    """Chosen, undelivered occurrences at their slotted times, in planning order."""
    items = {item.id: item for item in data.program.interventions}
    ranks = {item.id: rank for rank, item in enumerate(data.program.interventions)}
    candidates = [
        _slotted(raw, ranks[raw.intervention_id], data)
        for raw in raw_occurrences(data.program, _facts(data))
        if _wanted(items[raw.intervention_id], data) and not _delivered(raw, data)
    ]
    return sorted(candidates, key=_order)


def _facts(data: PlanInput) -> LearnerFacts:
    singles = {item_id: entry for (item_id, occurrence), entry in data.history.items() if not occurrence}
    return LearnerFacts(
        sessions=data.sessions,
        cohort_timezone=data.cohort_timezone,
        learner_timezone=data.learner_timezone,
        default_time=data.program.send_window.start,
        active_since=data.active_since,
        delivered_at={key: entry.delivered_at for key, entry in singles.items() if entry.delivered_at},
        done_at={key: entry.done_at for key, entry in singles.items() if entry.done_at},
        counted_from_done=frozenset(
            item.id for item in data.program.interventions if item.type == "assessment"
        ),
    )


def _wanted(item: Intervention, data: PlanInput) -> bool:
    return item.required or item.id in data.chosen


def _delivered(raw: RawOccurrence, data: PlanInput) -> bool:
    entry = data.history.get((raw.intervention_id, raw.occurrence))
    return entry is not None and entry.delivered_at is not None


def _slotted(raw: RawOccurrence, rank: int, data: PlanInput) -> _Candidate:
    due_at = raw.due_at if raw.immediate else _slot(raw.due_at, data)
    return _Candidate(due_at, rank, raw.occurrence, raw.intervention_id, raw.immediate)


def _slot(moment: datetime, data: PlanInput) -> datetime:
    program = data.program
    return next_allowed_slot(
        moment, timezone=data.learner_timezone, window=program.send_window, workdays=program.workdays
    )


def _order(item: _Candidate) -> tuple[datetime, int, str]:
    return (item.due_at, item.rank, item.occurrence)


def _missed_ids(missed: Iterable[_Candidate]) -> tuple[str, ...]:
    """Each missed intervention once, in program order (a recurring item may miss several)."""
    ranked = {item.intervention_id: item.rank for item in missed}
    return tuple(sorted(ranked, key=ranked.__getitem__))


def _catch_up_slot(data: PlanInput) -> datetime:
    start = data.now if data.active_since is None else max(data.now, data.active_since)
    return _slot(start, data)


def _apply_cap(
    current: list[_Candidate], catch_up_at: datetime | None, data: PlanInput
) -> tuple[tuple[PlannedDelivery, ...], datetime | None]:
    """Place items day by day under `max_per_day`; returns the deliveries and the catch-up time."""
    counts = _delivered_per_day(data)
    queue = list(current)
    if catch_up_at is not None:
        queue = sorted([*queue, _Candidate(catch_up_at, _CATCH_UP_RANK, "", "", False)], key=_order)
    placed: list[tuple[datetime, int, PlannedDelivery]] = []
    for position, item in enumerate(queue):
        due_at = item.due_at if item.immediate else _place(item.due_at, counts, data)
        if item.rank == _CATCH_UP_RANK:
            catch_up_at = due_at
            continue
        delivery = PlannedDelivery(item.intervention_id, item.occurrence, due_at, item.immediate)
        placed.append((due_at, position, delivery))
    placed.sort(key=lambda entry: (entry[0], entry[1]))
    return tuple(delivery for _, _, delivery in placed), catch_up_at


def _place(due_at: datetime, counts: Counter[date], data: PlanInput) -> datetime:
    """`due_at`, or the first later workday start with room; books the message on that day."""
    program = data.program
    day = local_date(due_at, data.learner_timezone)
    while counts[day] >= program.max_per_day:
        due_at = next_day_start(
            day, timezone=data.learner_timezone, window=program.send_window, workdays=program.workdays
        )
        day = local_date(due_at, data.learner_timezone)
    counts[day] += 1
    return due_at


def _delivered_per_day(data: PlanInput) -> Counter[date]:
    """Messages per learner-local date: delivered items (on-enrol items do not count) and the
    messages outside the plan."""
    immediate = {item.id for item in data.program.interventions if isinstance(item.when, OnEnrol)}
    delivered = [
        entry.delivered_at
        for (item_id, _), entry in data.history.items()
        if entry.delivered_at is not None and item_id not in immediate
    ]
    return Counter(local_date(moment, data.learner_timezone) for moment in [*delivered, *data.other_messages])


def _check_input(data: PlanInput) -> None:
    # Naive datetimes would silently be read as the server's local time; fail naming the field.
    named = [("now", data.now), ("active_since", data.active_since)]
    named += [(f"history[{key}].delivered_at", entry.delivered_at) for key, entry in data.history.items()]
    named += [(f"history[{key}].done_at", entry.done_at) for key, entry in data.history.items()]
    named += [(f"other_messages[{n}]", moment) for n, moment in enumerate(data.other_messages)]
    for name, moment in named:
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"plan input `{name}` must be timezone-aware (UTC)")
    if data.program.max_per_day < 1:
        raise ValueError(f"program {data.program.id!r}: max_per_day must be at least 1")
