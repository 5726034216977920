"""Finding roster learners on an e-mail platform (Slack) before they write, and greeting them.

A running bot sweeps at start and then every `SWEEP_INTERVAL_SECONDS`: every learner on a roster
who has not started and has no account on the platform is looked up by the roster's e-mail
(`users.lookupByEmail`). Found: the account is linked and the journey starts as it would at the
learner's first message (`Conversation.welcome`: the welcome, then the kick-off), but in the
programme's send window: a sweep at night greets them when the window next opens. One who
writes before then is greeted at once, as at a first message, and the greeting that waited is
dropped (`onboarding.greet_now`). Not found, or the lookup failed: nothing changes and the next
sweep asks again, so people who join the workspace later, and rosters imported while the bot
runs, are picked up.

Lookups are paced under Slack's Tier 3 limit (about 50 a minute); a rate limit ends the sweep
early and the next one carries on. Sweeping is not done at `cohort import`: the import stays
offline and quick, and only a running bot can greet. Logs carry counts, never addresses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.directory import EmailDirectory
from bot.domain.errors import RateLimited, SendError
from bot.domain.messages import Identity
from bot.storage.db import Database
from bot.storage.repository import unstarted_without_identity

log = logging.getLogger(__name__)

LOOKUPS_PER_MINUTE = 45  # Slack's Tier 3 allows "50+"; stay a little under it
SWEEP_INTERVAL_SECONDS = 600.0

Welcome = Callable[[Identity, int], Awaitable[bool]]


@dataclass(slots=True)
class SweepReport:
    """What one sweep did, in counts."""

    looked_up: int = 0
    linked: int = 0
    not_found: int = 0
    failed: int = 0
    stopped_early: bool = False  # by a rate limit, or the bot stopping


class EmailMatcher:
    """Sweeps one platform's directory for the roster's unlinked learners."""

    def __init__(
        self,
        *,
        database: Database,
        directory: EmailDirectory,
        welcome: Welcome,
        lookup_interval: float = 60 / LOOKUPS_PER_MINUTE,
    ) -> None:
        self._database = database
        self._directory = directory
        self._welcome = welcome
        self._interval = lookup_interval
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()

    @property
    def job_id(self) -> str:
        return f"match-{self._directory.platform}"

    async def sweep(self) -> SweepReport:
        """Look everyone still unlinked up once; a second call waits for a sweep under way."""
        async with self._lock:
            report = await self._sweep()
        log.info(
            "%s: %d looked up, %d linked, %d not found, %d failed%s",
            self.job_id,
            report.looked_up,
            report.linked,
            report.not_found,
            report.failed,
            ", stopped early" if report.stopped_early else "",
        )
        return report

    async def stop(self) -> None:
        """End a sweep under way after its current lookup (at shutdown); none starts after."""
        self._stopping.set()
        async with self._lock:
            pass

    async def _sweep(self) -> SweepReport:
        report = SweepReport()
        async with self._database.transaction() as session:
            people = await unstarted_without_identity(session, self._directory.platform)
        for index, (person_id, email) in enumerate(people):
            if self._stopping.is_set() or (index and not await self._paced()):
                report.stopped_early = True
                break
            try:
                found = await self._directory.lookup_user_by_email(email)
            except RateLimited:
                report.stopped_early = True
                break
            except SendError as error:
                log.warning("%s: a lookup failed: %s", self.job_id, type(error).__name__)
                report.failed += 1
                continue
            report.looked_up += 1
            if found is None:
                report.not_found += 1
            else:
                await self._link(Identity(self._directory.platform, found), person_id, report)
        return report

    async def _paced(self) -> bool:
        """Wait out the pause between two lookups; False if asked to stop meanwhile."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)
        except TimeoutError:
            return True
        return False

    async def _link(self, identity: Identity, person_id: int, report: SweepReport) -> None:
        try:
            report.linked += await self._welcome(identity, person_id)
        except Exception as error:
            # E.g. another instance linked the same account a moment earlier (a unique key):
            # one person's failure must not end the sweep; the next sweep looks again.
            log.warning("%s: linking person %s failed: %s", self.job_id, person_id, type(error).__name__)
            report.failed += 1
