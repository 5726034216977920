"""Conversation details, through the real App on SQLite with an in-memory adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import App
from bot.i18n import translate
from bot.settings import BUNDLED_CONTENT
from bot.storage.models import Delivery, Enrolment, Person
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import demo_app
from tests.fakes.memory_adapter import MemoryAdapter
from tests.fakes.time_passing import live_until

ANNA = "anna@acme.example"
ROSTER = BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml"
S1 = datetime(2027, 1, 12, 8, 0, tzinfo=UTC)
PRACTICE, REFLECTION = "oefening-positieve-feedback", "reflectie-positieve-feedback"


@pytest.fixture
async def app(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[App]:
    async with demo_app(tmp_path, programs, clock, MemoryAdapter()) as running:
        yield running


class Chat:
    """Anna's side of the conversation."""

    def __init__(self, app: App, clock: FrozenClock) -> None:
        self.app, self.clock = app, clock
        adapter = app.adapters["console"]
        assert isinstance(adapter, MemoryAdapter)
        self.adapter = adapter

    async def say(self, text: str = "", *, choice: str | None = None) -> list[str]:
        before = len(self.adapter.sent)
        self.last_ack = await self.adapter.say(ANNA, text, at=self.clock.now(), choice=choice)
        await self.app.dispatcher.run_due()
        return [message.text for message in self.adapter.sent[before:]]

    async def wait(self, span: timedelta) -> list[str]:
        before = len(self.adapter.sent)
        await live_until(self.app, self.clock, self.clock.now() + span)
        return [message.text for message in self.adapter.sent[before:]]

    def last_choices(self) -> list[str]:
        return [choice.value for choice in self.adapter.sent[-1].choices]

    async def finish_kickoff(self) -> None:
        while (values := self.last_choices()) and values[0].startswith("a:"):
            await self.say(choice=values[1])


@pytest.fixture
def chat(app: App, clock: FrozenClock) -> Chat:
    return Chat(app, clock)


async def test_unknown_text_gets_a_helpful_answer(chat: Chat) -> None:
    await chat.say("hallo")
    assert await chat.say("wat is dit?") == [translate("nl", "fallback")]
    assert await chat.say("/dans") == [translate("nl", "unknown_command", command="dans")]


async def test_a_journey_begun_a_moment_ahead_of_this_clock_is_not_begun_again(chat: Chat) -> None:
    """Another instance, its clock a little ahead, began Anna's journey: without a greeting
    waiting for the send window, her next message is answered as usual, not welcomed again."""
    await chat.say("hallo")
    async with chat.app.database.transaction() as session:
        anna = select(Enrolment).join(Person, Enrolment.person_id == Person.id).where(Person.email == ANNA)
        enrolment = (await session.exec(anna)).one()
        enrolment.active_since = chat.clock.now() + timedelta(seconds=1)
        session.add(enrolment)
    assert await chat.say("wat is dit?") == [translate("nl", "fallback")]


async def test_switching_language_changes_what_the_bot_says(chat: Chat) -> None:
    await chat.say("hallo")
    assert await chat.say("/language en") == [translate("en", "language.done")]
    assert await chat.say("/help") == [translate("en", "help")]
    assert await chat.say("/language fr") == [translate("en", "language.usage")]


async def test_the_kickoff_shows_development_points_and_matching_modules(chat: Chat) -> None:
    await chat.say("hallo")
    await chat.finish_kickoff()
    result = chat.adapter.sent[-1]
    assert result.text.startswith(translate("nl", "kickoff.result"))
    assert result.choices, "matching optional modules are offered"
    assert all(choice.value.startswith("m:") for choice in result.choices)


async def test_a_press_on_an_old_keyboard_changes_nothing(chat: Chat) -> None:
    await chat.say("hallo")
    first_statement = chat.last_choices()
    await chat.say(choice=first_statement[3])
    assert chat.last_ack.accepted
    again = await chat.say(choice=first_statement[0])
    assert not chat.last_ack.accepted
    assert chat.last_ack.notice == translate("nl", "stale.already_answered")
    assert again == [translate("nl", "stale.already_answered")]


async def test_later_sends_the_tip_again_a_few_hours_later(chat: Chat) -> None:
    await chat.say("hallo")
    await chat.finish_kickoff()
    arrived = await chat.wait(timedelta(days=9, hours=1))  # the first tip: the day after s1
    assert arrived
    tip = next(m for m in reversed(chat.adapter.sent) if any(c.value.endswith(":later") for c in m.choices))
    later = next(c.value for c in tip.choices if c.value.endswith(":later"))
    assert await chat.say(choice=later) == [translate("nl", "later.ok")]
    assert await chat.say(choice=later) == [translate("nl", "stale.already_later")]
    resent = await chat.wait(timedelta(hours=3, minutes=1))
    assert tip.text in resent


async def test_a_late_joiner_gets_one_catch_up_offer_not_a_burst(chat: Chat) -> None:
    chat.clock.set(S1 + timedelta(days=9, hours=1))  # Thursday after s1, 10:00 local
    first_day = await chat.say("hallo")
    await chat.finish_kickoff()
    catch_up = [m for m in chat.adapter.sent if m.delivery_key.startswith("catchup:")]
    assert len(catch_up) == 1
    offer = catch_up[0]
    assert offer.text.splitlines()[0] == translate("nl", "catch_up.intro", count=len(offer.choices))
    assert len(first_day) <= 4  # welcome, help, kick-off: no burst of past items
    taken = await chat.say(choice=offer.choices[0].value)
    assert taken[0] == translate("nl", "catch_up.coming")
    assert len(taken) == 2  # and the item itself
    assert await chat.say(choice=offer.choices[0].value) == [translate("nl", "stale.already_done")]


async def test_pause_holds_everything_and_resume_continues(chat: Chat, app: App) -> None:
    await chat.say("hallo")
    await chat.finish_kickoff()
    assert await chat.say("/pause") == [translate("nl", "pause.done")]
    assert await chat.say("/menu") == [translate("nl", "paused.reminder")]
    assert await chat.wait(timedelta(days=4)) == []
    resumed = await chat.say("/resume")
    assert resumed[0] == translate("nl", "resume.done")
    async with app.database.transaction() as session:
        anna = (await session.exec(select(Person).where(Person.email == ANNA))).one()
        planned = select(Delivery).where(Delivery.status == "planned", Delivery.person_id == anna.id)
        ahead = (await session.exec(planned)).all()
    assert ahead, "resuming plans the rest of the programme"
    assert all(row.due_at >= chat.clock.now() for row in ahead)


async def test_what_counts_from_a_delivery_is_planned_once_it_is_sent(
    tmp_path: Path, programs: dict[str, Program], clock: FrozenClock
) -> None:
    """The reflection `3 days after` the practice, here not waiting for the practice to be done,
    is planned by the practice's send: a send re-plans when it moves the plan."""
    program = programs["feedback-geven"]
    practice = replace(program.intervention(PRACTICE), follow_up=None)
    items = tuple(practice if item.id == PRACTICE else item for item in program.interventions)
    async with demo_app(
        tmp_path, {**programs, program.id: replace(program, interventions=items)}, clock, MemoryAdapter()
    ) as app:
        chat = Chat(app, clock)
        await chat.say("hallo")
        await chat.finish_kickoff()
        await chat.wait(timedelta(days=11, hours=1))  # Friday after s1, 10:00: the practice is out
        async with app.database.transaction() as session:
            annas = (
                select(Delivery)
                .join(Person, col(Person.id) == col(Delivery.person_id))
                .where(Person.email == ANNA, col(Delivery.intervention_id).in_((PRACTICE, REFLECTION)))
            )
            rows = {row.intervention_id: row for row in (await session.exec(annas)).all()}
    sent_at = rows[PRACTICE].sent_at
    assert rows[PRACTICE].status == "sent"
    assert sent_at is not None
    assert (rows[REFLECTION].status, rows[REFLECTION].due_at) == ("planned", sent_at + timedelta(days=3))
