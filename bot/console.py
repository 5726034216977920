"""The console chat session: the adapter plus the console-only commands that move simulated time.

`/wait 3h`, `/wait 2d`, `/wait 1w` (also `30m`) jump the clock ahead, delivering everything that
falls due in that span in order, each printed with its own timestamp. `/quit` ends the chat.

A console chat is one person's, whoever they are on a roster (learner, coach, manager): it
shows their messages only, so two terminals on one database can play a learner and their coach.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TextIO
from zoneinfo import ZoneInfo

from bot.adapters.console import ConsoleAdapter
from bot.dispatcher import Dispatcher
from bot.domain.errors import CoachbotError
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Cohort
from bot.storage.repository import Session, cohort_roles_of, current_enrolment, person_by_email

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class MovableClock(Protocol):
    def now(self) -> datetime: ...
    def set(self, moment: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class ConsolePerson:
    """Who a console chat is: a person on a roster, and the timezone to show times in (their
    own, their current cohort's as a learner, else that of a cohort they coach or manage in;
    None: none of these)."""

    person_id: int
    timezone: ZoneInfo | None


async def find_person(database: Database, email: str) -> ConsolePerson:
    """The person with this e-mail; CoachbotError when nobody on an imported roster has it."""
    async with database.read() as session:
        person = await person_by_email(session, email)
        if person is None or person.id is None:
            raise CoachbotError(f"nobody on an imported roster has the e-mail {email!r}")
        if person.timezone:
            return ConsolePerson(person.id, ZoneInfo(person.timezone))
        cohort = await _cohort_of(session, person.id)
        return ConsolePerson(person.id, ZoneInfo(cohort.timezone) if cohort else None)


async def _cohort_of(session: Session, person_id: int) -> Cohort | None:
    """The cohort a person is in now: as a learner first, else as a coach or manager."""
    enrolment = await current_enrolment(session, person_id)
    if enrolment is not None:
        return await session.get(Cohort, enrolment.cohort_id)
    roles = await cohort_roles_of(session, person_id)
    return await session.get(Cohort, roles[0][0]) if roles else None


def parse_duration(text: str) -> timedelta | None:
    """`3h` -> 3 hours; None when it is not `<n>m|h|d|w`."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        return None
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


class ConsoleChat:
    def __init__(
        self,
        *,
        adapter: ConsoleAdapter,
        dispatcher: Dispatcher,
        database: Database,
        clock: MovableClock,
        output: TextIO,
        person_id: int | None = None,
    ) -> None:
        """`person_id`: whose messages `/wait` waits for (the dispatcher's `only_person`)."""
        self._adapter = adapter
        self._dispatcher = dispatcher
        self._database = database
        self._clock = clock
        self._output = output
        self._person_id = person_id

    async def open(self) -> None:
        """Say hello as the person (the first contact, or picking up again) and deliver what is due."""
        await self._adapter.submit("/start")
        await self._dispatcher.run_due()

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; False when the user wants to stop."""
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        if text.startswith("/wait"):
            await self._wait(text.removeprefix("/wait"))
            return True
        await self._adapter.submit(text)
        await self._dispatcher.run_due()
        return True

    async def run(self, lines: TextIO) -> None:
        """Read lines until end of input or /quit."""
        await self.open()
        while True:
            line = await asyncio.to_thread(lines.readline)
            if not line or not await self.handle_line(line):
                return

    async def wait(self, span: timedelta) -> None:
        """Move the clock forward by `span`, delivering what falls due on the way, in order."""
        target = self._clock.now() + span
        previous: datetime | None = None
        while (due := await self._next_due()) is not None and due <= target:
            if due == previous:
                break  # nothing could be sent at this moment: never spin, let the clock move on
            previous = due
            self._clock.set(max(due, self._clock.now()))
            await self._dispatcher.run_due()
        self._clock.set(target)
        await self._dispatcher.run_due()

    async def _wait(self, argument: str) -> None:
        span = parse_duration(argument)
        if span is None:
            self._output.write("Usage: /wait 30m | 3h | 2d | 1w\n")
            return
        await self.wait(span)
        stamp = self._clock.now().strftime("%Y-%m-%d %H:%M UTC")
        self._output.write(f"(waited {argument.strip()}; the simulated time is now {stamp})\n\n")

    async def _next_due(self) -> datetime | None:
        async with self._database.transaction() as session:
            return await outbox.next_due_at(session, platforms=["console"], person_id=self._person_id)
