"""Peer-feedback rounds in storage: who can take part, the pairing history, forming a round
once, and each member's feedback row. Queries only; what to say is bot/flows/peers.py's.

A round is formed by the first of its members' introductions to be rendered: `form_round`
inserts it with `ON CONFLICT DO NOTHING` on its key, so two dispatchers rendering two members
at once form it once (PostgreSQL: the second insert waits for the first and then finds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlmodel import col, select

from bot.storage.db import insert_ignoring
from bot.storage.models import Delivery, Enrolment, Identity, PeerFeedback, PeerRound
from bot.storage.repository import Session

WAITING: Final = "waiting"  # nothing written yet
WRITING: Final = "writing"  # answering the prompts
CONFIRMING: Final = "confirming"  # shown whole: send, or write again
GIVEN: Final = "given"  # sent to the receiver

# The round's outbox rows: messages outside a learner's plan that count toward their daily cap.
FEEDBACK_KIND: Final = "peer_feedback"  # the giver's feedback, to the receiver
NOTICE_KIND: Final = "peer_notice"  # a thank-you, a reminder, a round closed without feedback

_ROUNDS = PeerRound.__table__  # type: ignore[attr-defined]


async def round_of(session: Session, key: str) -> PeerRound | None:
    return (await session.exec(select(PeerRound).where(col(PeerRound.key) == key))).first()


async def active_learners(session: Session, cohort_id: str) -> list[Enrolment]:
    """Who takes part in a round formed now: started, not paused, not removed, not opted out,
    and reachable on some platform (not blocked everywhere)."""
    reachable = (
        select(Identity.id)
        .where(col(Identity.person_id) == col(Enrolment.person_id), col(Identity.blocked_at).is_(None))
        .exists()
    )
    statement = select(Enrolment).where(
        col(Enrolment.cohort_id) == cohort_id,
        col(Enrolment.started_at).is_not(None),
        col(Enrolment.paused_at).is_(None),
        col(Enrolment.removed_at).is_(None),
        col(Enrolment.peers_off).is_(False),
        reachable,
    )
    return list((await session.exec(statement.order_by(col(Enrolment.person_id)))).all())


async def history(session: Session, people: Sequence[int]) -> set[frozenset[int]]:
    """Every pair of `people` who gave one another feedback in any earlier round of any cohort."""
    statement = select(PeerFeedback.giver_id, PeerFeedback.receiver_id).where(
        col(PeerFeedback.giver_id).in_(people)
    )
    return {frozenset(pair) for pair in (await session.exec(statement)).all()}


async def form_round(
    session: Session,
    *,
    key: str,
    cohort_id: str,
    intervention_id: str,
    anonymous: bool,
    groups: Sequence[Sequence[int]],
    now: datetime,
    closes_at: datetime,
) -> PeerRound:
    """The round `key` with `groups`, written once; a round formed already is returned as it is.
    In each group every member gives feedback to the next (a pair: to each other)."""
    values = {
        "key": key,
        "cohort_id": cohort_id,
        "intervention_id": intervention_id,
        "anonymous": anonymous,
        "started_at": now,
        "closes_at": closes_at,
    }
    statement = insert_ignoring(session, _ROUNDS, [values], unique=["key"]).returning(_ROUNDS.c.id)
    inserted = (await session.exec(statement)).scalars().first()
    if inserted is None:
        formed = await round_of(session, key)
        assert formed is not None
        return formed
    round_id = int(inserted)
    for number, members in enumerate(groups):
        for index, giver in enumerate(members):
            receiver = members[(index + 1) % len(members)]
            session.add(
                PeerFeedback(round_id=round_id, group_no=number, giver_id=giver, receiver_id=receiver)
            )
    await session.flush()
    formed = await session.get(PeerRound, round_id)
    assert formed is not None
    return formed


async def feedback_of_round(session: Session, round_id: int) -> list[PeerFeedback]:
    statement = select(PeerFeedback).where(col(PeerFeedback.round_id) == round_id)
    return list((await session.exec(statement.order_by(col(PeerFeedback.id)))).all())


async def given_by(session: Session, round_id: int, giver_id: int) -> PeerFeedback | None:
    statement = select(PeerFeedback).where(
        col(PeerFeedback.round_id) == round_id, col(PeerFeedback.giver_id) == giver_id
    )
    return (await session.exec(statement)).first()


async def received_by(session: Session, round_id: int, receiver_id: int) -> PeerFeedback | None:
    statement = select(PeerFeedback).where(
        col(PeerFeedback.round_id) == round_id, col(PeerFeedback.receiver_id) == receiver_id
    )
    return (await session.exec(statement)).first()


async def open_rounds(session: Session) -> list[PeerRound]:
    statement = select(PeerRound).where(col(PeerRound.closed_at).is_(None))
    return list((await session.exec(statement.order_by(col(PeerRound.id)))).all())


async def rounds_of_cohort(session: Session, cohort_id: str) -> list[PeerRound]:
    statement = select(PeerRound).where(col(PeerRound.cohort_id) == cohort_id)
    return list((await session.exec(statement.order_by(col(PeerRound.id)))).all())


async def feedback_of_person(session: Session, person_id: int) -> list[PeerFeedback]:
    """Feedback the person gave or received, given only, oldest first (their /journal)."""
    statement = select(PeerFeedback).where(
        (col(PeerFeedback.giver_id) == person_id) | (col(PeerFeedback.receiver_id) == person_id),
        col(PeerFeedback.status) == GIVEN,
    )
    return list((await session.exec(statement.order_by(col(PeerFeedback.given_at)))).all())


async def introduced(session: Session, formed: PeerRound, person_id: int) -> bool:
    """Whether the person's introduction to the round (their step's row) was sent."""
    statement = select(Delivery.id).where(
        col(Delivery.person_id) == person_id,
        col(Delivery.intervention_id) == formed.intervention_id,
        col(Delivery.status) == "sent",
    )
    return (await session.exec(statement)).first() is not None


async def feedback_sent(session: Session, feedback: PeerFeedback) -> bool:
    """Whether the feedback reached its receiver."""
    statement = select(Delivery.id).where(
        col(Delivery.key) == f"peer:{feedback.id}:given", col(Delivery.status) == "sent"
    )
    return (await session.exec(statement)).first() is not None
