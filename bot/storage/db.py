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
raises instead. Migrations run on SQLite with foreign keys off
(`_upgrade_head_without_foreign_keys` says why); every reference is checked before they commit.

`read()` gives a session for reading only, which never waits for a writer: on SQLite its
transaction starts with a plain (deferred) `BEGIN`, a consistent snapshot in WAL mode that takes
no write lock and does not queue on the asyncio lock, and `PRAGMA query_only` makes SQLite
refuse any write in it ("attempt to write a readonly database"); on PostgreSQL it is a
`READ ONLY` transaction. Either way the block ends with a rollback: nothing is committed.
Reports (`coachbot outbox`, `plan`, `cohort list`) and home views use it, so they answer while
another process (an import) or this one holds the write lock.

PostgreSQL pings a pooled connection before lending it (`pool_pre_ping`), so a connection the
server dropped (a restart, a proxy's idle timeout) is replaced instead of failing a transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.domain.errors import ConfigError

Dialect = Literal["sqlite", "postgresql"]

URL_KEY = "COACHBOT_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"

_ASYNC_DRIVERS: dict[str, str] = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_EXAMPLES = "e.g. sqlite+aiosqlite:///coach.db or postgresql+asyncpg://user@host/dbname"
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

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self._url = parse_url(url)
        self._echo = echo
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._write_lock: asyncio.Lock | None = None  # SQLite: one transaction at a time
        self._writer: asyncio.Task[object] | None = None

    @property
    def dialect(self) -> Dialect:
        return _dialect(self._url)

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
        self._engine = _create_engine(self._url, echo=self._echo)
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
        if self.dialect == "sqlite":
            async with self.engine.connect() as connection:
                await connection.run_sync(_upgrade_head_without_foreign_keys)
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
    were inserted)."""
    values = list(rows)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).values(values).on_conflict_do_nothing(index_elements=list(unique))


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


def _create_engine(url: URL, *, echo: bool) -> AsyncEngine:
    if _dialect(url) == "postgresql":
        return create_async_engine(url, echo=echo, pool_pre_ping=True)
    _create_folder(url)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": _BUSY_TIMEOUT})
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


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


BEGIN = "BEGIN IMMEDIATE"


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


def _upgrade_head_without_foreign_keys(connection: Connection) -> None:
    """SQLite alters a table by copying it to a new one and dropping the old. With foreign keys
    on, dropping a table that others refer to deletes their rows (ON DELETE CASCADE) or fails,
    so SQLite's own procedure turns them off, which only works outside a transaction. Whether
    the migrations left every reference intact is checked before they commit."""
    _sqlite_pragma(connection, "foreign_keys=OFF")
    try:
        with connection.begin():
            _upgrade_head(connection)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migrations left rows referring to none: {broken[:5]}")
    finally:
        _sqlite_pragma(connection, "foreign_keys=ON")


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    # On the driver's connection: SQLAlchemy's would begin a transaction first.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _compare_with_models(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def _autogenerate(connection: Connection, message: str, rev_id: str | None) -> None:
    command.revision(alembic_config(connection), message=message, autogenerate=True, rev_id=rev_id)
