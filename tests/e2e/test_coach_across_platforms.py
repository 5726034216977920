"""A coach case across platforms (issue 15): the learner in Telegram, the coach in Slack, one
App with both real adapters against the fake Bot API and the fake Slack Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.cohorts import import_roster
from bot.i18n import translate
from bot.joining import issue_links
from bot.settings import BUNDLED_CONTENT, Settings
from bot.storage.models import CoachCase, Cohort
from bot.storage.models import Identity as IdentityRow
from bot.storage.repository import person_by_email
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import FakeTime, make_adapter
from tests.e2e.telegram_chat import CHAT, START
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import SignedPoster, block_actions_payload, channel_event, dm_event
from tests.fakes.telegram_api import FakeTelegramApi, FakeTimer

ANNA, CARLA = "anna@acme.example", "coach@acme.example"
CARLA_SLACK = "U0CARLA"
CARLA_DM = "D0CARLA"


@dataclass
class Both:
    app: App
    telegram: FakeTelegramApi
    slack: FakeSlackApi
    poster: SignedPoster
    invite: str

    async def settle(self) -> None:
        await self.app.dispatcher.drain()
        await self.app.dispatcher.run_due()

    async def anna_says(self, text: str) -> None:
        before = len(self.telegram.sent_texts(CHAT))
        self.telegram.push_text(CHAT, text)
        await self.telegram.wait_until(lambda: len(self.telegram.sent_texts(CHAT)) > before)
        await self.settle()

    async def anna_presses(self, label: str) -> None:
        message_id, buttons = self._keyboard_with(label)
        before = len(self.telegram.sent_texts(CHAT))
        self.telegram.push_callback(
            CHAT, message_id, next(b["callback_data"] for b in buttons if b["text"] == label)
        )
        await self.telegram.wait_until(lambda: len(self.telegram.sent_texts(CHAT)) > before)
        await self.settle()

    def _keyboard_with(self, label: str) -> tuple[int, list[dict[str, Any]]]:
        for (chat, message_id), sent in sorted(self.telegram.messages.items(), reverse=True):
            markup = sent.reply_markup or {}
            buttons = [button for row in markup.get("inline_keyboard", []) for button in row]
            if chat == CHAT and any(button["text"] == label for button in buttons):
                return message_id, buttons
        raise AssertionError(f"no button {label!r} in Anna's chat")

    async def carla_says(self, text: str) -> None:
        answer = await self.poster.event(dm_event(CARLA_SLACK, text, channel=CARLA_DM))
        assert answer.status == 200
        await self.settle()

    async def carla_presses(self, message: dict[str, Any], value: str) -> None:
        payload = block_actions_payload(
            user=CARLA_SLACK, value=value, channel=CARLA_DM, message_ts=message["ts"], message=message
        )
        assert (await self.poster.action(payload)).status == 200
        await self.settle()

    def to_carla(self) -> list[dict[str, Any]]:
        return self.slack.messages_to(CARLA_DM)


@pytest.fixture
async def both(tmp_path: Path, programs: dict[str, Program]) -> AsyncIterator[Both]:
    clock = FrozenClock(START)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'both.db'}")
    slack_api = await FakeSlackApi().start()
    try:
        async with FakeTelegramApi() as telegram_api:
            telegram = TelegramAdapter(
                token=telegram_api.token, base_url=telegram_api.base_url, clock=clock, timer=FakeTimer()
            )
            slack = make_adapter(slack_api, clock=clock, fake_time=FakeTime())
            async with App(
                settings=settings, clock=clock, adapters=[telegram, slack], programs=programs
            ) as app:
                roster = parse_roster(
                    BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml", programs
                )
                await import_roster(app.database, roster, programs, now=clock.now())
                links = await issue_links(
                    app.database,
                    cohort_id=roster.id,
                    bot_username=await telegram.username(),
                    now=clock.now(),
                    valid_for=timedelta(days=30),
                )
                await _carla_in_slack(app, clock)
                async with aiohttp.ClientSession() as session:
                    poster = SignedPoster(session, f"http://127.0.0.1:{slack.bound_port}/slack/events")
                    invite = next(link.link for link in links if link.email == ANNA)
                    yield Both(app, telegram_api, slack_api, poster, invite.rsplit("=", 1)[1])
    finally:
        await slack_api.stop()


async def _carla_in_slack(app: App, clock: FrozenClock) -> None:
    """The coach, found in Slack by her e-mail (as the sweep would)."""
    async with app.database.transaction() as session:
        carla = await person_by_email(session, CARLA)
        assert carla is not None
        assert carla.id is not None
        session.add(
            IdentityRow(person_id=carla.id, platform="slack", external_id=CARLA_SLACK, created_at=clock.now())
        )


async def test_a_telegram_learner_and_a_slack_coach_talk_through_a_case(both: Both) -> None:
    both.telegram.push_start(CHAT, both.invite, first_name="Anna")
    await both.telegram.wait_until(lambda: len(both.telegram.sent_texts(CHAT)) >= 2)
    await both.settle()

    await both.anna_says("/coach")
    await both.anna_says("Ik loop vast met [feedback](https://evil.example) aan mijn leidinggevende")
    await both.anna_presses(translate("nl", "coach.share.no"))

    post = both.to_carla()[-1]
    assert "Anna de Vries" in post["text"]
    assert "evil.example" in post["text"]  # shown as the text she wrote ...
    assert "<https://evil.example|" not in str(post)  # ... never as a link with other words
    claim = next(
        element["value"]
        for block in post["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    await both.carla_presses(post, claim)
    assert "Carla Coach" in both.telegram.sent_texts(CHAT)[-1]  # Anna is told who has it

    seen = len(both.to_carla())
    both.telegram.push_text(CHAT, "Mijn manager onderbreekt me steeds.")  # no answer to Anna: it is relayed
    await both.slack.wait_until(lambda: len(both.to_carla()) > seen)
    assert "Mijn manager onderbreekt me steeds." in both.to_carla()[-1]["text"]

    before = len(both.telegram.sent_texts(CHAT))
    await both.carla_says("Wat zei je toen precies?")
    await both.telegram.wait_until(lambda: len(both.telegram.sent_texts(CHAT)) > before)
    assert "Wat zei je toen precies?" in both.telegram.sent_texts(CHAT)[-1]

    await both.carla_says("/close")
    await both.telegram.wait_until(lambda: "Carla Coach" in both.telegram.sent_texts(CHAT)[-1])
    await both.anna_presses("★★★★★")
    async with both.app.database.read() as session:
        case = (await session.exec(select(CoachCase))).one()
    assert (case.status, case.rating, case.closed_by) == ("closed", 5, "coach")


ROOM = "C0COACHES"


async def _carla_claims_in_the_room(both: Both) -> dict[str, Any]:
    """Anna asks in Telegram; the case is posted to the coaches' Slack room, where Carla presses
    Claim. The room's post, as the room shows it now."""
    async with both.app.database.transaction() as session:
        cohort = await session.get(Cohort, "fb-2027-q1")
        assert cohort is not None
        cohort.coach_room = {"slack": ROOM}
        session.add(cohort)
    both.telegram.push_start(CHAT, both.invite, first_name="Anna")
    await both.telegram.wait_until(lambda: len(both.telegram.sent_texts(CHAT)) >= 2)
    await both.settle()
    await both.anna_says("ik wil een coach spreken")
    await both.anna_presses(translate("nl", "coach.yes"))
    await both.anna_says("Mijn manager onderbreekt me")
    await both.anna_presses(translate("nl", "coach.share.no"))
    assert both.to_carla() == []  # a room is named: the post goes there, not to each coach
    [post] = both.slack.messages_to(ROOM)
    assert "Mijn manager onderbreekt me" in post["text"]
    claim = next(
        element["value"]
        for block in post["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    pressed = block_actions_payload(
        user=CARLA_SLACK, value=claim, channel=ROOM, message_ts=post["ts"], message=post
    )
    assert (await both.poster.action(pressed)).status == 200
    await both.settle()
    [edited] = both.slack.messages_to(ROOM)
    return edited


async def test_a_slack_coaches_room_claims_and_answers_in_the_posts_thread(both: Both) -> None:
    post = await _carla_claims_in_the_room(both)
    assert translate("nl", "coach.post.claimed_by", coach="Carla Coach") in post["text"]  # edited for all
    assert "Mijn manager onderbreekt me" not in post["text"]
    assert "actions" not in [block["type"] for block in post["blocks"]]  # no Claim button any more
    assert "Carla Coach" in both.telegram.sent_texts(CHAT)[-1]

    room_talk = channel_event("U0BO", "koffie iemand?", channel=ROOM, ts="1700000500.000100")
    assert (await both.poster.event(room_talk)).status == 200  # the room's own talk: left alone
    await both.settle()

    before = len(both.telegram.sent_texts(CHAT))
    answer = channel_event(
        CARLA_SLACK, "Wat zei je toen precies", channel=ROOM, ts="1700000600.000100", thread_ts=post["ts"]
    )
    assert (await both.poster.event(answer)).status == 200
    await both.settle()
    await both.telegram.wait_until(lambda: len(both.telegram.sent_texts(CHAT)) > before)
    assert "Wat zei je toen precies" in both.telegram.sent_texts(CHAT)[-1]
    assert all("koffie" not in text for text in both.telegram.sent_texts(CHAT))

    seen = len(both.to_carla())
    both.telegram.push_text(CHAT, "Ik zei dat het zo niet werkt.")  # Anna's words go to Carla alone
    await both.slack.wait_until(lambda: len(both.to_carla()) > seen)
    assert "Ik zei dat het zo niet werkt" in both.to_carla()[-1]["text"]
    assert len(both.slack.messages_to(ROOM)) == 1  # nothing of hers in the room

    await both.carla_says("/close")
    [closed] = both.slack.messages_to(ROOM)
    assert translate("nl", "coach.post.closed") in closed["text"]


async def test_a_photo_in_the_thread_is_not_passed_on(both: Both) -> None:
    post = await _carla_claims_in_the_room(both)
    before = len(both.telegram.sent_texts(CHAT))
    photo = channel_event(
        CARLA_SLACK, "", channel=ROOM, ts="1700000700.000100", thread_ts=post["ts"], files=1
    )
    assert (await both.poster.event(photo)).status == 200
    await both.settle()
    assert both.to_carla()[-1]["text"] == translate("nl", "coach.text_only")  # told in her own chat
    assert len(both.telegram.sent_texts(CHAT)) == before


TELEGRAM_ROOM, CARLA_TELEGRAM = -1001234, 5353


async def test_a_telegram_coaches_group_claims_and_answers_by_replying_to_the_post(both: Both) -> None:
    async with both.app.database.transaction() as session:
        cohort = await session.get(Cohort, "fb-2027-q1")
        carla = await person_by_email(session, CARLA)
        assert cohort is not None
        assert carla is not None
        assert carla.id is not None
        cohort.coach_room = {"telegram": str(TELEGRAM_ROOM)}
        session.add(cohort)
        identity = IdentityRow(
            person_id=carla.id, platform="telegram", external_id=str(CARLA_TELEGRAM), created_at=START
        )
        session.add(identity)
    both.telegram.push_start(CHAT, both.invite, first_name="Anna")
    await both.telegram.wait_until(lambda: len(both.telegram.sent_texts(CHAT)) >= 2)
    await both.settle()
    await both.anna_says("/coach")
    await both.anna_presses(translate("nl", "coach.skip"))
    await both.anna_presses(translate("nl", "coach.share.no"))
    [(room, post_id)] = [key for key in both.telegram.messages if key[0] == TELEGRAM_ROOM]
    post = both.telegram.messages[(room, post_id)]
    [[claim]] = (post.reply_markup or {})["inline_keyboard"]

    answers = len(both.telegram.callback_answers)
    both.telegram.push_callback(room, post_id, claim["callback_data"], user_id=777, first_name="Someone")
    await both.telegram.wait_until(lambda: len(both.telegram.callback_answers) > answers)
    refused = both.telegram.callback_answers[-1]
    assert translate("nl", "coach.not_yours") in str(refused.get("text"))  # a stranger's press: refused
    async with both.app.database.read() as session:
        assert (await session.exec(select(CoachCase))).one().status == "open"

    both.telegram.push_callback(
        room, post_id, claim["callback_data"], user_id=CARLA_TELEGRAM, first_name="Carla"
    )
    await both.telegram.wait_until(lambda: "Carla Coach" in (both.telegram.sent_texts(CHAT) or [""])[-1])
    await both.settle()
    await both.telegram.wait_until(lambda: not both.telegram.messages[(room, post_id)].reply_markup)
    edited = both.telegram.messages[(room, post_id)]
    assert translate("nl", "coach.post.claimed_by", coach="Carla Coach") in (edited.text or "")
    assert any("#1" in text for text in both.telegram.sent_texts(CARLA_TELEGRAM))  # "you have it", in private

    before = len(both.telegram.sent_texts(CHAT))
    both.telegram.push_group_text(room, "Vertel eens meer", user_id=CARLA_TELEGRAM, reply_to=post_id)
    await both.telegram.wait_until(lambda: len(both.telegram.sent_texts(CHAT)) > before)
    await both.settle()
    assert "Vertel eens meer" in both.telegram.sent_texts(CHAT)[-1]
    both.telegram.push_group_text(room, "Wie heeft er koffie?", user_id=CARLA_TELEGRAM)  # not a reply
    both.telegram.push_text(CHAT, "/progress")
    await both.telegram.wait_until(lambda: len(both.telegram.sent_texts(CHAT)) > before + 1)
    assert all("koffie" not in text for text in both.telegram.sent_texts(CHAT))
