"""Coachbot in Telegram end to end: the real App, the real TelegramAdapter (python-telegram-bot)
and the fake Bot API over HTTP (`tests/e2e/telegram_chat.py`). Waits are on the fake's recorded
calls, never on a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.i18n import translate
from bot.joining import issue_links
from tests.e2e.telegram_chat import CHAT, TelegramChat
from tests.fakes.telegram_api import FakeTelegramApi

ANNA = "anna@acme.example"


async def test_an_invite_link_joins_through_telegram(telegram: TelegramChat) -> None:
    assert telegram.links[ANNA].startswith("https://t.me/coachbot_test_bot?start=")
    telegram.api.push_start(CHAT, telegram.token_of(ANNA), first_name="Anna")
    texts = await telegram.sent_after(0, at_least=2)
    assert texts[0].startswith("Welkom bij <b>Feedback geven en ontvangen</b>")
    telegram.api.push_start(CHAT + 1, telegram.token_of(ANNA), first_name="Mallory")
    await telegram.api.wait_until(lambda: bool(telegram.api.sent_texts(CHAT + 1)))
    assert "al gebruikt" in telegram.api.sent_texts(CHAT + 1)[0]


async def test_a_coachs_invite_link_joins_through_telegram_without_enrolling(telegram: TelegramChat) -> None:
    [link] = await issue_links(
        telegram.app.database,
        cohort_id="fb-2027-q1",
        bot_username="coachbot_test_bot",
        now=telegram.clock.now(),
        valid_for=timedelta(days=30),
        role="coach",
    )
    assert link.email == "coach@acme.example"
    telegram.api.push_start(CHAT, link.link.rsplit("?start=", 1)[1], first_name="Carla")
    texts = await telegram.sent_after(0)
    await telegram.app.dispatcher.drain()
    assert texts == [translate("nl", "role.coach", name="Carla", cohorts="fb-2027-q1")]
    assert telegram.api.sent_texts(CHAT) == texts  # no welcome, no kick-off, no "not enrolled"


async def test_the_kick_off_by_buttons_edits_each_pressed_message(telegram: TelegramChat) -> None:
    api = telegram.api
    api.push_start(CHAT, telegram.token_of(ANNA), first_name="Anna")
    await telegram.sent_after(0, at_least=2)
    await api.wait_until(lambda: telegram.keyboard() is not None)
    pressed = 0
    while (keyboard := telegram.keyboard()) is not None and keyboard[1][0].value.startswith("a:"):
        message_id, buttons = keyboard
        sent = len(api.sent_texts(CHAT))
        api.push_callback(CHAT, message_id, buttons[2].value)
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
