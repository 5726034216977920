"""Small builders of the rows outbox tests need: a cohort, people, identities, enrolments."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage.db import Database
from bot.storage.models import Cohort, Enrolment, Identity, Person

NOW = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)
LATER = NOW + timedelta(hours=1)

_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Learner:
    person_id: int
    enrolment_id: int


async def add_learner(
    db: Database,
    *,
    platforms: tuple[str, ...] = ("console",),
    blocked: tuple[str, ...] = (),
    active: bool = True,
    paused: bool = False,
    removed: bool = False,
) -> Learner:
    """A person with an identity per platform (those in `blocked` blocked the bot), enrolled
    in a cohort; the enrolment is started unless `active` is False."""
    number = next(_numbers)
    async with db.transaction() as session:
        if await session.get(Cohort, "c1") is None:
            session.add(Cohort(id="c1", program_id="p", timezone="Europe/Amsterdam", imported_at=NOW))
        person = Person(email=f"learner{number}@example.com", name=f"Learner {number}", created_at=NOW)
        session.add(person)
        await session.flush()
        assert person.id is not None
        for platform in platforms:
            blocked_at = EARLIER if platform in blocked else None
            identity = Identity(
                person_id=person.id,
                platform=platform,
                external_id=f"{platform}-{number}",
                blocked_at=blocked_at,
                created_at=NOW,
            )
            session.add(identity)
        enrolment = Enrolment(
            cohort_id="c1",
            person_id=person.id,
            active_since=EARLIER if active else None,
            paused_at=EARLIER if paused else None,
            removed_at=EARLIER if removed else None,
            created_at=NOW,
        )
        session.add(enrolment)
        await session.flush()
        assert enrolment.id is not None
        return Learner(person_id=person.id, enrolment_id=enrolment.id)
