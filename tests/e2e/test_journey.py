"""Whole trajectories through the console adapter in simulated time, for both bundled programs:
kick-off, menu, every intervention type, a follow-up, pause/resume, a restart in the middle and
the closing comparison."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.cohorts import import_roster
from bot.domain.messages import Identity, Inbound
from bot.i18n import translate
from bot.settings import BUNDLED_CONTENT
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery, Person
from content.model import Program
from content.roster import Roster, parse_roster
from scheduler.clock import FrozenClock
from tests.e2e.journey import ConscientiousLearner
from tests.fakes.console_learner import ConsoleLearner

pytestmark = pytest.mark.slow

COHORTS = BUNDLED_CONTENT.parent / "cohorts"
DEMOS = [
    pytest.param("feedback-geven-demo.yaml", "demo@coachbot.example", id="feedback-geven"),
    pytest.param("delegation-demo.yaml", "demo.en@coachbot.example", id="delegation"),
]


async def _imported(url: str, roster: Roster, programs: dict[str, Program], now: datetime) -> None:
    async with Database(url) as database:
        await import_roster(database, roster, programs, now=now)


def _local(roster: Roster, day_offset: int, at: time) -> datetime:
    first = min(moment for _, moment in roster.sessions)
    return datetime.combine(first.date() + timedelta(days=day_offset), at, tzinfo=ZoneInfo(roster.timezone))


async def _unsent_due(url: str, email: str, now: datetime) -> list[Delivery]:
    """The learner's rows that were due by `now` but not sent (other learners never started)."""
    async with Database(url) as database, database.transaction() as session:
        person = (await session.exec(select(Person).where(Person.email == email))).one()
        rows = (await session.exec(select(Delivery).where(Delivery.person_id == person.id))).all()
    return [row for row in rows if row.status in ("planned", "failed") and row.due_at <= now]


@pytest.mark.parametrize(("roster_file", "email"), DEMOS)
async def test_a_whole_trajectory(
    tmp_path: Path, programs: dict[str, Program], roster_file: str, email: str
) -> None:
    roster = parse_roster(COHORTS / roster_file, programs)
    program = programs[roster.program_id]
    language = program.language
    url = f"sqlite+aiosqlite:///{tmp_path / 'journey.db'}"
    clock = FrozenClock(_local(roster, -8, time(9, 0)))
    await _imported(url, roster, programs, clock.now())
    learner = ConsoleLearner(database_url=url, email=email, clock=clock, programs=programs)
    async with learner:
        bot = ConscientiousLearner(learner, program, language)

        # Kick-off: the welcome, then the insight test; development points and matching modules.
        opened = await learner.open()
        assert opened[0].text == program.welcome
        await bot.answer_all(opened)
        assert bot.kickoff_done
        assert translate(language, "kickoff.result") in learner.transcript()

        # The menu: required parts fixed, optional ones toggled on (planned) and off (cancelled).
        menu = (await learner.say("/menu"))[0]
        assert translate(language, "menu.required") in menu.text
        toggles = [c for c in menu.choices if c.value.startswith("m:")]
        assert len(toggles) >= 2
        first, second = toggles[0].value[2:], toggles[1].value[2:]
        added = await learner.say("1")
        assert program.intervention(first).title in added[0].text
        await learner.say("/menu")
        await learner.say("2")  # add the second ...
        await learner.say("/menu")
        await learner.say("2")  # ... and remove it again
        assert await _status_of(url, second) == {"cancelled"}
        assert "planned" in await _status_of(url, first)

        # Between sessions: a week of interventions, answered as they come.
        await _live_until(bot, learner, _local(roster, 10, time(18, 0)))

        # Pause: nothing arrives; resume: items missed while away are offered once.
        await learner.say("/pause")
        paused = await learner.wait(timedelta(days=5))
        assert paused == []
        resumed = await learner.say("/resume")
        assert translate(language, "resume.done") in resumed[0].text
        await bot.answer_all(resumed)

        # A restart of the whole process in the middle of the programme.
        await _live_until(bot, learner, _local(roster, 24, time(18, 0)))
        await learner.restart()
        await _live_until(bot, learner, _local(roster, 60, time(18, 0)))

        # Every type was delivered; a practice's follow-up reflection came after it was done.
        assert bot.types_delivered() >= {
            "tip",
            "quiz",
            "reflection",
            "practice",
            "peer-feedback",
            "assessment",
        }
        follow_ups = {item.follow_up for item in program.interventions if item.follow_up}
        assert follow_ups & set(bot.delivered)
        assert bot.reflections_written

        # The closing test ends with the before/after comparison per competency.
        transcript = learner.transcript()
        assert translate(language, "closing.result") in transcript
        assert "→" in transcript.split(translate(language, "closing.result"), 1)[1]

        # Nothing twice, nothing lost: each planned item at most once (recurring ones once per
        # occurrence), and nothing due is left unsent.
        keys = [m.delivery_key for m in learner.sent]
        assert len(keys) == len(set(keys))
        assert await _unsent_due(url, email, clock.now()) == []

        journal = await learner.say("/journal")
        assert bot.reflections_written[0] in journal[0].text


async def _live_until(bot: ConscientiousLearner, learner: ConsoleLearner, until: datetime) -> None:
    while learner.clock.now() < until:
        await bot.answer_all(await learner.wait(timedelta(hours=12)))


async def _status_of(url: str, intervention_id: str) -> set[str]:
    async with Database(url) as database, database.transaction() as session:
        rows = (await session.exec(select(Delivery).where(Delivery.intervention_id == intervention_id))).all()
    return {row.status for row in rows}


async def test_a_console_that_died_mid_send_delivers_it_on_the_next_run(
    tmp_path: Path, programs: dict[str, Program]
) -> None:
    """`make demo` killed while sending; the next run resumes at the same simulated moment."""
    roster = parse_roster(COHORTS / "feedback-geven-demo.yaml", programs)
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    clock = FrozenClock(_local(roster, -8, time(9, 0)))
    await _imported(url, roster, programs, clock.now())
    learner = ConsoleLearner(database_url=url, email="demo@coachbot.example", clock=clock, programs=programs)
    async with learner:
        await learner.app.conversation.handle(_hello(clock.now()))
        async with learner.app.database.transaction() as session:
            first = await outbox.claim_next(
                session, now=clock.now(), platforms=["console"], urgent=learner.app.kinds.urgent
            )
        assert first is not None  # ... and the process dies before sending it
        claimed = [first]
    async with learner:
        await learner.open()
    keys = [message.delivery_key for message in learner.sent]
    assert sorted(row.key for row in claimed if row.key in keys) == sorted(row.key for row in claimed)
    assert len(keys) == len(set(keys))
    assert any(key.startswith("plan:") and ":inzichttest:" in key for key in keys)  # the kick-off arrived


def _hello(now: datetime) -> Inbound:
    return Inbound(
        identity=Identity("console", "demo@coachbot.example"), event_id="hello", received_at=now, text="hallo"
    )
