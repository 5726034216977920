"""Re-planning a learner: the pure planner's answer, written to the outbox under unique keys.

Called on every change that moves a learner's future: first contact, menu choices, pause and
resume, a delivery or completion that a follow-up counts from, and moved cohort dates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from bot.flows.turn import Learner
from bot.storage import outbox, peers
from bot.storage.models import Progress
from bot.storage.repository import Session, progress_of
from scheduler.planner import ItemHistory, Plan, PlanInput, moved_by_delivery, next_free_slot, plan

# Rows outside the plan that take a place under the learner's daily cap: a colleague's
# feedback and a round's notices. Answers to what the learner just did (replies) do not.
CAPPED_KINDS: Final = (peers.FEEDBACK_KIND, peers.NOTICE_KIND)


def planned_key(enrolment_id: int, intervention_id: str, occurrence: str) -> str:
    return f"plan:{enrolment_id}:{intervention_id}:{occurrence}"


async def replan(session: Session, learner: Learner, *, now: datetime) -> outbox.PlanChange:
    """Bring the learner's unsent deliveries in line with the plan; offer missed items once."""
    data = await _input(session, learner, await progress_of(session, learner.enrolment_id), now=now)
    return await _write_plan(session, learner, plan(data), now=now)


async def free_slot(session: Session, learner: Learner, moment: datetime) -> datetime:
    """When a message outside the plan may reach the learner: in their send window, on a day
    with room under the cap (scheduler.planner.next_free_slot). Re-plan after writing it."""
    data = await _input(session, learner, await progress_of(session, learner.enrolment_id), now=moment)
    return next_free_slot(data, moment)


async def replan_after_delivery(
    session: Session, learner: Learner, item: tuple[str, str], progress: Sequence[Progress], *, now: datetime
) -> None:
    """`replan` after the first delivery of `item` (intervention id, occurrence), recorded in
    `progress` (the learner's rows), only when that delivery moves the plan: the outbox holds
    the plan from before it, and most sends move nothing (scheduler.planner.moved_by_delivery)."""
    data = await _input(session, learner, progress, now=now)
    if moved_by_delivery(data, item):
        await _write_plan(session, learner, plan(data), now=now)


async def _write_plan(
    session: Session, learner: Learner, result: Plan, *, now: datetime
) -> outbox.PlanChange:
    rows = [
        outbox.PlannedRow(
            key=planned_key(learner.enrolment_id, item.intervention_id, item.occurrence),
            intervention_id=item.intervention_id,
            occurrence=item.occurrence,
            due_at=item.due_at,
        )
        for item in result.deliveries
    ]
    change = await outbox.apply_plan(
        session,
        enrolment_id=learner.enrolment_id,
        person_id=_person_id(learner),
        planned=rows,
        now=now,
    )
    await _offer_catch_up(session, learner, result)
    return change


async def _input(
    session: Session, learner: Learner, progress: Sequence[Progress], *, now: datetime
) -> PlanInput:
    others = await outbox.message_times(session, person_id=learner.person_id, kinds=CAPPED_KINDS)
    return plan_input(learner, progress, now=now, other_messages=others)


def plan_input(
    learner: Learner, progress: Sequence[Progress], *, now: datetime, other_messages: Sequence[datetime] = ()
) -> PlanInput:
    """The planner's input: the learner as loaded, their progress rows (the history) and the
    times of their messages outside the plan that count toward the cap."""
    enrolment = learner.enrolment
    history = {
        (row.intervention_id, row.occurrence): ItemHistory(delivered_at=row.delivered_at, done_at=row.done_at)
        for row in progress
    }
    return PlanInput(
        program=learner.program,
        sessions={sid: datetime.fromisoformat(at) for sid, at in learner.cohort.sessions.items()},
        cohort_timezone=learner.cohort.timezone,
        learner_timezone=learner.timezone,
        chosen=frozenset(enrolment.chosen),
        active_since=enrolment.active_since,
        paused=enrolment.paused_at is not None,
        history=history,
        catch_up_offered=frozenset(enrolment.catch_up_offered),
        now=now,
        other_messages=tuple(other_messages),
    )


async def _offer_catch_up(session: Session, learner: Learner, result: Plan) -> None:
    if not result.catch_up or result.catch_up_at is None or learner.enrolment.active_since is None:
        return  # before first contact the plan is a projection: nothing is offered yet
    items = list(result.catch_up)
    digest = hashlib.sha256(",".join(items).encode()).hexdigest()[:12]
    await outbox.enqueue(
        session,
        key=f"catchup:{learner.enrolment_id}:{digest}",
        person_id=_person_id(learner),
        kind="catch_up",
        due_at=result.catch_up_at,
        payload={"items": items},
        enrolment_id=learner.enrolment_id,
    )
    learner.enrolment.catch_up_offered = [*learner.enrolment.catch_up_offered, *items]
    session.add(learner.enrolment)


def _person_id(learner: Learner) -> int:
    assert learner.person.id is not None
    return learner.person.id
