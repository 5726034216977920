"""SQLite connections that answer on the event loop instead of a thread.

aiosqlite gives every connection a thread and runs each call there (opening a cursor,
executing, fetching, closing); the answer comes back through the event loop. Each round trip
costs about 130 µs of thread hand-over and loop wake-up, three or four per statement, while
SQLite itself answers from the page cache in a few microseconds. With the bot's transactions
taking turns (see db.py), those hops were most of an inbound message's cost
(docs/performance.md).

`InlineConnection` runs the calls on the event loop instead. The one statement that can wait
long is `BEGIN IMMEDIATE`, for another process's write lock (a `coachbot cohort import` running
next to the bot). It is first tried on the loop with no busy timeout, so it takes a free lock at
once; if another process holds the lock, it is run again on the connection's thread, where
SQLite's busy timeout waits without blocking the loop. Once it returns, this connection holds
the write lock: the statements that follow never wait for a writer, and in WAL mode readers
never wait for one either. So the loop runs only short statements, and long waits happen where
they always did.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL

BEGIN = "BEGIN IMMEDIATE"  # what db.py starts every transaction with


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread, except a `BEGIN` that
    has to wait. `busy_timeout` is the connection's own, in seconds."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], *, busy_timeout: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._busy_timeout_ms = int(busy_timeout * 1000)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")  # what aiosqlite says, which SQLAlchemy maps
        if args and args[0] == BEGIN:
            return await self._begin(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    async def _begin(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Take the write lock at once if it is free, else wait for it on the thread."""
        try:
            with self._busy_timeout(0):
                return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    @contextmanager
    def _busy_timeout(self, milliseconds: int) -> Iterator[None]:
        connection = self._conn
        connection.execute(f"PRAGMA busy_timeout={milliseconds}")
        try:
            yield
        finally:
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")


def inline_connector(url: URL, *, timeout: float) -> Callable[[], Any]:
    """The `async_creator` for SQLAlchemy's aiosqlite dialect: opens an `InlineConnection` to
    the file SQLAlchemy would open for `url`, with a busy timeout of `timeout` seconds."""
    arguments, options = SQLiteDialect_aiosqlite().create_connect_args(url)
    # The loop thread and the connection's thread both use it, never at the same time.
    options = {**options, "timeout": timeout, "check_same_thread": False}
    connect = partial(sqlite3.connect, *arguments, **options)

    async def open_connection() -> aiosqlite.Connection:
        return await InlineConnection(connect, busy_timeout=timeout)

    return open_connection
