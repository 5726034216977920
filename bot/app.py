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
from bot.domain.directory import EmailDirectory
from bot.domain.messages import Platform
from bot.flows.case_chasing import chase_cases
from bot.flows.case_kinds import coaching_kinds
from bot.flows.conversation import Conversation
from bot.flows.kinds import journey_kinds
from bot.flows.peers import peer_kinds, run_rounds
from bot.flows.routing import journey_rules
from bot.home import HomeRefresher
from bot.kinds import DeliveryKinds
from bot.matching import SWEEP_INTERVAL_SECONDS, EmailMatcher
from bot.settings import Settings
from bot.storage.db import Database
from content.loader import load_programs
from content.model import Program
from scheduler.clock import Clock
from scheduler.jobs import IntervalJob, build_scheduler, run_soon


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
        only_person: int | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.programs = dict(programs) if programs is not None else load_programs(settings.content_dir)
        self.database = Database(settings.database_url)
        self.adapters: dict[Platform, ChatAdapter] = {adapter.platform: adapter for adapter in adapters}
        self.home = self._home_refresher()
        home_changed = self.home.changed if self.home is not None else lambda _person_id: None
        self.kinds = DeliveryKinds(
            [*journey_kinds(self.programs), *coaching_kinds(self.programs), *peer_kinds(self.programs)]
        )
        self.dispatcher = Dispatcher(
            database=self.database,
            adapters=self.adapters,
            kinds=self.kinds,
            clock=clock,
            on_sent=home_changed,
            # A console chat is one person's: its terminal shows their messages only, so two
            # terminals on one database can be a learner and their coach.
            only_person=only_person,
        )
        directories = {a.platform: a for a in adapters if isinstance(a, EmailDirectory)}
        self.conversation = Conversation(
            database=self.database,
            programs=self.programs,
            clock=clock,
            rules=journey_rules(),
            wake=self.dispatcher.wake,
            on_change=home_changed,
            directories=directories,
        )
        # Platforms that know e-mail addresses find roster learners before they write.
        self.matchers = [
            EmailMatcher(database=self.database, directory=directory, welcome=self.conversation.welcome)
            for directory in directories.values()
        ]
        self._scheduler = build_scheduler(self._jobs()) if run_scheduler else None
        # A sole sender (the console) knows any row left "sending" is from a process that died:
        # no lease to wait out, which matters when simulated time resumes where it stopped.
        self._start_lease = timedelta(0) if sole_sender else SENDING_LEASE

    async def __aenter__(self) -> App:
        await self.database.open()
        try:
            await self._start()
        except BaseException:
            # E.g. Slack refused the token: close what did start, so the CLI's one-line error
            # is not followed by warnings about unclosed connections.
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _start(self) -> None:
        await self.dispatcher.requeue_stale(lease=self._start_lease)
        for adapter in self.adapters.values():
            if isinstance(adapter, ReportsMembership):
                adapter.watch_membership(self.conversation.on_membership)
            if isinstance(adapter, ShowsHome) and self.home is not None:
                adapter.watch_home_opened(self.home.opened)
            await adapter.start(self.conversation.handle)
        if self._scheduler is not None:
            self._scheduler.start()
            for matcher in self.matchers:
                run_soon(self._scheduler, matcher.job_id)  # the first sweep at once, in the background

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for matcher in self.matchers:
            await matcher.stop()
        # Finish a send under way while the adapters can still send, then once more for what
        # an event handled during the adapters' stop may have woken.
        await self.dispatcher.drain()
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

    async def chase_cases(self) -> int:
        """Remind coaches of waiting learners (bot/flows/case_chasing.py); the reminders written."""
        async with self.database.transaction() as session:
            written = await chase_cases(session, now=self.clock.now())
        if written:
            self.dispatcher.wake()
        return written

    async def run_rounds(self) -> int:
        """Peer-feedback rounds' reminders and closing (bot/flows/peers.py); the messages written."""
        async with self.database.transaction() as session:
            written = await run_rounds(session, now=self.clock.now(), programs=self.programs)
        if written:
            self.dispatcher.wake()
        return written

    def _jobs(self) -> list[IntervalJob]:
        interval = self.settings.dispatch_interval_seconds
        return [
            IntervalJob(id="dispatch", run=self.dispatcher.run_due, seconds=interval),
            IntervalJob(id="requeue-stale", run=self.dispatcher.requeue_stale, seconds=60.0),
            IntervalJob(id="chase-cases", run=self.chase_cases, seconds=60.0),
            IntervalJob(id="peer-rounds", run=self.run_rounds, seconds=60.0),
            *(IntervalJob(id=m.job_id, run=m.sweep, seconds=SWEEP_INTERVAL_SECONDS) for m in self.matchers),
        ]
