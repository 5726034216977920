"""The database: one async engine and its sessions, on SQLite or PostgreSQL, migrated at start.

`Database` is created from `COACHBOT_DATABASE_URL` (e.g. `sqlite+aiosqlite:///coach.db` or
`postgresql+asyncpg://user@host/db`) and opened once by the composition root:

    async with Database(url) as db:           # applies the migrations (Alembic upgrade head)
        async with db.transaction() as session:
            ...                               # committed on success, rolled back on error

SQLite runs with one writer at a time: every transaction starts with `BEGIN IMMEDIATE`, so a
read-then-write (claiming outbox rows) cannot interleave with another writer; WAL lets readers
of other processes carry on, and a busy timeout makes writers queue instead of failing. Inside
one process the transactions also queue on an asyncio lock: the dispatcher's concurrent sends
each record their result in a transaction, and waiting on the lock is instant and fair, where
SQLite's busy handler polls with sleeps of up to 100 ms. PostgreSQL transactions run side by
side. A transaction opened inside another on the same task would wait for itself on SQLite; it
raises instead.

`read()` gives a session for reading only, which never waits for a writer: on SQLite its
transaction starts with a plain (deferred) `BEGIN`, a consistent snapshot in WAL mode that takes
no write lock and does not queue on the asyncio lock, and `PRAGMA query_only` makes SQLite
refuse any write in it ("attempt to write a readonly database"); on PostgreSQL it is a
`READ ONLY` transaction. Either way the block ends with a rollback: nothing is committed.
Reports (`coachbot outbox`, `plan`, `cohort list`) and home views use it, so they answer while
another process (an import) or this one holds the write lock.

`autocommit()` gives a session whose statements each commit on their own: on PostgreSQL one
round trip per statement, no BEGIN and COMMIT, for a write that needs no transaction around it
(the dispatcher's marks of sent replies); on SQLite it is a `transaction()`.

A PostgreSQL connection that sat unused in the pool for a while (`ping_after_idle`, default
10 s) is pinged when it is taken, and replaced if the server dropped it (a restart, a proxy's
idle timeout). A connection in steady use is not: pinging every checkout took a round trip per
transaction, under load a tenth of a Slack event's CPU and a fifth of the events per second
(docs/performance.md). If the server drops connections in steady use, the transactions that
take them fail once; SQLAlchemy sees the disconnect and renews the whole pool. The work is then
redone: a group of events one by one (bot/flows/conversation.py), an event its platform did not
see acknowledged by redelivery, a planning run on its next turn. A reply's sent mark that fails
leaves the reply to be sent again after its lease, as any database failure at that moment does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, cast

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, CursorResult, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.domain.errors import ConfigError
from bot.storage.sqlite import BEGIN, inline_connector

Dialect = Literal["sqlite", "postgresql"]

URL_KEY = "COACHBOT_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"

_ASYNC_DRIVERS: dict[str, str] = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_EXAMPLES = "e.g. sqlite+aiosqlite:///coach.db or postgresql+asyncpg://user@host/dbname"
PING_AFTER_IDLE = 10.0  # seconds a PostgreSQL connection may sit in the pool unchecked
_IDLE_SINCE = "coachbot_idle_since"  # in a pooled connection's info: when it was put back
_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another instead of failing
# Set on a connection by `read()`: its transaction only reads (see `_on_sqlite_begin`).
READ_ONLY = "coachbot_read_only"
_QUERY_ONLY = "coachbot_query_only"  # in a SQLite connection's info: PRAGMA query_only is on
_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT * 1000)}",  # first: the pragmas below may wait too
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",  # safe with WAL; a power cut may lose the last commit only
)
# Any fixed number shared by every Coachbot process: the advisory lock of `migrate`.
_MIGRATION_LOCK = 0x636F6163  # "coac"


class Database:
    """The application's database: an async engine, its sessions and its migrations."""

    def __init__(self, url: str, *, echo: bool = False, ping_after_idle: float = PING_AFTER_IDLE) -> None:
        self._url = parse_url(url)
        self._echo = echo
        self._ping_after_idle = ping_after_idle
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._write_lock: asyncio.Lock | None = None  # SQLite: one transaction at a time
        self._writer: asyncio.Task[object] | None = None

    @property
    def dialect(self) -> Dialect:
        return _dialect(self._url)

    @property
    def writers_take_turns(self) -> bool:
        """True on SQLite: this process's transactions run one at a time (see the module doc)."""
        return self.dialect == "sqlite"

    @property
    def url(self) -> str:
        """The URL with any password masked: safe to log."""
        return self._url.render_as_string(hide_password=True)

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Database is not open")
        return self._engine

    async def open(self, *, migrate: bool = True) -> Self:
        """Create the engine and, unless told not to, bring the schema up to date."""
        if self._engine is not None:
            return self
        self._engine = _create_engine(self._url, echo=self._echo, ping_after_idle=self._ping_after_idle)
        self._sessions = async_sessionmaker(self._engine, class_=AsyncSession, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        if migrate:
            try:
                await self.migrate()
            except BaseException:
                await self.close()
                raise
        return self

    async def close(self) -> None:
        """Release every connection. Safe to call twice."""
        engine, self._engine, self._sessions = self._engine, None, None
        if engine is not None:
            await engine.dispose()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        if self._sessions is None:
            raise RuntimeError("Database is not open")
        async with self._turn(), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only, whose transaction never waits for a writer and is rolled
        back when the block ends; a write in it fails (see the module doc). Not queued behind
        this process's transactions, so it may also be opened inside one."""
        if self._sessions is None:
            raise RuntimeError("Database is not open")
        async with self.engine.connect() as connection:
            # Options of this connection only: the next user of the pooled connection starts
            # without them (PostgreSQL's read-only flag is reset when it goes back).
            reading = await connection.execution_options(**_read_options(self.dialect))
            async with self._sessions(bind=reading) as session:
                yield session  # closing the session rolls its transaction back

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncSession]:
        """A session whose statements each commit on their own, for writes that need no
        transaction around them: on PostgreSQL a statement is one round trip, with no BEGIN and
        COMMIT, and one statement run for many rows (executemany) still applies to all or none.
        An error leaves the statements before it committed. On SQLite, whose writers take turns,
        the block is one `transaction()`."""
        if self.writers_take_turns:
            async with self.transaction() as session:
                yield session
            return
        async with self.engine.connect() as connection:
            # Put back to the pool's default when the connection goes back to the pool.
            autocommitting = await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=autocommitting, expire_on_commit=False) as session:
                yield session

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """SQLite: wait until no other transaction of this process is open (see the module doc)."""
        lock = self._write_lock
        if lock is None:
            yield
            return
        task = asyncio.current_task()
        if task is not None and task is self._writer:
            raise RuntimeError("a transaction inside a transaction: SQLite would wait for itself")
        async with lock:
            self._writer = task
            try:
                yield
            finally:
                self._writer = None

    async def migrate(self) -> None:
        """Apply every Alembic migration not yet applied (`upgrade head`). A schema already at
        head is only read, so opening the database (every command does) takes no write lock
        and waits for no other process's."""
        if await self._at_head():
            return
        async with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                # Held until this transaction ends: concurrent starts migrate one at a time.
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            await connection.run_sync(_upgrade_head)

    async def _at_head(self) -> bool:
        async with self.engine.connect() as connection:
            reading = await connection.execution_options(**_read_options(self.dialect))
            return await reading.run_sync(_is_at_head)

    async def schema_differences(self) -> list[Any]:
        """What Alembic's autogenerate sees between the live schema and the models; [] when
        the migrations produce exactly the tables the code declares."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_compare_with_models)

    async def revision(self, *, message: str, rev_id: str | None = None) -> None:
        """Write a new migration from the difference between this (migrated) database and
        the models: for developers after changing bot/storage/models.py. Review its output."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_autogenerate, message, rev_id)


def insert_ignoring(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *, unique: Sequence[str]
) -> postgresql.Insert | sqlite.Insert:
    """`INSERT ... ON CONFLICT (unique) DO NOTHING` in the session's dialect: rows whose
    unique columns already exist are skipped without an error (add `.returning()` to learn which
    were inserted). For one row on a hot path, `InsertIgnoring` is cheaper still."""
    # One row as a dict: SQLAlchemy caches that statement's compiled form; a list of rows (a
    # multi-row VALUES) it compiles anew each time, which cost an inbound message 0.4 ms.
    values = dict(rows[0]) if len(rows) == 1 else list(rows)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).values(values).on_conflict_do_nothing(index_elements=list(unique))


class InsertIgnoring:
    """`insert_ignoring` of one row at a time, as a statement built once per dialect and run
    with the row as its parameters.

    Why: SQLAlchemy computes a statement's cache key on every execution of a new statement
    object, and building one (`.values(row)`) coerces every value; a reused object keeps its key.
    That was a third of the cost of each of the inbound chain's inserts (docs/performance.md)."""

    def __init__(self, table: Table, *, unique: Sequence[str], returning: Sequence[str] = ()) -> None:
        self._table = table
        self._unique = list(unique)
        self._returning = [table.c[name] for name in returning]
        self._built: dict[str, UpdateBase] = {}

    async def execute(
        self, session: AsyncSession, rows: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> CursorResult[Any]:
        """Run it for one row, or for many at once (they must all name the same columns; with
        `returning`, SQLAlchemy sends them as one multi-row INSERT); the cursor result, whose
        rows are those inserted."""
        result = await session.exec(self._statement(session.get_bind().dialect.name), params=rows)
        return cast(CursorResult[Any], result)

    def _statement(self, dialect: str) -> UpdateBase:
        statement = self._built.get(dialect)
        if statement is None:
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            ignoring = insert(self._table).on_conflict_do_nothing(index_elements=self._unique)
            statement = ignoring.returning(*self._returning) if self._returning else ignoring
            self._built[dialect] = statement
        return statement


async def migrate(url: str) -> None:
    """Bring the database at `url` up to date, then close it."""
    async with Database(url):
        pass


def parse_url(url: str) -> URL:
    """Check that `url` names SQLite or PostgreSQL through an async driver, or raise ConfigError."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"{URL_KEY}: not a database URL; expected {_EXAMPLES}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigError(f"{URL_KEY}: unsupported database {backend!r}; expected {_EXAMPLES}")
    if driver != _ASYNC_DRIVERS[backend]:
        wanted = f"{backend}+{_ASYNC_DRIVERS[backend]}://"
        raise ConfigError(f"{URL_KEY}: driver {driver!r} is not async; start the URL with {wanted}")
    if backend == "sqlite" and not parsed.database:
        raise ConfigError(f"{URL_KEY}: name the SQLite file, e.g. sqlite+aiosqlite:///coach.db")
    return parsed


def alembic_config(connection: Connection) -> Config:
    """Alembic's settings, built in code: migrations run on `connection` (see env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _read_options(dialect: Dialect) -> dict[str, Any]:
    """The execution options of a `read()` connection."""
    if dialect == "postgresql":
        return {READ_ONLY: True, "postgresql_readonly": True}  # the driver's READ ONLY transaction
    return {READ_ONLY: True}


def _dialect(url: URL) -> Dialect:
    return "postgresql" if url.get_backend_name() == "postgresql" else "sqlite"


def _create_engine(url: URL, *, echo: bool, ping_after_idle: float) -> AsyncEngine:
    if _dialect(url) == "postgresql":
        engine = create_async_engine(url, echo=echo)
        _ping_when_idle(engine, after=ping_after_idle)
        return engine
    _create_folder(url)
    # The connector runs statements on the event loop (sqlite.py says why and when not).
    engine = create_async_engine(url, echo=echo, async_creator=inline_connector(url, timeout=_BUSY_TIMEOUT))
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _ping_when_idle(engine: AsyncEngine, *, after: float) -> None:
    """Ping a pooled connection that was idle for `after` seconds when it is taken; replace it
    if the server no longer answers. Wall-clock time, not the app's clock: it is the network
    connection that goes stale."""
    pool = engine.sync_engine.pool

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)  # None: a new connection
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool throws this connection away and takes a new one.
            raise DisconnectionError("an idle connection was dropped by the server") from error

    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checked_out)


def _create_folder(url: URL) -> None:
    database = url.database or ""
    if database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is deferred and skipped for SELECTs; we emit ours instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    _use_wal(cursor)
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """WAL belongs to the file: once set, it stays. Two processes opening a new file at the
    same moment both try to set it, and SQLite answers the loser "database is locked" at once,
    without waiting in its busy handler; the winner's switch is the one that counts."""
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception as error:  # the driver's OperationalError, wrapped by SQLAlchemy's adapter
        if "locked" not in str(error):
            raise


def _on_sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        # A deferred BEGIN: in WAL mode a snapshot that waits for no writer. query_only makes
        # SQLite refuse a write, which would otherwise take the write lock after all.
        _query_only(connection, on=True)
        connection.exec_driver_sql("BEGIN")
        return
    _query_only(connection, on=False)
    # Take the write lock up front, so a read-then-write transaction never meets another writer
    # halfway (SQLite would fail it with "database is locked" instead of waiting).
    connection.exec_driver_sql(BEGIN)


def _query_only(connection: Connection, *, on: bool) -> None:
    """Set SQLite's `query_only` on the connection if it is not so already. The flag outlives
    the transaction, so the pooled connection's info records it: a writer that takes the
    connection after a reader turns it off, and a writer after a writer pays nothing."""
    if bool(connection.info.get(_QUERY_ONLY)) != on:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if on else 'OFF'}")
        connection.info[_QUERY_ONLY] = on


def _is_at_head(connection: Connection) -> bool:
    """Whether the database has every migration applied (an empty one has none)."""
    applied = set(MigrationContext.configure(connection).get_current_heads())
    return applied == set(ScriptDirectory.from_config(alembic_config(connection)).get_heads())


def _upgrade_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _compare_with_models(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def _autogenerate(connection: Connection, message: str, rev_id: str | None) -> None:
    command.revision(alembic_config(connection), message=message, autogenerate=True, rev_id=rev_id)
