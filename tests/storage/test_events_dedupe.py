"""Inbound event dedupe: an event recorded in a committed transaction is never handled again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.storage import events
from bot.storage.db import Database
from tests.fakes.databases import open_database
from tests.storage.seed import NOW


async def _record(db: Database, platform: str, event_id: str) -> bool:
    async with db.transaction() as session:
        return await events.record_event(session, platform=platform, event_id=event_id, now=NOW)


async def test_an_event_is_new_once(database: Database) -> None:
    assert await _record(database, "telegram", "1001")
    assert not await _record(database, "telegram", "1001")
    assert await _record(database, "telegram", "1002")
    assert await _record(database, "slack", "1001")  # ids are per platform


async def test_a_crash_before_commit_forgets_the_event(database: Database) -> None:
    with pytest.raises(RuntimeError, match="crash"):
        await _record_then_crash(database)
    assert await _record(database, "telegram", "7")


async def _record_then_crash(db: Database) -> None:
    async with db.transaction() as session:
        assert await events.record_event(session, platform="telegram", event_id="7", now=NOW)
        raise RuntimeError("crash")


@pytest.mark.parametrize("commit", [True, False])
async def test_the_same_event_at_once_in_two_transactions(
    database: Database, migrated_database_url: str, commit: bool
) -> None:
    other = await open_database(migrated_database_url, migrate=False)
    try:
        first = database.transaction()
        session = await first.__aenter__()
        assert await events.record_event(session, platform="slack", event_id="Ev1", now=NOW)
        # The second handler waits for the first transaction's outcome (row lock or write lock).
        second = asyncio.create_task(_record(other, "slack", "Ev1"))
        if commit:
            await first.__aexit__(None, None, None)
        else:
            await first.__aexit__(RuntimeError, RuntimeError("crash"), None)
        assert await asyncio.wait_for(second, timeout=30) is not commit
    finally:
        await other.close()


async def test_forget_events_drops_old_ones(database: Database) -> None:
    async with database.transaction() as session:
        await events.record_event(session, platform="telegram", event_id="old", now=NOW - timedelta(days=8))
        await events.record_event(session, platform="telegram", event_id="new", now=NOW)
    async with database.transaction() as session:
        assert await events.forget_events(session, before=NOW - timedelta(days=7)) == 1
    assert await _record(database, "telegram", "old")
    assert not await _record(database, "telegram", "new")
