"""One learner's private chat with the running bot in Telegram: the real App, the real
TelegramAdapter (python-telegram-bot) and the fake Bot API over HTTP, on a FrozenClock.

    async with telegram_chat(folder, programs, roster_file="feedback-geven-demo.yaml") as chat:
        await chat.join("anna@acme.example")
        await chat.live_until(moment)                  # what fell due, in order
        message_id, buttons = chat.keyboard()
        texts = await chat.press(message_id, buttons[0].value, replies=2)

Waits are on the fake's recorded calls, never on a clock: time only moves by `live_until`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.cohorts import import_roster
from bot.joining import issue_links
from bot.settings import BUNDLED_CONTENT, Settings
from bot.storage.models import Delivery, Response
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.fakes.telegram_api import FakeTelegramApi, FakeTimer, SentMessage
from tests.fakes.time_passing import live_until

CHAT = 4242
START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Amsterdam, a week before s1


@dataclass(frozen=True)
class Button:
    label: str
    value: str


@dataclass
class TelegramChat:
    """The running bot, its fake Bot API, the clock, and the cohort's invite links."""

    app: App
    api: FakeTelegramApi
    clock: FrozenClock
    links: dict[str, str]
    chat: int = CHAT

    def token_of(self, email: str) -> str:
        return self.links[email].rsplit("?start=", 1)[1]

    # --- what the learner sees ---------------------------------------------------------------

    def texts(self) -> list[str]:
        """Every message the bot sent to the chat, as the learner reads it now (edits included)."""
        return [sent.text or "" for (chat, _), sent in sorted(self.api.messages.items()) if chat == self.chat]

    def message(self, message_id: int) -> SentMessage:
        """A message the bot sent to the chat, as it stands now."""
        return self.api.messages[(self.chat, message_id)]

    def keyboard(self) -> tuple[int, list[Button]] | None:
        """The newest message to the chat that still has buttons: its id and its buttons."""
        for (chat, message_id), sent in sorted(self.api.messages.items(), reverse=True):
            if chat == self.chat and sent.reply_markup:
                rows = sent.reply_markup["inline_keyboard"]
                return message_id, [Button(str(row[0]["text"]), str(row[0]["callback_data"])) for row in rows]
        return None

    def edits(self) -> list[str]:
        """The texts of the chat's messages as edited (in order of the edits)."""
        return [str(call.params["text"]) for call in self.api.calls_to("editMessageText") if call.ok]

    def callback_notices(self) -> list[str | None]:
        """The text shown with each answered button press (None: a silent acknowledgement)."""
        return [answer.get("text") for answer in self.api.callback_answers]

    async def sent_after(self, count: int, *, at_least: int = 1) -> list[str]:
        """Wait for at least `at_least` more messages (their HTML) after the first `count`."""
        await self.api.wait_until(lambda: len(self.api.sent_texts(self.chat)) >= count + at_least)
        return self.api.sent_texts(self.chat)[count:]

    # --- what the learner does ---------------------------------------------------------------

    async def join(self, email: str, *, first_name: str = "Ada") -> list[str]:
        """Open the invite link; wait for the welcome and the kick-off's first statement."""
        seen = len(self.texts())
        self.api.push_start(self.chat, self.token_of(email), first_name=first_name)
        await self.api.wait_until(lambda: self.keyboard() is not None)
        await self.app.dispatcher.drain()
        return self.texts()[seen:]

    async def say(self, text: str, *, replies: int = 1) -> list[str]:
        """Type `text`; wait for `replies` messages in answer and return what the learner sees."""
        return await self._after(lambda: self.api.push_text(self.chat, text), replies=replies)

    async def press(self, message_id: int, value: str, *, replies: int, edited: bool = True) -> list[str]:
        """Press a button; wait for the press to be answered, `replies` messages and (if
        `edited`) the pressed message to show the choice."""
        answered = len(self.api.callback_answers) + 1
        edits = len(self.edits()) + (1 if edited else 0)
        return await self._after(
            lambda: self.api.push_callback(self.chat, message_id, value),
            replies=replies,
            also=lambda: len(self.api.callback_answers) >= answered and len(self.edits()) >= edits,
        )

    async def finish_kickoff(self) -> None:
        """Answer every statement of the kick-off test (its third option each time)."""
        while (keyboard := self.keyboard()) is not None and keyboard[1][0].value.startswith("a:"):
            message_id, buttons = keyboard
            await self.press(message_id, buttons[2].value, replies=1)

    async def live_until(self, moment: datetime) -> list[str]:
        """Let time pass until `moment` and send what fell due: what the learner sees arrive."""
        seen = len(self.texts())
        await live_until(self.app, self.clock, moment)
        return self.texts()[seen:]

    async def _after(
        self, act: Callable[[], object], *, replies: int, also: Callable[[], bool] = lambda: True
    ) -> list[str]:
        seen, sent = len(self.texts()), len(self.api.sent_texts(self.chat))
        act()
        await self.api.wait_until(lambda: len(self.api.sent_texts(self.chat)) >= sent + replies and also())
        await self.app.dispatcher.drain()
        return self.texts()[seen:]

    # --- what was stored ---------------------------------------------------------------------

    async def responses(self, intervention_id: str) -> list[Response]:
        async with self.app.database.transaction() as session:
            query = select(Response).where(Response.intervention_id == intervention_id)
            return list((await session.exec(query.order_by(Response.id))).all())  # type: ignore[arg-type]

    async def deliveries(self, intervention_id: str) -> list[Delivery]:
        async with self.app.database.transaction() as session:
            query = select(Delivery).where(Delivery.intervention_id == intervention_id)
            return list((await session.exec(query)).all())


@asynccontextmanager
async def telegram_chat(
    folder: Path, programs: Mapping[str, Program], *, roster_file: str
) -> AsyncIterator[TelegramChat]:
    """The bot running in Telegram with the bundled demo cohort `roster_file` imported and a
    fresh invite link for everyone in it."""
    clock = FrozenClock(START)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{folder / 'telegram.db'}")
    async with FakeTelegramApi() as api:
        adapter = TelegramAdapter(token=api.token, base_url=api.base_url, clock=clock, timer=FakeTimer())
        async with App(settings=settings, clock=clock, adapters=[adapter], programs=programs) as app:
            roster = parse_roster(BUNDLED_CONTENT.parent / "cohorts" / roster_file, programs)
            await import_roster(app.database, roster, programs, now=clock.now())
            issued = await issue_links(
                app.database,
                cohort_id=roster.id,
                bot_username=await adapter.username(),
                now=clock.now(),
                valid_for=timedelta(days=30),
            )
            yield TelegramChat(app, api, clock, {link.email: link.link for link in issued})
