"""SQLite statements run on the event loop; only a BEGIN IMMEDIATE that has to wait for another
process's write lock waits on the connection's thread (bot/storage/sqlite.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.storage.db import Database
from bot.storage.models import Person
from tests.fakes.databases import sqlite_url
from tests.storage.seed import NOW


@contextmanager
def statements_traced(on_statement: Any) -> Iterator[None]:
    """Call `on_statement(sql)` on the thread that runs each statement of SQLite connections
    opened meanwhile."""

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection._conn.set_trace_callback(on_statement)

    event.listen(Engine, "connect", trace)
    try:
        yield
    finally:
        event.remove(Engine, "connect", trace)


async def test_statements_run_on_the_loop_thread(tmp_path: Path) -> None:
    threads: dict[str, set[int]] = {}

    def record(sql: str) -> None:
        threads.setdefault(sql.split()[0].upper(), set()).add(threading.get_ident())

    with statements_traced(record):
        async with Database(sqlite_url(tmp_path)) as db:
            async with db.transaction() as session:
                session.add(Person(email="a@example.com", name="A", created_at=NOW))
            async with db.transaction() as session:
                assert (await session.exec(select(Person.name))).all() == ["A"]
    loop_thread = threading.get_ident()
    assert threads["SELECT"] == {loop_thread}
    assert threads["INSERT"] == {loop_thread}
    assert threads["COMMIT"] == {loop_thread}
    assert threads["BEGIN"] == {loop_thread}  # the write lock was free


async def test_waiting_for_another_process_s_write_lock_leaves_the_loop_free(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    loop_thread = threading.get_ident()
    waiting = threading.Event()

    def note_begin(sql: str) -> None:
        if sql.startswith("BEGIN") and threading.get_ident() != loop_thread:
            waiting.set()

    async with Database(url) as db:
        other = sqlite3.connect(tmp_path / "coach.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process (say, an import) is writing
        try:
            with statements_traced(note_begin):
                await db.engine.dispose()  # reconnect, so the trace is on
                writing = asyncio.create_task(_add_person(db, "b@example.com"))
                # The loop still runs: it sees the transaction start waiting, and can let go of
                # the other writer's lock. Were BEGIN on the loop, neither would happen until
                # the busy timeout failed the transaction.
                assert await asyncio.to_thread(waiting.wait, 10)
                assert not writing.done()
        finally:
            other.execute("COMMIT")
            other.close()
        await writing
        async with db.transaction() as session:
            assert (await session.exec(select(Person.email))).all() == ["b@example.com"]


async def _add_person(db: Database, email: str) -> None:
    async with db.transaction() as session:
        session.add(Person(email=email, name="B", created_at=NOW))
