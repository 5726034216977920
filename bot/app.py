"""The one composition root: builds Coachbot from settings, a clock and the chat adapters.

Tests build the same App with a FrozenClock and in-memory or fake-server adapters instead of
patching anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import TracebackType

from bot.adapters.base import ChatAdapter, ReportsMembership, ShowsHome
from bot.dispatcher import SENDING_LEASE, Dispatcher
from bot.domain.messages import Platform
from bot.flows.conversation import Conversation
from bot.home import HomeRefresher
from bot.settings import Settings
from bot.storage.db import Database
from content.loader import load_programs
from content.model import Program
from scheduler.clock import Clock
from scheduler.jobs import IntervalJob, build_scheduler


class App:
    """Coachbot's parts wired together. Use as `async with App(...) as app:`."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        adapters: Sequence[ChatAdapter] = (),
        programs: Mapping[str, Program] | None = None,
        run_scheduler: bool = False,
        sole_sender: bool = False,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.programs = dict(programs) if programs is not None else load_programs(settings.content_dir)
        self.database = Database(settings.database_url)
        self.adapters: dict[Platform, ChatAdapter] = {adapter.platform: adapter for adapter in adapters}
        self.home = self._home_refresher()
        home_changed = self.home.changed if self.home is not None else lambda _person_id: None
        self.dispatcher = Dispatcher(
            database=self.database,
            adapters=self.adapters,
            programs=self.programs,
            clock=clock,
            on_sent=home_changed,
        )
        self.conversation = Conversation(
            database=self.database,
            programs=self.programs,
            clock=clock,
            wake=self.dispatcher.wake,
            on_change=home_changed,
        )
        self._scheduler = build_scheduler(self._jobs()) if run_scheduler else None
        # A sole sender (the console) knows any row left "sending" is from a process that died:
        # no lease to wait out, which matters when simulated time resumes where it stopped.
        self._start_lease = timedelta(0) if sole_sender else SENDING_LEASE

    async def __aenter__(self) -> App:
        await self.database.open()
        await self.dispatcher.requeue_stale(lease=self._start_lease)
        for adapter in self.adapters.values():
            if isinstance(adapter, ReportsMembership):
                adapter.watch_membership(self.conversation.on_membership)
            if isinstance(adapter, ShowsHome) and self.home is not None:
                adapter.watch_home_opened(self.home.opened)
            await adapter.start(self.conversation.handle)
        if self._scheduler is not None:
            self._scheduler.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self.home is not None:
            await self.home.close()  # while the adapters can still publish
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.dispatcher.drain()
        await self.database.close()

    def _home_refresher(self) -> HomeRefresher | None:
        """Home views for the platforms that show one (Slack's App Home); None without any."""
        publishers = {
            platform: adapter for platform, adapter in self.adapters.items() if isinstance(adapter, ShowsHome)
        }
        if not publishers:
            return None
        return HomeRefresher(
            database=self.database, programs=self.programs, clock=self.clock, publishers=publishers
        )

    def _jobs(self) -> list[IntervalJob]:
        interval = self.settings.dispatch_interval_seconds
        return [
            IntervalJob(id="dispatch", run=self.dispatcher.run_due, seconds=interval),
            IntervalJob(id="requeue-stale", run=self.dispatcher.requeue_stale, seconds=60.0),
        ]
