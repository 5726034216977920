"""A peer-feedback round across platforms (issue 16): Anna in Telegram and Bram in Slack are a
pair; one App with both real adapters against the fake Bot API and the fake Slack Web API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import select

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.cohorts import import_roster
from bot.i18n import translate
from bot.joining import issue_links
from bot.settings import Settings
from bot.storage.models import PeerFeedback
from content.loader import load_programs
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import FakeTime, make_adapter
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import SignedPoster, block_actions_payload, dm_event
from tests.fakes.telegram_api import FakeTelegramApi, FakeTimer
from tests.test_peers import MONDAY, PROGRAM, ROUND_STARTS, STEP

ANNA_CHAT, BRAM_SLACK, BRAM_DM = 5151, "U0BRAM", "D0BRAM"
ROSTER = """id: samen-2
program: samen
timezone: Europe/Amsterdam
sessions: {s1: 2027-01-12T09:00}
participants:
  - {email: anna@acme.example, name: Anna de Vries}
  - {email: bram@acme.example, name: Bram Bakker}
"""


def _button(message: dict[str, Any], label: str) -> str:
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element["text"]["text"] == label:
                return str(element["value"])
    raise AssertionError(f"no button {label!r}")


async def test_a_pair_in_telegram_and_slack_gives_and_thanks_across_platforms(tmp_path: Path) -> None:
    folder = tmp_path / "programs" / "samen"
    folder.mkdir(parents=True)
    (folder / "program.md").write_text(PROGRAM, encoding="utf-8")
    (folder / "01-elkaar.md").write_text(STEP, encoding="utf-8")
    (tmp_path / "samen.yaml").write_text(ROSTER, encoding="utf-8")
    programs = load_programs(tmp_path / "programs")
    clock = FrozenClock(MONDAY)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'peers.db'}")
    slack_api = await FakeSlackApi().start()
    try:
        async with FakeTelegramApi() as telegram:
            bot = TelegramAdapter(
                token=telegram.token, base_url=telegram.base_url, clock=clock, timer=FakeTimer()
            )
            slack = make_adapter(slack_api, clock=clock, fake_time=FakeTime())
            async with App(settings=settings, clock=clock, adapters=[bot, slack], programs=programs) as app:
                roster = parse_roster(tmp_path / "samen.yaml", programs)
                await import_roster(app.database, roster, programs, now=clock.now())
                links = await issue_links(
                    app.database,
                    cohort_id=roster.id,
                    bot_username=await bot.username(),
                    now=clock.now(),
                    valid_for=timedelta(days=30),
                )
                token = next(link.link for link in links if link.email == "anna@acme.example").rsplit("=", 1)[
                    1
                ]
                async with aiohttp.ClientSession() as session:
                    poster = SignedPoster(session, f"http://127.0.0.1:{slack.bound_port}/slack/events")
                    await _the_round(app, telegram, slack_api, poster, clock, token)
    finally:
        await slack_api.stop()


async def _the_round(
    app: App,
    telegram: FakeTelegramApi,
    slack_api: FakeSlackApi,
    poster: SignedPoster,
    clock: FrozenClock,
    token: str,
) -> None:
    async def settle() -> None:
        await app.dispatcher.drain()
        await app.dispatcher.run_due()

    async def anna_says(text: str) -> None:
        before = len(telegram.sent_texts(ANNA_CHAT))
        telegram.push_text(ANNA_CHAT, text, first_name="Anna")
        await telegram.wait_until(lambda: len(telegram.sent_texts(ANNA_CHAT)) > before)
        await settle()

    async def anna_presses(label: str) -> None:
        for (chat, message_id), sent in sorted(telegram.messages.items(), reverse=True):
            buttons = [b for row in (sent.reply_markup or {}).get("inline_keyboard", []) for b in row]
            found = [b for b in buttons if b["text"] == label]
            if chat == ANNA_CHAT and found:
                before = len(telegram.sent_texts(ANNA_CHAT))
                telegram.push_callback(ANNA_CHAT, message_id, found[0]["callback_data"], first_name="Anna")
                await telegram.wait_until(lambda seen=before: len(telegram.sent_texts(ANNA_CHAT)) > seen)
                await settle()
                return
        raise AssertionError(f"no button {label!r} for Anna")

    async def bram_presses(message: dict[str, Any], label: str) -> None:
        payload = block_actions_payload(
            user=BRAM_SLACK,
            value=_button(message, label),
            channel=BRAM_DM,
            message_ts=message["ts"],
            message=message,
        )
        assert (await poster.action(payload)).status == 200
        await settle()

    telegram.push_start(ANNA_CHAT, token, first_name="Anna")
    await telegram.wait_until(lambda: len(telegram.sent_texts(ANNA_CHAT)) >= 1)
    slack_api.add_user("bram@acme.example", BRAM_SLACK)
    assert (await poster.event(dm_event(BRAM_SLACK, "hallo", channel=BRAM_DM))).status == 200
    await settle()

    clock.set(ROUND_STARTS)
    await settle()
    await telegram.wait_until(lambda: any("Bram Bakker" in text for text in telegram.sent_texts(ANNA_CHAT)))
    assert any("Anna de Vries" in m["text"] for m in slack_api.messages_to(BRAM_DM))  # introduced, in Slack

    await anna_presses(translate("nl", "peer.give"))
    await anna_says("Je luisterde goed.")
    await anna_says("Vat samen voor je antwoordt.")
    await anna_presses(translate("nl", "peer.send"))
    await slack_api.wait_until(
        lambda: "Feedback van Anna de Vries" in str(slack_api.messages_to(BRAM_DM)[-1]["text"])
    )
    received = slack_api.messages_to(BRAM_DM)[-1]
    assert "Vat samen voor je antwoordt" in received["text"]

    await bram_presses(received, "★★★★★")
    await bram_presses(received, translate("nl", "peer.thank"))
    before = len(telegram.sent_texts(ANNA_CHAT))
    assert (
        await poster.event(dm_event(BRAM_SLACK, "Dank je wel", channel=BRAM_DM, ts="1700000900.000100"))
    ).status == 200
    await settle()
    await telegram.wait_until(lambda: len(telegram.sent_texts(ANNA_CHAT)) > before)
    assert "Dank je wel" in telegram.sent_texts(ANNA_CHAT)[-1]
    async with app.database.read() as session:
        stored = (await session.exec(select(PeerFeedback).where(PeerFeedback.status == "given"))).one()
    assert (stored.rating, stored.thanks) == (5, "Dank je wel")
