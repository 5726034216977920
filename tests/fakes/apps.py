"""The whole App with the bundled demo cohort imported, on a SQLite file unless a test names
another database: what most flow tests need."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.base import ChatAdapter
from bot.app import App
from bot.cohorts import import_roster
from bot.settings import BUNDLED_CONTENT, Settings
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock

DEMO_ROSTER = BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml"
MONDAY_BEFORE_S1 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


def app_on(
    folder: Path,
    programs: Mapping[str, Program],
    clock: FrozenClock,
    adapter: ChatAdapter,
    *,
    database_url: str | None = None,
) -> App:
    """An App on `database_url`, by default `folder`/coach.db; building it again on the same
    database is a process restart."""
    settings = Settings(database_url=database_url or f"sqlite+aiosqlite:///{folder / 'coach.db'}")
    return App(settings=settings, clock=clock, adapters=[adapter], programs=programs)


@asynccontextmanager
async def demo_app(
    folder: Path,
    programs: Mapping[str, Program],
    clock: FrozenClock,
    adapter: ChatAdapter,
    *,
    database_url: str | None = None,
) -> AsyncIterator[App]:
    """A running App with the feedback-geven demo cohort imported."""
    async with app_on(folder, programs, clock, adapter, database_url=database_url) as running:
        roster = parse_roster(DEMO_ROSTER, programs)
        await import_roster(running.database, roster, programs, now=clock.now())
        yield running
