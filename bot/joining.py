"""Personal join links for a cohort: one fresh invite token per participant, coach or manager,
as a deep link.

Tokens are stored only as hashes, so they cannot be shown again later: every run issues new
links, and each person's earlier unused link stops working (see `bot.storage.invites`). A
learner's link is for their enrolment; a coach's or manager's links the chat to the person only,
so nobody is enrolled by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.domain.errors import CoachbotError
from bot.storage import invites
from bot.storage.db import Database
from bot.storage.models import Cohort, Person
from bot.storage.repository import Session, enrolments_of_cohort, people_with_role

InviteRole = Literal["learner", "coach", "manager"]


@dataclass(frozen=True, slots=True)
class InviteLink:
    """One person's personal link to join the bot, valid once until `expires_at`."""

    email: str
    name: str
    link: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class _Invitee:
    person: Person
    enrolment_id: int | None  # None: a coach or manager, invited as themselves


def deep_link(bot_username: str, token: str) -> str:
    """Telegram's link that opens the bot and sends `/start <token>` when pressed."""
    return f"https://t.me/{bot_username}?start={token}"


async def issue_links(
    database: Database,
    *,
    cohort_id: str,
    bot_username: str,
    now: datetime,
    valid_for: timedelta,
    role: InviteRole = "learner",
) -> list[InviteLink]:
    """A new link for everyone of `role` still on the cohort's roster, in roster order."""
    links: list[InviteLink] = []
    expires_at = now + valid_for
    async with database.transaction() as session:
        if await session.get(Cohort, cohort_id) is None:
            raise CoachbotError(f"there is no cohort {cohort_id!r} (see `coachbot cohort list`)")
        for invitee in await _invitees(session, cohort_id, role):
            token = await _issue(session, invitee, now=now, expires_at=expires_at)
            person = invitee.person
            links.append(InviteLink(person.email, person.name, deep_link(bot_username, token), expires_at))
    return links


async def _invitees(session: Session, cohort_id: str, role: InviteRole) -> list[_Invitee]:
    if role != "learner":
        return [_Invitee(person, None) for person in await people_with_role(session, cohort_id, role)]
    invitees = []
    for enrolment in await enrolments_of_cohort(session, cohort_id):
        person = await session.get(Person, enrolment.person_id)
        if enrolment.removed_at is None and enrolment.id is not None and person is not None:
            invitees.append(_Invitee(person, enrolment.id))
    return invitees


async def _issue(session: Session, invitee: _Invitee, *, now: datetime, expires_at: datetime) -> str:
    if invitee.enrolment_id is not None:
        return await invites.issue(session, enrolment_id=invitee.enrolment_id, now=now, expires_at=expires_at)
    assert invitee.person.id is not None, "people on a roster are stored"
    return await invites.issue_for_person(
        session, person_id=invitee.person.id, now=now, expires_at=expires_at
    )
