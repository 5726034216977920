"""Benchmark: import a roster of 1,000 learners end to end; print time and memory.

What an operator waits for at `coachbot cohort import`: parse and validate the roster, create
people and enrolments, plan every learner and write all their deliveries to the outbox, in one
transaction. Then a re-import with a moved session (re-planning everyone) is timed too.

Run: `.venv/bin/python bench/import_cohort.py [DATABASE_URL]` (default: a fresh SQLite file in a
temporary folder; pass a `postgresql+asyncpg://` URL of an EMPTY database to measure PostgreSQL).
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from bot.cohorts import import_roster
from bot.settings import BUNDLED_CONTENT
from bot.storage.db import Database
from content.loader import load_programs
from content.roster import parse_roster
from scheduler.clock import SystemClock

LEARNERS = 1_000
SESSIONS = "{s1: 2027-01-12T09:00, s2: 2027-02-02T09:00, s3: 2027-02-23T09:00}"
MOVED = "{s1: 2027-01-12T09:00, s2: 2027-02-09T09:00, s3: 2027-02-23T09:00}"


def roster_text(sessions: str) -> str:
    people = "\n".join(
        f"  - {{email: learner{n}@acme.example, name: Learner {n}, manager: boss{n % 40}@acme.example"
        + (", timezone: Europe/London" if n % 5 == 0 else "")
        + "}"
        for n in range(LEARNERS)
    )
    managers = "\n".join(f"  - {{email: boss{n}@acme.example, name: Boss {n}}}" for n in range(40))
    return (
        "id: bench-cohort\nprogram: feedback-geven\ntimezone: Europe/Amsterdam\n"
        f"sessions: {sessions}\ncoaches: [{{email: coach@acme.example, name: Coach}}]\n"
        f"managers:\n{managers}\nparticipants:\n{people}\n"
    )


async def timed_import(url: str, roster_file: Path) -> tuple[float, list[str]]:
    programs = load_programs(BUNDLED_CONTENT)
    started = time.perf_counter()
    roster = parse_roster(roster_file, programs)
    async with Database(url) as database:
        report = await import_roster(database, roster, programs, now=SystemClock().now())
    return time.perf_counter() - started, report.lines


async def main(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        first, second = Path(folder) / "roster.yaml", Path(folder) / "moved.yaml"
        first.write_text(roster_text(SESSIONS), encoding="utf-8")
        second.write_text(roster_text(MOVED), encoding="utf-8")
        dialect = target.split(":", 1)[0]
        created, lines = await timed_import(target, first)
        print(f"{dialect}: import of {LEARNERS} learners: {created:.2f} s ({lines[-1]})")
        moved, lines = await timed_import(target, second)
        print(f"{dialect}: re-import, s2 moved, everyone re-planned: {moved:.2f} s ({lines[-1]})")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory (ru_maxrss): {rss_mb:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
