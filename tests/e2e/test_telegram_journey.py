"""Coachbot in Telegram end to end: the real App, the real TelegramAdapter (python-telegram-bot)
and the fake Bot API over HTTP. Waits are on the fake's recorded calls, never on a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.cohorts import import_roster
from bot.joining import issue_links
from bot.settings import BUNDLED_CONTENT, Settings
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.fakes.telegram_api import FakeTelegramApi, FakeTimer

ANNA = "anna@acme.example"
CHAT = 4242
START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Amsterdam


@dataclass
class Telegram:
    """The running bot, its fake Bot API, and Anna's invite link."""

    app: App
    api: FakeTelegramApi
    clock: FrozenClock
    links: dict[str, str]

    def token_of(self, email: str) -> str:
        return self.links[email].rsplit("?start=", 1)[1]

    async def sent_after(self, count: int, *, at_least: int = 1) -> list[str]:
        """Wait for at least `at_least` more messages to Anna after the first `count`."""
        await self.api.wait_until(lambda: len(self.api.sent_texts(CHAT)) >= count + at_least)
        return self.api.sent_texts(CHAT)[count:]


@pytest.fixture
async def telegram(tmp_path: Path, programs: dict[str, Program]) -> AsyncIterator[Telegram]:
    clock = FrozenClock(START)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'telegram.db'}")
    async with FakeTelegramApi() as api:
        adapter = TelegramAdapter(token=api.token, base_url=api.base_url, clock=clock, timer=FakeTimer())
        async with App(settings=settings, clock=clock, adapters=[adapter], programs=programs) as app:
            roster = parse_roster(BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml", programs)
            await import_roster(app.database, roster, programs, now=clock.now())
            issued = await issue_links(
                app.database,
                cohort_id=roster.id,
                bot_username=await adapter.username(),
                now=clock.now(),
                valid_for=timedelta(days=30),
            )
            yield Telegram(app, api, clock, {link.email: link.link for link in issued})


async def test_an_invite_link_joins_through_telegram(telegram: Telegram) -> None:
    assert telegram.links[ANNA].startswith("https://t.me/coachbot_test_bot?start=")
    telegram.api.push_start(CHAT, telegram.token_of(ANNA), first_name="Anna")
    texts = await telegram.sent_after(0, at_least=2)
    assert texts[0].startswith("Welkom bij <b>Feedback geven en ontvangen</b>")
    telegram.api.push_start(CHAT + 1, telegram.token_of(ANNA), first_name="Mallory")
    await telegram.api.wait_until(lambda: bool(telegram.api.sent_texts(CHAT + 1)))
    assert "al gebruikt" in telegram.api.sent_texts(CHAT + 1)[0]


def _last_keyboard(api: FakeTelegramApi) -> tuple[int, list[str]]:
    """The newest message to Anna with buttons: its id and the buttons' callback data."""
    for (chat, message_id), sent in sorted(api.messages.items(), reverse=True):
        if chat == CHAT and sent.reply_markup:
            rows = sent.reply_markup["inline_keyboard"]
            return message_id, [str(row[0]["callback_data"]) for row in rows]
    raise AssertionError("no message with buttons")


async def test_the_kick_off_by_buttons_edits_each_pressed_message(telegram: Telegram) -> None:
    api = telegram.api
    api.push_start(CHAT, telegram.token_of(ANNA), first_name="Anna")
    await telegram.sent_after(0, at_least=2)
    await api.wait_until(lambda: _last_keyboard_or_none(api) is not None)
    pressed = 0
    while (keyboard := _last_keyboard_or_none(api)) is not None and keyboard[1][0].startswith("a:"):
        message_id, values = keyboard
        sent = len(api.sent_texts(CHAT))
        api.push_callback(CHAT, message_id, values[2])
        pressed += 1
        # the press is answered, the pressed message shows the choice, and the next message comes
        done = _after_press(api, answers=pressed, edits=pressed, sent=sent)
        await api.wait_until(done)
    edits = api.calls_to("editMessageText")
    assert pressed > 1
    assert len(edits) == pressed
    assert all(call.ok and "reply_markup" not in call.params for call in edits)
    assert all("\n\n✓ " in str(call.params["text"]) for call in edits)


def _after_press(api: FakeTelegramApi, *, answers: int, edits: int, sent: int) -> Callable[[], bool]:
    return lambda: (
        len(api.calls_to("answerCallbackQuery")) >= answers
        and len(api.calls_to("editMessageText")) >= edits
        and len(api.sent_texts(CHAT)) > sent
    )


def _last_keyboard_or_none(api: FakeTelegramApi) -> tuple[int, list[str]] | None:
    try:
        return _last_keyboard(api)
    except AssertionError:
        return None
