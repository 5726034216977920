"""Finding roster learners on an e-mail platform (Slack) before they write, and greeting them.

A running bot sweeps at start and then every `SWEEP_INTERVAL_SECONDS`: every learner on a roster
who has not started and has no account on the platform is looked up by the roster's e-mail
(`users.lookupByEmail`). Found: the account is linked and the journey starts as it would at the
learner's first message (`Conversation.welcome`: the welcome now, the kick-off as planned). Not
found, or the lookup failed: nothing changes and the next sweep asks again, so people who join
the workspace later, and rosters imported while the bot runs, are picked up.

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
Pause = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class SweepReport:
    """What one sweep did, in counts."""

    looked_up: int = 0
    linked: int = 0
    not_found: int = 0
    failed: int = 0
    rate_limited: bool = False


class EmailMatcher:
    """Sweeps one platform's directory for the roster's unlinked learners."""

    def __init__(
        self,
        *,
        database: Database,
        directory: EmailDirectory,
        welcome: Welcome,
        pause: Pause | None = None,
    ) -> None:
        self._database = database
        self._directory = directory
        self._welcome = welcome
        self._pause = pause or _pause_between_lookups
        self._lock = asyncio.Lock()
        self._sweeping: asyncio.Task[object] | None = None

    @property
    def job_id(self) -> str:
        return f"match-{self._directory.platform}"

    async def sweep(self) -> SweepReport:
        """Look everyone still unlinked up once; a second call waits for a sweep under way."""
        async with self._lock:
            self._sweeping = asyncio.current_task()
            try:
                report = await self._sweep()
            finally:
                self._sweeping = None
        log.info(
            "%s: %d looked up, %d linked, %d not found, %d failed%s",
            self.job_id,
            report.looked_up,
            report.linked,
            report.not_found,
            report.failed,
            ", stopped by a rate limit" if report.rate_limited else "",
        )
        return report

    async def stop(self) -> None:
        """Cancel a sweep under way (at shutdown); the links it made stay."""
        task = self._sweeping
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.wait([task])

    async def _sweep(self) -> SweepReport:
        report = SweepReport()
        async with self._database.transaction() as session:
            people = await unstarted_without_identity(session, self._directory.platform)
        for index, (person_id, email) in enumerate(people):
            if index:
                await self._pause()
            try:
                found = await self._directory.lookup_user_by_email(email)
            except RateLimited:
                report.rate_limited = True
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

    async def _link(self, identity: Identity, person_id: int, report: SweepReport) -> None:
        try:
            report.linked += await self._welcome(identity, person_id)
        except Exception as error:
            # E.g. another instance linked the same account a moment earlier (a unique key):
            # one person's failure must not end the sweep; the next sweep looks again.
            log.warning("%s: linking person %s failed: %s", self.job_id, person_id, type(error).__name__)
            report.failed += 1


async def _pause_between_lookups() -> None:
    await asyncio.sleep(60 / LOOKUPS_PER_MINUTE)
