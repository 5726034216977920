"""Keeps people's home views (Slack's App Home) current, in the background.

A home is published when someone opens it, after a learner's turn that changed what it shows
(progress, the menu, pause, language), and after a delivery was sent to them (progress and
"what comes next" moved). Requests are coalesced: however many changes arrive for a person
while a publish is pending, they get one publish with the newest state. Publishing never blocks
or fails a turn or a delivery: a failure is logged (platform and error class only) and the view
is simply rebuilt the next time. Building a view only reads (`Database.read()`): it never waits
for, nor holds up, a writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from bot.adapters.base import ShowsHome
from bot.domain.messages import Identity, Platform
from bot.flows.home import home_for
from bot.storage.db import Database
from bot.storage.repository import identities_of
from content.model import Program
from scheduler.clock import Clock

log = logging.getLogger(__name__)


class HomeRefresher:
    """Publishes home views through the adapters that show one. `opened` and `changed` only
    note the request and return; one background task does the work."""

    def __init__(
        self,
        *,
        database: Database,
        programs: Mapping[str, Program],
        clock: Clock,
        publishers: Mapping[Platform, ShowsHome],
    ) -> None:
        self._database = database
        self._programs = programs
        self._clock = clock
        self._publishers = publishers
        self._people: set[int] = set()
        self._identities: set[Identity] = set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def opened(self, identity: Identity) -> None:
        """Someone opened their home: show it (a stranger gets the join view)."""
        if identity.platform in self._publishers:
            self._identities.add(identity)
            self._wake()

    def changed(self, person_id: int) -> None:
        """What this person's home shows changed: refresh it wherever they have one."""
        self._people.add(person_id)
        self._wake()

    async def drain(self) -> None:
        """Wait until every requested publish is done (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await self._task

    async def close(self) -> None:
        """Finish what was requested and accept no more (at shutdown, before adapters stop)."""
        self._closed = True
        await self.drain()

    def _wake(self) -> None:
        if self._closed:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._people or self._identities:
            people, self._people = self._people, set()
            identities, self._identities = self._identities, set()
            for identity in identities | await self._homes_of(people):
                await self._publish(identity)

    async def _homes_of(self, people: Iterable[int]) -> set[Identity]:
        """The identities of these people on platforms with a home, where they did not block us."""
        found: set[Identity] = set()
        try:
            async with self._database.read() as session:
                for person_id in people:
                    for row in await identities_of(session, person_id):
                        platform = _platform_of(row.platform, self._publishers)
                        if platform is not None and row.blocked_at is None:
                            found.add(Identity(platform, row.external_id))
        except Exception as error:  # only a view: it is rebuilt on the next open
            log.warning("home: finding identities failed: %s", type(error).__name__)
        return found

    async def _publish(self, identity: Identity) -> None:
        try:
            async with self._database.read() as session:
                view = await home_for(session, identity, self._programs, now=self._clock.now())
            await self._publishers[identity.platform].publish_home(identity, view)
        except Exception as error:  # only a view: it is rebuilt on the next open
            log.warning("home on %s not published: %s", identity.platform, type(error).__name__)


def _platform_of(name: str, publishers: Mapping[Platform, ShowsHome]) -> Platform | None:
    return next((platform for platform in publishers if platform == name), None)
