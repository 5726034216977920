"""Chasing coach cases: whoever a waiting learner depends on is reminded, each reminder once.

The scheduler runs `chase_cases` every minute (bot/app.py); it works on the cases' durable
state (their *_chased_at and *_told_at moments) and writes reminders as outbox rows with unique
keys, so a restart or a second instance neither drops nor repeats one.
"""

from __future__ import annotations

from datetime import datetime

from bot.storage import cases, outbox
from bot.storage.models import CoachCase, Cohort, Person
from bot.storage.repository import Session
from scheduler.working_hours import add_working_hours

WORKING_DAY_HOURS = 8.0  # a claimed case whose learner waits this long for their coach: a reminder


async def chase_cases(session: Session, *, now: datetime) -> int:
    """Remind whoever a waiting learner depends on, each reminder once (the case's *_chased_at
    and *_told_at moments, and the rows' unique keys, hold across restarts and instances).

    Nobody claimed within the cohort's `coach_response_hours` (working hours of its timezone):
    the coaches are reminded and the learner told it takes longer; after twice that, the lead
    coach is told. A claimed case whose learner waits a working day for an answer: its coach is
    reminded. Returns the number of reminders written."""
    written = 0
    for case in await cases.all_cases(session, unfinished_only=True):
        cohort = await session.get(Cohort, case.cohort_id)
        if cohort is None or case.status == cases.ASKING:
            continue
        written += await _chase(session, case, cohort, now=now)
    return written


async def _chase(session: Session, case: CoachCase, cohort: Cohort, *, now: datetime) -> int:
    hours, zone = cohort.coach_response_hours, cohort.timezone
    coaches = await cases.coaches_of(session, cohort.id)
    notices: list[tuple[str, int, str]] = []  # (key, person id, i18n key)
    if (
        case.status == cases.OPEN
        and case.coaches_chased_at is None
        and now >= add_working_hours(case.opened_at, hours, timezone=zone)
    ):
        case.coaches_chased_at = now
        notices += [(f"case:{case.id}:chase:{coach.id}", _id(coach), "coach.chase") for coach, _ in coaches]
        notices.append((f"case:{case.id}:slow", case.person_id, "coach.slow"))
    if (
        case.status == cases.OPEN
        and case.lead_told_at is None
        and now >= add_working_hours(case.opened_at, 2 * hours, timezone=zone)
    ):
        case.lead_told_at = now
        lead = next((coach for coach, is_lead in coaches if is_lead), coaches[0][0] if coaches else None)
        if lead is not None:
            notices.append((f"case:{case.id}:lead", _id(lead), "coach.lead"))
    waiting_since = await _learner_waiting_since(session, case)
    if (
        case.status == cases.CLAIMED
        and case.coach_id is not None
        and case.coach_chased_at is None
        and waiting_since is not None
        and now >= add_working_hours(waiting_since, WORKING_DAY_HOURS, timezone=zone)
    ):
        case.coach_chased_at = now
        # Keyed by coach: a case handed over gets its own reminder to its new coach.
        key = f"case:{case.id}:nudge-coach:{case.coach_id}"
        notices.append((key, case.coach_id, "coach.chase_claimed"))
    session.add(case)
    for key, person_id, say in notices:
        payload = {"case": case.id, "say": say}
        await outbox.enqueue(
            session, key=key, person_id=person_id, kind="case_notice", due_at=now, payload=payload, now=now
        )
    return len(notices)


async def _learner_waiting_since(session: Session, case: CoachCase) -> datetime | None:
    """Since when the learner waits for their coach: the claim or the learner's first message
    after the coach's last one; None when the coach spoke last."""
    messages = await cases.messages_of(session, _id(case))
    last_coach = max((m.written_at for m in messages if m.author_role == "coach"), default=None)
    if last_coach is None:
        return case.claimed_at
    after = [m.written_at for m in messages if m.author_role == "learner" and m.written_at > last_coach]
    return min(after, default=None)


def _id(row: Person | CoachCase) -> int:
    assert row.id is not None
    return row.id
