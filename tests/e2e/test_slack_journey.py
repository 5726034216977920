"""Coachbot in Slack end to end: the real App, the real SlackAdapter in HTTP mode (bolt, aiohttp)
receiving signed requests, and the fake Web API. Time is a FrozenClock moved by the test; waits
are on the fake's recorded calls, never on a clock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.app import App
from bot.i18n import translate
from bot.storage.models import Delivery, Enrolment, Person, Response
from bot.storage.models import Identity as IdentityRow
from content.model import Program
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import FakeTime, make_adapter
from tests.fakes.apps import demo_app
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import SignedPoster, block_actions_payload, dm_event
from tests.fakes.time_passing import live_until

ANNA, ANNA_ID, ANNA_DM = "anna@acme.example", "U0ANNA", "D0ANNA"
MALLORY, MALLORY_ID = "mallory@elsewhere.example", "U0MALLORY"


@dataclass
class Slack:
    """The running bot, its fake Web API, and a poster of signed requests to the bot."""

    app: App
    api: FakeSlackApi
    poster: SignedPoster
    clock: FrozenClock

    def texts_to(self, channel: str) -> list[str]:
        return [str(message["text"]) for message in self.api.messages_to(channel)]

    async def say(self, user: str, text: str) -> None:
        """`user` writes `text` to the bot; returns once the bot acknowledged (its work done)."""
        answer = await self.poster.event(dm_event(user, text, channel="D" + user[1:]))
        assert answer.status == 200

    async def press(self, user: str, message: dict[str, Any], value: str) -> None:
        payload = block_actions_payload(
            user=user, value=value, channel="D" + user[1:], message_ts=message["ts"], message=message
        )
        answer = await self.poster.action(payload)
        assert answer.status == 200

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.app.database.transaction() as session:
            return list((await session.exec(select(model).where(*where))).all())


@pytest.fixture
async def slack(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[Slack]:
    api = await FakeSlackApi().start()
    adapter = make_adapter(api, clock=clock, fake_time=FakeTime())
    try:
        async with demo_app(tmp_path, programs, clock, adapter) as app, aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{adapter.bound_port}/slack/events"
            yield Slack(app, api, SignedPoster(session, url), clock)
    finally:
        await api.stop()


def _buttons(message: dict[str, Any]) -> list[str]:
    return [
        str(element["value"])
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def _newest_with_buttons(slack: Slack, channel: str, kind: str) -> dict[str, Any] | None:
    """The newest message to `channel` whose buttons are of `kind` ("a:", "q:", ...), if any."""
    for message in reversed(slack.api.messages_to(channel)):
        if _buttons(message):
            return message if _buttons(message)[0].startswith(kind) else None
    return None


async def _first_message(slack: Slack) -> list[str]:
    """Anna, on the roster and in Slack under the same address, writes for the first time."""
    slack.api.add_user(ANNA, ANNA_ID)
    await slack.say(ANNA_ID, "hallo")
    await slack.api.wait_for("chat.postMessage", 3)  # welcome, help, the kick-off's first statement
    await slack.app.dispatcher.drain()
    return slack.texts_to(ANNA_DM)


async def _kick_off(slack: Slack) -> int:
    """Press a score for every statement of the insight test; returns how many were pressed."""
    pressed = 0
    while (message := _newest_with_buttons(slack, ANNA_DM, "a:")) is not None:
        posted = slack.api.count("chat.postMessage")
        await slack.press(ANNA_ID, message, _buttons(message)[2])
        pressed += 1
        await slack.api.wait_for("chat.update", pressed)
        await slack.api.wait_for("chat.postMessage", posted + 1)
        await slack.app.dispatcher.drain()
    return pressed


async def _advance_to(slack: Slack, moment: datetime) -> None:
    await live_until(slack.app, slack.clock, moment)


async def test_a_roster_learner_is_recognised_by_the_email_slack_holds(slack: Slack) -> None:
    texts = await _first_message(slack)

    assert [call.params["user"] for call in slack.api.calls_to("users.info")] == [ANNA_ID]
    assert texts[0].startswith("Welkom bij *Feedback geven en ontvangen*")
    assert _newest_with_buttons(slack, ANNA_DM, "a:") is not None  # the kick-off began
    anna = (await slack.rows(Person, Person.email == ANNA))[0]
    identities = await slack.rows(IdentityRow, IdentityRow.person_id == anna.id)
    assert [(i.platform, i.external_id) for i in identities] == [("slack", ANNA_ID)]
    enrolment = (await slack.rows(Enrolment, Enrolment.person_id == anna.id))[0]
    assert enrolment.started_at == slack.clock.now()

    await slack.say(ANNA_ID, "nog een bericht")
    assert slack.api.count("users.info") == 1  # a known account is not looked up again


async def test_a_stranger_is_told_how_to_join_and_nothing_is_kept(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    slack.api.add_user(MALLORY, MALLORY_ID)  # in the workspace, on no roster
    people_before = len(await slack.rows(Person))

    await slack.say(MALLORY_ID, "wie ben jij?")
    await slack.say("U0GHOST", "hallo?")  # not even Slack knows this account (users.info fails)
    await slack.api.wait_for("chat.postMessage", 2)
    await slack.app.dispatcher.drain()

    told = slack.texts_to("D0MALLORY")
    assert len(told) == 1
    assert translate("nl", "stranger.by_email").split(":")[0] in told[0]
    assert "participant list" in told[0]  # both languages: we do not know theirs
    assert len(slack.texts_to("D0GHOST")) == 1
    assert len(await slack.rows(Person)) == people_before
    assert await slack.rows(IdentityRow, IdentityRow.platform == "slack") == []
    replies = await slack.rows(Delivery, col(Delivery.key).startswith("reply:slack:"))
    assert [(r.status, r.person_id, r.payload) for r in replies] == [("sent", None, {})] * 2
    assert MALLORY not in caplog.text


async def test_the_kick_off_by_buttons_updates_each_pressed_message(slack: Slack) -> None:
    await _first_message(slack)

    pressed = await _kick_off(slack)

    assert pressed > 1
    updates = slack.api.calls_to("chat.update")
    assert len(updates) == pressed
    for update in updates:  # each pressed message shows the choice in place of its buttons
        kinds = [block["type"] for block in update.params["blocks"]]
        assert "actions" not in kinds
        assert update.params["blocks"][-1]["elements"][0]["text"].startswith("✓ ")
    assert any(translate("nl", "kickoff.result") in text for text in slack.texts_to(ANNA_DM))


async def test_a_reflection_and_a_quiz_with_feedback(slack: Slack) -> None:
    await _first_message(slack)
    await _kick_off(slack)

    # The next day the learning goal (a reflection) arrives; a typed answer is kept and thanked.
    await _advance_to(slack, datetime(2027, 1, 5, 10, 0, tzinfo=UTC))
    assert translate("nl", "reflection.prompt") in slack.texts_to(ANNA_DM)[-1]
    posted = slack.api.count("chat.postMessage")
    await slack.say(ANNA_ID, "Ik wil beter doorvragen.")
    await slack.api.wait_for("chat.postMessage", posted + 1)
    assert slack.texts_to(ANNA_DM)[-1].startswith(translate("nl", "reflection.thanks")[:20])
    reflections = await slack.rows(Response, Response.kind == "reflection")
    assert [r.text for r in reflections] == ["Ik wil beter doorvragen."]

    # Two days after the first session: a quiz; an answer gets feedback and shows the choice.
    await _advance_to(slack, datetime(2027, 1, 14, 13, 30, tzinfo=UTC))
    quiz = _newest_with_buttons(slack, ANNA_DM, "q:")
    assert quiz is not None
    posted, updated = slack.api.count("chat.postMessage"), slack.api.count("chat.update")
    await slack.press(ANNA_ID, quiz, _buttons(quiz)[0])
    await slack.api.wait_for("chat.postMessage", posted + 1)
    await slack.api.wait_for("chat.update", updated + 1)
    feedback = slack.texts_to(ANNA_DM)[posted]
    assert translate("nl", "quiz.correct") in feedback or translate("nl", "quiz.incorrect") in feedback
    answers = await slack.rows(Response, Response.kind == "quiz")
    assert len(answers) == 1
