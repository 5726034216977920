"""A peer-feedback round across platforms (issue 16): Anna in Telegram and Bram in Slack are a
pair; one App with both real adapters against the fake Bot API and the fake Slack Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
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
from bot.storage.models import Identity, PeerFeedback
from content.loader import load_programs
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import FakeTime, make_adapter
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import SignedPoster, block_actions_payload, dm_event
from tests.fakes.telegram_api import FakeTelegramApi, FakeTimer
from tests.test_peers import MONDAY, PROGRAM, ROUND_STARTS, STEP

ANNA_CHAT, BRAM_SLACK, BRAM_DM = 5151, "U0BRAM", "D0BRAM"
CARLA_CHAT, DIRK_CHAT = 6161, 7171
ROSTER = """id: samen-2
program: samen
timezone: Europe/Amsterdam
sessions: {s1: 2027-01-12T09:00}
participants:
  - {email: anna@acme.example, name: Anna de Vries}
  - {email: bram@acme.example, name: Bram Bakker}
"""


TELEGRAM_PAIR = """id: samen-3
program: samen
timezone: Europe/Amsterdam
sessions: {s1: 2027-01-12T09:00}
participants:
  - {email: carla@acme.example, name: Carla Claes}
  - {email: dirk@acme.example, name: Dirk Dekker}
"""
SLACK_PAIR = (
    TELEGRAM_PAIR.replace("samen-3", "samen-4").replace("carla", "eva").replace("Carla Claes", "Eva Smit")
)
SLACK_PAIR = SLACK_PAIR.replace("dirk", "frank").replace("Dirk Dekker", "Frank Faber")


def _button(message: dict[str, Any], label: str) -> str:
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element["text"]["text"] == label:
                return str(element["value"])
    raise AssertionError(f"no button {label!r}")


@dataclass
class Platforms:
    """One App with both real adapters, the fakes behind them and a signed Slack poster."""

    app: App
    telegram: FakeTelegramApi
    bot: TelegramAdapter
    slack_api: FakeSlackApi
    poster: SignedPoster
    clock: FrozenClock
    programs: dict[str, Program]

    async def import_roster(self, path: Path) -> dict[str, str]:
        """The roster imported; each participant's Telegram invite token, by e-mail."""
        roster = parse_roster(path, self.programs)
        await import_roster(self.app.database, roster, self.programs, now=self.clock.now())
        links = await issue_links(
            self.app.database,
            cohort_id=roster.id,
            bot_username=await self.bot.username(),
            now=self.clock.now(),
            valid_for=timedelta(days=30),
        )
        return {link.email: link.link.rsplit("=", 1)[1] for link in links}

    async def settle(self) -> None:
        await self.app.dispatcher.drain()
        await self.app.dispatcher.run_due()

    async def join_telegram(self, chat: int, token: str, name: str) -> None:
        self.telegram.push_start(chat, token, first_name=name)
        await self.telegram.wait_until(lambda: len(self.telegram.sent_texts(chat)) >= 1)

    async def join_slack(self, email: str, user: str, channel: str) -> None:
        self.slack_api.add_user(email, user)
        assert (await self.poster.event(dm_event(user, "hallo", channel=channel))).status == 200
        await self.settle()


@asynccontextmanager
async def platforms(tmp_path: Path) -> AsyncIterator[Platforms]:
    folder = tmp_path / "programs" / "samen"
    folder.mkdir(parents=True)
    (folder / "program.md").write_text(PROGRAM, encoding="utf-8")
    (folder / "01-elkaar.md").write_text(STEP, encoding="utf-8")
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
            app = App(settings=settings, clock=clock, adapters=[bot, slack], programs=programs)
            async with app, aiohttp.ClientSession() as session:
                poster = SignedPoster(session, f"http://127.0.0.1:{slack.bound_port}/slack/events")
                yield Platforms(app, telegram, bot, slack_api, poster, clock, programs)
    finally:
        await slack_api.stop()


async def test_a_pair_in_telegram_and_slack_gives_and_thanks_across_platforms(tmp_path: Path) -> None:
    (tmp_path / "samen.yaml").write_text(ROSTER, encoding="utf-8")
    async with platforms(tmp_path) as running:
        tokens = await running.import_roster(tmp_path / "samen.yaml")
        running.telegram.usernames[ANNA_CHAT] = "anna_dv"
        await _the_round(running, tokens["anna@acme.example"])


async def test_partners_are_pointed_at_as_each_platform_does_it(tmp_path: Path) -> None:
    """A Telegram partner by their @username, a Slack partner by a mention; a partner on the
    other platform (or without a username) by their name."""
    (tmp_path / "telegram.yaml").write_text(TELEGRAM_PAIR, encoding="utf-8")
    (tmp_path / "slack.yaml").write_text(SLACK_PAIR, encoding="utf-8")
    async with platforms(tmp_path) as running:
        tokens = await running.import_roster(tmp_path / "telegram.yaml")
        await running.import_roster(tmp_path / "slack.yaml")
        running.telegram.usernames[CARLA_CHAT] = "carla_c"  # Dirk has no username
        await running.join_telegram(CARLA_CHAT, tokens["carla@acme.example"], "Carla")
        await running.join_telegram(DIRK_CHAT, tokens["dirk@acme.example"], "Dirk")
        await running.join_slack("eva@acme.example", "U0EVA", "D0EVA")
        await running.join_slack("frank@acme.example", "U0FRANK", "D0FRANK")

        running.clock.set(ROUND_STARTS)
        await running.settle()
        telegram = running.telegram
        await telegram.wait_until(lambda: any("partner" in text for text in telegram.sent_texts(DIRK_CHAT)))
        assert any("<b>Carla Claes (@carla_c)</b>" in text for text in telegram.sent_texts(DIRK_CHAT))
        assert any("<b>Dirk Dekker</b>" in text for text in telegram.sent_texts(CARLA_CHAT))
        assert any("*<@U0FRANK>*" in m["text"] for m in running.slack_api.messages_to("D0EVA"))
        assert any("*<@U0EVA>*" in m["text"] for m in running.slack_api.messages_to("D0FRANK"))

        telegram.usernames[DIRK_CHAT] = "dirk_d"  # a username chosen later is kept when he writes
        before = len(telegram.sent_texts(DIRK_CHAT))
        telegram.push_text(DIRK_CHAT, "/peers", first_name="Dirk")
        await telegram.wait_until(lambda: len(telegram.sent_texts(DIRK_CHAT)) > before)
        async with running.app.database.read() as session:
            handles = (
                await session.exec(select(Identity.handle).where(Identity.platform == "telegram"))
            ).all()
        assert sorted(handle or "" for handle in handles) == ["carla_c", "dirk_d"]


async def _the_round(running: Platforms, token: str) -> None:
    app, telegram, slack_api, poster, clock = (
        running.app,
        running.telegram,
        running.slack_api,
        running.poster,
        running.clock,
    )
    settle = running.settle

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

    await running.join_telegram(ANNA_CHAT, token, "Anna")
    await running.join_slack("bram@acme.example", BRAM_SLACK, BRAM_DM)

    clock.set(ROUND_STARTS)
    await settle()
    # Introduced, each by name: a Telegram @username means nothing in Slack, and the reverse.
    await telegram.wait_until(lambda: any("Bram Bakker" in text for text in telegram.sent_texts(ANNA_CHAT)))
    [bram_intro] = [m["text"] for m in slack_api.messages_to(BRAM_DM) if "Anna de Vries" in m["text"]]
    assert "@" not in bram_intro

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
