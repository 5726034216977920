"""A scripted learner in the console: the real App, console adapter and SQLite, on a FrozenClock.

    learner = ConsoleLearner(database_url=..., email=..., clock=clock, programs=programs)
    async with learner:
        said = await learner.say("/menu")        # the messages the bot sent in answer
        said = await learner.wait(timedelta(days=1))

`restart()` closes the whole App and builds a new one on the same database, as a process
restart would. Every message sent is also kept in `learner.sent`, across restarts. Like
`coachbot chat`, it shows the messages of its own person only (anyone on a roster: a learner,
coach or manager), so two of them on one database are two terminals.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Mapping
from datetime import timedelta
from types import TracebackType
from zoneinfo import ZoneInfo

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.console import ConsoleChat, find_person
from bot.domain.errors import CoachbotError
from bot.domain.messages import Outbound, SendReceipt
from bot.settings import Settings
from bot.storage.db import Database
from content.model import Program
from scheduler.clock import FrozenClock


class RecordingConsole(ConsoleAdapter):
    """The console adapter, also remembering every message it printed."""

    def __init__(
        self, *, sent: list[Outbound], email: str, output: io.StringIO, clock: FrozenClock, timezone: ZoneInfo
    ) -> None:
        super().__init__(email=email, output=output, clock=clock, timezone=timezone)
        self._sent = sent

    async def send(self, message: Outbound) -> SendReceipt:
        receipt = await super().send(message)
        self._sent.append(message)
        return receipt


class ConsoleLearner:
    def __init__(
        self,
        *,
        database_url: str,
        email: str,
        clock: FrozenClock,
        programs: Mapping[str, Program],
        timezone: str = "Europe/Amsterdam",
    ) -> None:
        self.email = email
        self.clock = clock
        self.sent: list[Outbound] = []
        self.output = io.StringIO()
        self._settings = Settings(database_url=database_url)
        self._programs = programs
        self._timezone = ZoneInfo(timezone)
        self._app: App | None = None
        self._chat: ConsoleChat | None = None

    async def __aenter__(self) -> ConsoleLearner:
        await self._start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stop()

    @property
    def app(self) -> App:
        assert self._app is not None
        return self._app

    async def open(self) -> list[Outbound]:
        """Open the chat as `coachbot chat` does: the learner's hello, then what is due."""
        return await self._collect(self._console_chat().open())

    async def say(self, line: str) -> list[Outbound]:
        return await self._collect(self._console_chat().handle_line(line))

    async def wait(self, span: timedelta) -> list[Outbound]:
        return await self._collect(self._console_chat().wait(span))

    async def restart(self) -> None:
        await self._stop()
        await self._start()

    def transcript(self) -> str:
        return self.output.getvalue()

    async def _collect(self, work: Awaitable[object]) -> list[Outbound]:
        before = len(self.sent)
        await work
        await self.app.dispatcher.drain()
        return self.sent[before:]

    def _console_chat(self) -> ConsoleChat:
        assert self._chat is not None
        return self._chat

    async def _start(self) -> None:
        adapter = RecordingConsole(
            sent=self.sent, email=self.email, output=self.output, clock=self.clock, timezone=self._timezone
        )
        person_id = await self._person_id()
        self._app = App(
            settings=self._settings,
            clock=self.clock,
            adapters=[adapter],
            programs=self._programs,
            sole_sender=True,  # as `coachbot chat` runs it
            only_person=person_id,
        )
        await self._app.__aenter__()
        self._chat = ConsoleChat(
            adapter=adapter,
            dispatcher=self._app.dispatcher,
            database=self._app.database,
            clock=self.clock,
            output=self.output,
            person_id=person_id,
        )

    async def _person_id(self) -> int | None:
        """Whose messages this console shows; None (anyone's) for an e-mail on no roster, which
        `coachbot chat` refuses but a test may try."""
        async with Database(self._settings.database_url) as database:
            try:
                return (await find_person(database, self.email)).person_id
            except CoachbotError:
                return None

    async def _stop(self) -> None:
        if self._app is not None:
            await self._app.__aexit__(None, None, None)
        self._app = None
        self._chat = None
