"""The console chat (bot/console.py) for anyone on a roster: whom `coachbot chat --as` is, and two
terminals on one database, a learner and their coach, each seeing only their own messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.cohorts import import_roster
from bot.console import find_person
from bot.domain.errors import CoachbotError
from bot.i18n import translate
from bot.settings import BUNDLED_CONTENT
from bot.storage.db import Database
from bot.storage.models import Delivery, Enrolment, Identity, Person
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.fakes.console_learner import ConsoleLearner

ROSTER = BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml"
DEMO, COACH = "demo@coachbot.example", "coach@acme.example"
START = datetime(2027, 1, 4, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
ROLE_ANSWER = translate("nl", "role.coach", name="Carla", cohorts="fb-2027-q1")


@pytest.fixture
async def url(tmp_path: Path, programs: dict[str, Program]) -> str:
    """A database with the demo cohort imported."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    async with Database(url) as database:
        await import_roster(database, parse_roster(ROSTER, programs), programs, now=START)
    return url


async def test_anyone_on_a_roster_is_found_with_their_timezone(url: str) -> None:
    async with Database(url) as database:
        coach = await find_person(database, "Coach@Acme.example")
        bram = await find_person(database, "bram@acme.example")
        with pytest.raises(CoachbotError) as unknown:
            await find_person(database, "x@acme.example")
        async with database.transaction() as session:
            carla = (await session.exec(select(Person).where(Person.email == COACH))).one()
    assert (coach.person_id, coach.timezone) == (carla.id, ZoneInfo("Europe/Amsterdam"))  # the cohort's
    assert bram.timezone == ZoneInfo("Europe/London")  # his own
    assert str(unknown.value) == "nobody on an imported roster has the e-mail 'x@acme.example'"


async def test_a_coach_in_the_console_is_linked_gets_the_role_answer_and_is_not_enrolled(
    url: str, programs: dict[str, Program]
) -> None:
    async with ConsoleLearner(
        database_url=url, email=COACH, clock=FrozenClock(START), programs=programs
    ) as coach:
        opened = await coach.open()
        said = await coach.say("hallo")
    assert [message.text for message in opened + said] == [ROLE_ANSWER, ROLE_ANSWER]
    async with Database(url) as database, database.transaction() as session:
        person = (await session.exec(select(Person).where(Person.email == COACH))).one()
        identities = (await session.exec(select(Identity).where(Identity.person_id == person.id))).all()
        enrolments = (await session.exec(select(Enrolment).where(Enrolment.person_id == person.id))).all()
    assert [(identity.platform, identity.external_id) for identity in identities] == [("console", COACH)]
    assert enrolments == []


async def test_two_terminals_a_learner_and_their_coach_each_see_only_their_own_messages(
    url: str, programs: dict[str, Program]
) -> None:
    learner_clock, coach_clock = FrozenClock(START), FrozenClock(START + timedelta(weeks=2))
    async with (
        ConsoleLearner(database_url=url, email=DEMO, clock=learner_clock, programs=programs) as learner,
        ConsoleLearner(database_url=url, email=COACH, clock=coach_clock, programs=programs) as coach,
    ):
        welcome = await learner.open()  # the kick-off starts; the learner's next weeks are planned
        assert welcome[0].text == programs["feedback-geven"].welcome
        # The coach's terminal is two weeks ahead: what falls due for the learner by then is theirs.
        assert [message.text for message in await coach.open()] == [ROLE_ANSWER]
        await coach.app.dispatcher.run_due()
        assert await coach.wait(timedelta(days=1)) == []
        assert [message.text for message in coach.sent] == [ROLE_ANSWER]
        async with Database(url) as database, database.transaction() as session:
            sent = (await session.exec(select(Delivery).where(Delivery.status == "sent"))).all()
        assert len(sent) == len(welcome) + 1  # the learner's messages, and the coach's answer
        # The learner's own terminal delivers the learner's messages, in the learner's time.
        assert await learner.wait(timedelta(days=9))
        assert ROLE_ANSWER not in [message.text for message in learner.sent]
