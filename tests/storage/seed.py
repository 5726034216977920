"""Small builders of the rows storage tests need: a cohort, people, identities, enrolments,
a manager, and a learner's history in every table that holds personal data."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text as sql

from bot.storage.db import Database
from bot.storage.models import (
    CaseMessage,
    CoachCase,
    Cohort,
    Delivery,
    Enrolment,
    PeerFeedback,
    PeerRound,
    Person,
    Progress,
    Prompt,
    Response,
)

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
    awaiting: dict[str, str] | None = None,
) -> Learner:
    """A person with an identity per platform (those in `blocked` blocked the bot), enrolled
    in a cohort; the enrolment is started unless `active` is False. With `awaiting`, the
    enrolment is written as before migration 0005, awaiting that reflection."""
    number = next(_numbers)
    async with db.transaction() as session:
        if awaiting is not None:  # the schema of 0003: the cohort without the columns added since
            cohort = "INSERT INTO cohorts (id, program_id, timezone, sessions, imported_at)"
            cohort += " SELECT 'c1', 'p', 'Europe/Amsterdam', '{}', :now"
            cohort += " WHERE NOT EXISTS (SELECT 1 FROM cohorts WHERE id = 'c1')"
            await session.exec(sql(cohort), params={"now": NOW})  # type: ignore[call-overload]
        elif await session.get(Cohort, "c1") is None:
            session.add(Cohort(id="c1", program_id="p", timezone="Europe/Amsterdam", imported_at=NOW))
        person = Person(email=f"learner{number}@example.com", name=f"Learner {number}", created_at=NOW)
        session.add(person)
        await session.flush()
        assert person.id is not None
        for platform in platforms:
            # Written as every schema since 0001 has it (no handle): the migration tests seed with it.
            identity = "INSERT INTO identities (person_id, platform, external_id, blocked_at, created_at)"
            identity += " VALUES (:person, :platform, :external_id, :blocked_at, :now)"
            values = {
                "person": person.id,
                "platform": platform,
                "external_id": f"{platform}-{number}",
                "blocked_at": EARLIER if platform in blocked else None,
                "now": NOW,
            }
            await session.exec(sql(identity), params=values)  # type: ignore[call-overload]
        if awaiting is not None:
            statement = sql(
                "INSERT INTO enrolments (cohort_id, person_id, active_since, chosen, development_points,"
                " awaiting, catch_up_offered, created_at) VALUES ('c1', :person, :since, '[]', '[]',"
                " :awaiting, '[]', :now) RETURNING id"
            )
            values = {"person": person.id, "since": EARLIER, "awaiting": json.dumps(awaiting), "now": NOW}
            enrolment_id = (await session.exec(statement, params=values)).scalar_one()  # type: ignore[call-overload]
            return Learner(person_id=person.id, enrolment_id=enrolment_id)
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


async def add_manager(db: Database, *learners: Learner) -> int:
    """A person who manages `learners` (their enrolments' manager, a member of the cohort
    as manager); their person id."""
    number = next(_numbers)
    async with db.transaction() as session:
        manager = Person(email=f"manager{number}@example.com", name=f"Manager {number}", created_at=NOW)
        session.add(manager)
        await session.flush()
        assert manager.id is not None
        # Written as every schema since 0003 has it (no `lead`): the migration tests seed with it.
        member = "INSERT INTO cohort_members (cohort_id, person_id, role) VALUES ('c1', :person, 'manager')"
        await session.exec(sql(member), params={"person": manager.id})  # type: ignore[call-overload]
        for learner in learners:  # by SQL too: the ORM would ask for columns newer than 0003
            link = "UPDATE enrolments SET manager_id = :manager WHERE id = :enrolment"
            values = {"manager": manager.id, "enrolment": learner.enrolment_id}
            await session.exec(sql(link), params=values)  # type: ignore[call-overload]
        return manager.id


async def add_history(
    db: Database, learner: Learner, *, text: str = "what I learnt", prompt: bool = True, case: bool = True
) -> None:
    """A row of the learner's in each table of theirs: a planned intervention and a reply
    (whose payload holds `text`), progress, a reflection answered with `text`, an invite, an
    open text prompt."""
    number = next(_numbers)
    person_id, enrolment_id = learner.person_id, learner.enrolment_id
    async with db.transaction() as session:
        planned = Delivery(
            key=f"i:{number}",
            person_id=person_id,
            enrolment_id=enrolment_id,
            kind="intervention",
            intervention_id="r1",
            due_at=NOW,
            created_at=NOW,
        )
        to = ["console", f"console-{number}"]
        reply = Delivery(
            key=f"reply:{number}",
            person_id=person_id,
            kind="reply",
            due_at=NOW,
            payload={"to": to, "text": f"You wrote: {text}"},
            created_at=NOW,
        )
        progress = Progress(enrolment_id=enrolment_id, intervention_id="r1", state={"correct": 1})
        response = Response(
            enrolment_id=enrolment_id, intervention_id="r1", kind="reflection", text=text, created_at=NOW
        )
        session.add_all([planned, reply, progress, response])
        # Written as every schema since 0003 has it (no person_id): the migration tests seed with it.
        invite = "INSERT INTO invites (token_hash, enrolment_id, expires_at, created_at)"
        invite += " VALUES (:token, :enrolment, :expires, :now)"
        values = {"token": f"{number:064x}", "enrolment": enrolment_id, "expires": LATER, "now": NOW}
        await session.exec(sql(invite), params=values)  # type: ignore[call-overload]
        if prompt:  # there is no prompts table before migration 0005
            session.add(Prompt(person_id=person_id, delivery_key=f"i:{number}", kind="text", opened_at=NOW))
        if case:  # nor coach cases before 0006
            asked = CoachCase(
                cohort_id="c1", person_id=person_id, status="open", description=text, opened_at=NOW
            )
            session.add(asked)
            await session.flush()
            assert asked.id is not None
            said = CaseMessage(
                case_id=asked.id, author_id=person_id, author_role="learner", text=text, written_at=NOW
            )
            session.add(said)
            # Peer feedback (0008) given by the learner (to themselves: the seed has no partner).
            round_ = PeerRound(
                key=f"c1:peer-{number}", cohort_id="c1", intervention_id="p1", started_at=NOW, closes_at=LATER
            )
            session.add(round_)
            await session.flush()
            assert round_.id is not None
            given = PeerFeedback(
                round_id=round_.id, group_no=0, giver_id=person_id, receiver_id=person_id, answers=[text]
            )
            session.add(given)
