"""The core's seams (issue 14): what a person was asked is durable, rules are added without
editing the chain, every role gets an answer, and a reflection's text lives in one table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.app import App
from bot.cohorts import import_roster
from bot.domain.messages import Outbound
from bot.flows.rules import Event
from bot.i18n import translate
from bot.settings import BUNDLED_CONTENT
from bot.storage.db import Database
from bot.storage.models import Response
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.fakes.apps import demo_app
from tests.fakes.console_learner import ConsoleLearner
from tests.fakes.memory_adapter import MemoryAdapter
from tests.storage.text_search import find_text

ROSTER = BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml"
DEMO = "demo@coachbot.example"
START = datetime(2027, 1, 4, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
async def console_learner(tmp_path: Path, programs: dict[str, Program]) -> AsyncIterator[ConsoleLearner]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'seams.db'}"
    clock = FrozenClock(START)
    async with Database(url) as database:
        await import_roster(database, parse_roster(ROSTER, programs), programs, now=clock.now())
    learner = ConsoleLearner(database_url=url, email=DEMO, clock=clock, programs=programs)
    async with learner:
        yield learner


def _statement(messages: list[Outbound], number: int) -> Outbound:
    return next(m for m in messages if f"Stelling {number}/12" in m.text)


async def test_a_kickoff_quit_half_way_is_answered_after_a_restart(console_learner: ConsoleLearner) -> None:
    opened = await console_learner.open()
    first = _statement(opened, 1)
    await console_learner.say(first.choices[2].key)  # statement 1 answered
    second = _statement(console_learner.sent, 2)
    await console_learner.restart()  # quit in the middle: statement 2 is open
    again = await console_learner.open()
    assert translate("nl", "start.again", name="Dana") in again[0].text
    shown = _statement(again, 2)
    assert [c.value for c in shown.choices] == [c.value for c in second.choices]
    answered = await console_learner.say(shown.choices[3].key)
    assert any("Stelling 3/12" in m.text for m in answered)  # taken, not "I didn't get that"
    assert all(translate("nl", "fallback") != m.text for m in answered)


async def test_the_day_after_a_kickoff_quit_half_way_says_nothing_of_it_being_done(
    console_learner: ConsoleLearner,
) -> None:
    await console_learner.say(_statement(await console_learner.open(), 1).choices[2].key)
    await console_learner.restart()
    next_day = await console_learner.wait(timedelta(days=1))
    goal = "Je hebt de inzichttest gedaan"  # the next item's opening, written for a finished test
    assert all(goal not in m.text for m in next_day)
    open_statement = _statement(await console_learner.say("/start"), 2)
    for number in range(2, 13):  # the kick-off finished a day late: its next item follows a day later
        answered = await console_learner.say(open_statement.choices[1].key)
        if number < 12:
            open_statement = _statement(answered, number + 1)
    assert any(translate("nl", "kickoff.result") in m.text for m in answered)
    assert any(goal in m.text for m in await console_learner.wait(timedelta(days=1)))


async def test_an_older_question_is_answered_after_a_newer_message(console_learner: ConsoleLearner) -> None:
    opened = await console_learner.open()
    statement = _statement(opened, 1)
    menu = (await console_learner.say("/menu"))[0]  # a newer message with buttons of its own
    assert {c.key for c in menu.choices}.isdisjoint({c.key for c in statement.choices})
    answered = await console_learner.say(statement.choices[0].key)
    assert any("Stelling 2/12" in m.text for m in answered)


async def test_a_number_that_names_no_open_choice_is_answered_and_never_saved(
    console_learner: ConsoleLearner,
) -> None:
    await console_learner.open()
    answer = await console_learner.say("77")
    assert answer[0].text.startswith(translate("nl", "choice.no_such", typed="77", keys="")[:12])
    async with console_learner.app.database.read() as session:
        assert (await session.exec(select(Response))).all() == []  # nothing taken as an answer


@pytest.fixture
async def app(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[App]:
    async with demo_app(tmp_path, programs, clock, MemoryAdapter()) as running:
        yield running


async def _say(app: App, who: str, text: str, clock: FrozenClock) -> list[str]:
    adapter = app.adapters["console"]
    assert isinstance(adapter, MemoryAdapter)
    before = len(adapter.sent)
    await adapter.say(who, text, at=clock.now())
    await app.dispatcher.run_due()
    return [message.text for message in adapter.sent[before:]]


async def test_a_rule_added_in_a_test_runs_without_editing_the_chain(app: App, clock: FrozenClock) -> None:
    async def echo_shouting(event: Event) -> bool:
        if not event.inbound.text.isupper():
            return False
        event.turn.send_text(f"no need to shout, {event.actor.person.name}")
        return True

    app.conversation.rules.add("shouting", echo_shouting, before="start")
    assert await _say(app, "anna@acme.example", "HALLO", clock) == ["no need to shout, Anna de Vries"]
    assert "Welkom" in (await _say(app, "anna@acme.example", "hallo", clock))[0]  # the rest as before


async def test_a_coach_and_a_manager_who_write_are_told_what_the_bot_does_for_them(
    app: App, clock: FrozenClock
) -> None:
    coach = await _say(app, "coach@acme.example", "hallo", clock)
    assert coach == [translate("nl", "role.coach", name="Carla", cohorts="fb-2027-q1")]
    manager = await _say(app, "mark@acme.example", "hallo", clock)
    assert manager == [translate("nl", "role.manager", name="Mark", cohorts="fb-2027-q1")]
    assert translate("nl", "not_enrolled") not in coach + manager


async def test_a_reflection_lives_only_in_the_responses_after_journal_and_other_replies(
    app: App, clock: FrozenClock
) -> None:
    anna = "anna@acme.example"
    await _say(app, anna, "hallo", clock)
    adapter = app.adapters["console"]
    assert isinstance(adapter, MemoryAdapter)
    while (last := adapter.sent[-1]).choices and last.choices[0].value.startswith("a:"):
        await adapter.say(anna, "", at=clock.now(), choice=last.choices[1].value)
        await app.dispatcher.run_due()
    clock.set(datetime(2027, 1, 5, 10, 0, tzinfo=UTC))  # the learning goal: a reflection
    await app.dispatcher.run_due()
    assert translate("nl", "reflection.prompt") in adapter.sent[-1].text
    canary = "CANARY-reflectie-7f3a"
    await _say(app, anna, f"Ik wil beter doorvragen {canary}", clock)
    journal = await _say(app, anna, "/journal", clock)
    assert any(canary in text for text in journal)  # the learner reads it back ...
    await _say(app, anna, "/progress", clock)
    clock.set(clock.now() + timedelta(minutes=1))
    # ... and once sent, it is stored nowhere but where it belongs.
    assert await find_text(app.database, canary) == [("responses", "text")]
