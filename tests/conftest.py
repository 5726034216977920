"""Fixtures shared across the suite. Database fixtures live in tests/fakes/databases.py and are
available everywhere: a test asking for `database` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from bot.settings import BUNDLED_CONTENT
from content.loader import load_programs
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import MONDAY_BEFORE_S1
from tests.fakes.databases import (  # noqa: F401  (fixtures)
    database,
    database_url,
    dialect,
    migrated_database_url,
    migration_template,
    postgresql_template,
    sqlite_template,
)


@pytest.fixture(scope="session")
def programs() -> dict[str, Program]:
    """The bundled programs, loaded once."""
    return load_programs(BUNDLED_CONTENT)


@pytest.fixture
def clock() -> FrozenClock:
    """Monday 4 January 2027, 09:00 in Amsterdam: a week before the demo cohort's first session."""
    return FrozenClock(MONDAY_BEFORE_S1)
