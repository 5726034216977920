"""Personal join links for a cohort: one fresh invite token per participant, as a deep link.

Tokens are stored only as hashes, so they cannot be shown again later: every run issues new
links, and each participant's earlier unused link stops working (see `bot.storage.invites`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.errors import CoachbotError
from bot.storage import invites
from bot.storage.db import Database
from bot.storage.models import Cohort, Person
from bot.storage.repository import enrolments_of_cohort


@dataclass(frozen=True, slots=True)
class InviteLink:
    """One participant's personal link to join the bot, valid once until `expires_at`."""

    email: str
    name: str
    link: str
    expires_at: datetime


def deep_link(bot_username: str, token: str) -> str:
    """Telegram's link that opens the bot and sends `/start <token>` when pressed."""
    return f"https://t.me/{bot_username}?start={token}"


async def issue_links(
    database: Database, *, cohort_id: str, bot_username: str, now: datetime, valid_for: timedelta
) -> list[InviteLink]:
    """A new link for every participant still on the cohort's roster, in roster order."""
    links: list[InviteLink] = []
    async with database.transaction() as session:
        if await session.get(Cohort, cohort_id) is None:
            raise CoachbotError(f"there is no cohort {cohort_id!r} (see `coachbot cohort list`)")
        for enrolment in await enrolments_of_cohort(session, cohort_id):
            person = await session.get(Person, enrolment.person_id)
            if enrolment.removed_at is not None or enrolment.id is None or person is None:
                continue
            expires_at = now + valid_for
            token = await invites.issue(session, enrolment_id=enrolment.id, now=now, expires_at=expires_at)
            links.append(InviteLink(person.email, person.name, deep_link(bot_username, token), expires_at))
    return links
