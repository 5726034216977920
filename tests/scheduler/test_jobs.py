"""The real APScheduler wakes injected jobs; nothing here waits on wall-clock sleeps."""

from __future__ import annotations

import asyncio
import logging

import pytest

from scheduler.jobs import IntervalJob, build_scheduler, run_soon


async def test_a_registered_job_runs_when_due() -> None:
    ran = asyncio.Event()

    async def dispatch() -> None:
        ran.set()

    scheduler = build_scheduler([IntervalJob(id="dispatch", run=dispatch, seconds=3600)])
    scheduler.start()
    try:
        assert not ran.is_set()
        run_soon(scheduler, "dispatch")
        await asyncio.wait_for(ran.wait(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)


async def test_jobs_never_overlap_and_missed_runs_coalesce() -> None:
    scheduler = build_scheduler([IntervalJob(id="dispatch", run=_noop, seconds=5)])
    job = scheduler.get_job("dispatch")
    assert job is not None
    assert job.max_instances == 1
    assert job.coalesce is True
    assert job.trigger.interval.total_seconds() == 5


async def test_every_job_is_registered() -> None:
    jobs = [IntervalJob(id="a", run=_noop, seconds=1), IntervalJob(id="b", run=_noop, seconds=2)]
    scheduler = build_scheduler(jobs)
    assert sorted(job.id for job in scheduler.get_jobs()) == ["a", "b"]


async def _noop() -> None:
    return None


async def test_a_job_cut_short_by_shutdown_is_no_error(caplog: pytest.LogCaptureFixture) -> None:
    started, ended = asyncio.Event(), asyncio.Event()

    async def dispatch() -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # busy until shutdown
        finally:
            ended.set()

    scheduler = build_scheduler([IntervalJob(id="dispatch", run=dispatch, seconds=3600)])
    scheduler.start()
    run_soon(scheduler, "dispatch")
    await asyncio.wait_for(started.wait(), timeout=10)
    scheduler.shutdown(wait=False)
    await asyncio.wait_for(ended.wait(), timeout=10)
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
