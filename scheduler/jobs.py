"""APScheduler set-up: the only module that imports apscheduler.

Jobs are plain async callables injected by the composition root (waking the dispatcher,
handing back stale claims; later digests and pairing rounds). Durable state lives in our own
tables, so jobs are registered anew at every start and nothing is stored in APScheduler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger


@dataclass(frozen=True, slots=True)
class IntervalJob:
    """Run `run` every `seconds` (real time), never two at once, missed runs coalesced."""

    id: str
    run: Callable[[], Awaitable[object]]
    seconds: float


def build_scheduler(jobs: Sequence[IntervalJob]) -> AsyncIOScheduler:
    """A scheduler with the given jobs registered; call `.start()` inside the running loop."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    for job in jobs:
        scheduler.add_job(
            _ending_quietly_at_shutdown(job.run),
            trigger=IntervalTrigger(seconds=job.seconds, timezone=UTC),
            id=job.id,
            name=job.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(job.seconds)),
            replace_existing=True,
        )
    return scheduler


def _ending_quietly_at_shutdown(run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """`run`, except that being cancelled is a normal end: `shutdown()` cancels the jobs that
    are running, and APScheduler would log each as an error with a traceback. Nothing is lost
    by it; what a job was doing is in our tables and is picked up again at the next start."""

    async def job() -> None:
        try:
            await run()
        except asyncio.CancelledError:
            return

    return job


def run_soon(scheduler: AsyncIOScheduler, job_id: str) -> None:
    """Move a job's next run to now (e.g. to run it at once after start-up)."""
    scheduler.modify_job(job_id, next_run_time=datetime.now(UTC) - timedelta(microseconds=1))
