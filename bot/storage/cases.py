"""Coach cases in storage: open one, claim it (one owner, whoever presses first), relay its
messages, close it. Queries only; what to say is the flows' (bot/flows/coaching.py).

A claim is one conditional UPDATE (`status = 'open'`): two coaches pressing at once, in one
process or two, give exactly one owner, on SQLite (writers take turns) and PostgreSQL (the
second UPDATE waits for the first and then finds the case no longer open).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from sqlalchemy import update
from sqlmodel import col, select

from bot.storage.models import CaseMessage, CoachCase, CohortMember, Delivery, Person
from bot.storage.repository import Session

ASKING: Final = "asking"  # the learner is describing what it is about
OPEN: Final = "open"  # posted to the coaches, nobody claimed it yet
CLAIMED: Final = "claimed"
CLOSED: Final = "closed"
UNFINISHED: Final = (ASKING, OPEN, CLAIMED)


async def current_case(session: Session, person_id: int) -> CoachCase | None:
    """The learner's case that is not closed, if any (a learner has at most one)."""
    statement = select(CoachCase).where(
        col(CoachCase.person_id) == person_id, col(CoachCase.status).in_(UNFINISHED)
    )
    return (await session.exec(statement.order_by(col(CoachCase.id).desc()))).first()


async def start_case(session: Session, *, cohort_id: str, person_id: int, now: datetime) -> CoachCase:
    case = CoachCase(cohort_id=cohort_id, person_id=person_id, status=ASKING, opened_at=now)
    session.add(case)
    await session.flush()
    return case


async def claim(session: Session, case_id: int, *, coach_id: int, now: datetime) -> bool:
    """Make `coach_id` the case's coach if nobody is; True if this claim won."""
    statement = (
        update(CoachCase)
        .where(col(CoachCase.id) == case_id, col(CoachCase.status) == OPEN)
        .values(status=CLAIMED, coach_id=coach_id, claimed_at=now)
    )
    return (await session.exec(statement)).rowcount == 1


async def cases_of_coach(session: Session, coach_id: int, *, closed_too: bool = False) -> list[CoachCase]:
    """The coach's claimed cases, oldest claim first (with `closed_too`, the ones they closed)."""
    statuses = (CLAIMED, CLOSED) if closed_too else (CLAIMED,)
    statement = select(CoachCase).where(
        col(CoachCase.coach_id) == coach_id, col(CoachCase.status).in_(statuses)
    )
    return list((await session.exec(statement.order_by(col(CoachCase.claimed_at)))).all())


async def unclaim(session: Session, case_id: int, *, coach_id: int) -> bool:
    """Hand `coach_id`'s claimed case back, open for any coach again; True if it was theirs."""
    values = {"status": OPEN, "coach_id": None, "claimed_at": None, "coach_chased_at": None}
    return await _change_claimed(session, case_id, coach_id=coach_id, values=values)


async def hand_over(session: Session, case_id: int, *, coach_id: int, to: int, now: datetime) -> bool:
    """Give `coach_id`'s claimed case to the coach `to`; True if it was theirs to give."""
    values = {"coach_id": to, "claimed_at": now, "coach_chased_at": None}
    return await _change_claimed(session, case_id, coach_id=coach_id, values=values)


async def _change_claimed(
    session: Session, case_id: int, *, coach_id: int, values: Mapping[str, object]
) -> bool:
    # Conditional, like a claim: a case closed or handed on meanwhile is left as it is.
    statement = (
        update(CoachCase)
        .where(
            col(CoachCase.id) == case_id,
            col(CoachCase.status) == CLAIMED,
            col(CoachCase.coach_id) == coach_id,
        )
        .values(**values)
    )
    return (await session.exec(statement)).rowcount == 1


async def add_message(
    session: Session, case: CoachCase, *, author: Person, role: str, text: str, now: datetime
) -> CaseMessage:
    assert case.id is not None
    message = CaseMessage(case_id=case.id, author_id=author.id, author_role=role, text=text, written_at=now)
    session.add(message)
    if role == "coach" and case.first_answer_at is None:
        case.first_answer_at = now
        session.add(case)
    await session.flush()
    return message


async def coaches_of(session: Session, cohort_id: str) -> list[tuple[Person, bool]]:
    """The cohort's coaches with whether each is the lead, in roster order."""
    statement = (
        select(Person, CohortMember.lead)
        .join(CohortMember, col(CohortMember.person_id) == col(Person.id))
        .where(col(CohortMember.cohort_id) == cohort_id, col(CohortMember.role) == "coach")
        .order_by(col(CohortMember.id))
    )
    return [(person, bool(lead)) for person, lead in (await session.exec(statement)).all()]


async def all_cases(
    session: Session, *, cohort_id: str | None = None, unfinished_only: bool = False
) -> list[CoachCase]:
    statement = select(CoachCase)
    if cohort_id is not None:
        statement = statement.where(col(CoachCase.cohort_id) == cohort_id)
    if unfinished_only:
        statement = statement.where(col(CoachCase.status).in_(UNFINISHED))
    return list((await session.exec(statement.order_by(col(CoachCase.id)))).all())


async def messages_of(session: Session, case_id: int) -> list[CaseMessage]:
    statement = select(CaseMessage).where(col(CaseMessage.case_id) == case_id).order_by(col(CaseMessage.id))
    return list((await session.exec(statement)).all())


async def sent_posts(session: Session, case_id: int, *, kind: str) -> list[Delivery]:
    """The case's posts (rows `case:<id>:post:...` of `kind`) that a platform has, in order."""
    statement = select(Delivery).where(
        col(Delivery.kind) == kind,
        col(Delivery.key).startswith(f"case:{case_id}:post:"),
        col(Delivery.platform_message_id).is_not(None),
    )
    return list((await session.exec(statement.order_by(col(Delivery.id)))).all())


async def case_of_message(
    session: Session, *, platform: str, message_id: str, kinds: tuple[str, ...]
) -> int | None:
    """The case whose sent message (a post, relay or notice: `kinds`) this platform id names."""
    statement = select(Delivery).where(
        col(Delivery.platform) == platform,
        col(Delivery.platform_message_id) == message_id,
        col(Delivery.kind).in_(kinds),
    )
    found = (await session.exec(statement)).first()
    case_id = found.payload.get("case") if found is not None else None
    return case_id if isinstance(case_id, int) else None


async def history_of_person(session: Session, person_id: int) -> list[CoachCase]:
    """A learner's cases, newest first, closed ones included (their own /cases view)."""
    statement = select(CoachCase).where(col(CoachCase.person_id) == person_id)
    return list((await session.exec(statement.order_by(col(CoachCase.id).desc()))).all())
