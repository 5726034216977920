"""The Database: URL checks, SQLite settings, transactions, reads that wait for no writer, UTC
datetimes on both dialects, and PostgreSQL connections the server dropped."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlmodel import select

from bot.domain.errors import ConfigError
from bot.storage.db import Database, migrate, parse_url
from bot.storage.models import Identity, Person
from tests.fakes.databases import drop_connections, only_postgresql, sqlite_url
from tests.storage.seed import NOW


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("not a url", "not a database URL"),
        ("mysql+aiomysql://u@h/db", "unsupported database 'mysql'"),
        ("sqlite:///coach.db", "start the URL with sqlite+aiosqlite://"),
        ("postgresql://u@h/db", "start the URL with postgresql+asyncpg://"),
        ("postgresql+psycopg2://u:secret@h/db", "start the URL with postgresql+asyncpg://"),
        ("sqlite+aiosqlite://", "name the SQLite file"),
    ],
)
def test_a_bad_url_is_a_config_error_naming_the_key(url: str, hint: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Database(url)
    message = str(raised.value)
    assert message.startswith("COACHBOT_DATABASE_URL: ")
    assert hint in message
    assert "secret" not in message


def test_good_urls_parse() -> None:
    assert parse_url("sqlite+aiosqlite:///coach.db").database == "coach.db"
    assert Database("postgresql+asyncpg://u:secret@h/db").dialect == "postgresql"
    assert Database("sqlite+aiosqlite:///coach.db").dialect == "sqlite"


def test_the_url_shown_hides_the_password() -> None:
    shown = Database("postgresql+asyncpg://u:secret@h/db").url
    assert "secret" not in shown
    assert shown.startswith("postgresql+asyncpg://u:")


async def test_sqlite_creates_the_folder_of_its_file(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "a" / "b")
    async with Database(url) as db, db.transaction() as session:
        session.add(Person(email="a@example.com", name="A", created_at=NOW))
    assert (tmp_path / "a" / "b" / "coach.db").is_file()


async def test_sqlite_settings(tmp_path: Path) -> None:
    async with Database(sqlite_url(tmp_path)) as db, db.transaction() as session:
        connection = await session.connection()
        pragmas = {}
        for name in ("journal_mode", "foreign_keys", "busy_timeout"):
            pragmas[name] = (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


async def test_sqlite_transactions_take_the_write_lock_at_once(tmp_path: Path) -> None:
    async with Database(sqlite_url(tmp_path)) as db:
        async with db.transaction() as session:
            await session.exec(select(Person))  # only a read so far
            other = sqlite3.connect(tmp_path / "coach.db", timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        # Once the transaction is over, another writer gets in.
        other = sqlite3.connect(tmp_path / "coach.db", timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


async def test_transactions_of_one_process_take_turns_on_sqlite_and_overlap_on_postgresql(
    database: Database,
) -> None:
    inside, most = 0, 0

    async def add(number: int) -> None:
        nonlocal inside, most
        async with database.transaction() as session:
            inside += 1
            most = max(most, inside)
            session.add(Person(email=f"p{number}@example.com", name="P", created_at=NOW))
            await session.flush()
            await asyncio.sleep(0)  # a turn for the others, inside the transaction
            inside -= 1

    await asyncio.gather(*(add(number) for number in range(8)))
    async with database.transaction() as session:
        assert len((await session.exec(select(Person))).all()) == 8
    assert most == (1 if database.dialect == "sqlite" else 8)


async def test_a_transaction_inside_another_on_the_same_task_raises_on_sqlite(tmp_path: Path) -> None:
    async with Database(sqlite_url(tmp_path)) as db, db.transaction():
        with pytest.raises(RuntimeError, match="inside a transaction"):
            async with db.transaction():
                pass


async def test_sqlite_reads_answer_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    async with Database(url) as db:
        async with db.transaction() as session:
            session.add(Person(email="a@example.com", name="A", created_at=NOW))
        other = sqlite3.connect(tmp_path / "coach.db", timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process (say, an import) is writing
            other.execute("INSERT INTO persons (email, name, created_at) VALUES ('b@example.com', 'B', '')")
            # A transaction would wait up to the busy timeout; a read answers at once, from the
            # last committed state, and so does a command that opens the database to read.
            async with asyncio.timeout(10):
                async with db.read() as session:
                    assert (await session.exec(select(Person.email))).all() == ["a@example.com"]
                async with Database(url) as reopened, reopened.read() as session:
                    assert (await session.exec(select(Person.email))).all() == ["a@example.com"]
            other.execute("COMMIT")  # the other writer kept its lock throughout
        finally:
            other.close()


async def test_a_read_inside_a_transaction_waits_for_none_and_sees_only_what_is_committed(
    database: Database,
) -> None:
    async with database.transaction() as session:
        session.add(Person(email="kept@example.com", name="Kept", created_at=NOW))
    async with asyncio.timeout(10), database.transaction() as writing:
        writing.add(Person(email="new@example.com", name="New", created_at=NOW))
        await writing.flush()
        async with database.read() as reading:  # on SQLite: not queued behind this transaction
            assert (await reading.exec(select(Person.email))).all() == ["kept@example.com"]


async def test_a_write_inside_a_read_is_refused(database: Database) -> None:
    with pytest.raises(DBAPIError, match=r"readonly database|read-only transaction"):
        await _write_in_read(database)
    async with database.read() as session:
        assert (await session.exec(select(Person))).all() == []


async def _write_in_read(db: Database) -> None:
    async with db.read() as session:
        session.add(Person(email="w@example.com", name="W", created_at=NOW))
        await session.flush()


async def test_a_connection_lent_for_reading_goes_back_to_the_pool_writable(database: Database) -> None:
    read_only = "SHOW transaction_read_only" if database.dialect == "postgresql" else "PRAGMA query_only"
    for number in range(3):  # the same pooled connection, taken in turns
        async with database.read() as session:
            assert str((await session.exec(text(read_only))).one()[0]) in ("on", "1")
        async with database.transaction() as session:
            assert str((await session.exec(text(read_only))).one()[0]) in ("off", "0")
            session.add(Person(email=f"p{number}@example.com", name="P", created_at=NOW))
    async with database.read() as session:
        assert len((await session.exec(select(Person))).all()) == 3


async def test_a_transaction_commits_on_success_and_rolls_back_on_error(database: Database) -> None:
    async with database.transaction() as session:
        session.add(Person(email="kept@example.com", name="Kept", created_at=NOW))
    with pytest.raises(RuntimeError, match="boom"):
        await _add_then_fail(database)
    async with database.transaction() as session:
        emails = (await session.exec(select(Person.email))).all()
    assert emails == ["kept@example.com"]


async def _add_then_fail(db: Database) -> None:
    """Add a person, then fail, in a `transaction()`."""
    async with db.transaction() as session:
        session.add(Person(email="lost@example.com", name="Lost", created_at=NOW))
        await session.flush()
        raise RuntimeError("boom")


async def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(Identity(person_id=999, platform="console", external_id="x", created_at=NOW))


async def test_datetimes_come_back_aware_utc(database: Database) -> None:
    amsterdam = timezone(timedelta(hours=1))
    moment = datetime(2027, 3, 28, 2, 30, 15, 123456, tzinfo=amsterdam)
    async with database.transaction() as session:
        session.add(Person(email="t@example.com", name="T", created_at=moment))
    async with database.transaction() as session:
        stored = (await session.exec(select(Person.created_at))).one()
    assert stored == moment
    assert stored.tzinfo is UTC
    assert stored.hour == 1


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.transaction() as session:
            session.add(Person(email="n@example.com", name="N", created_at=datetime(2027, 1, 1)))


async def test_migrate_twice_is_harmless(database_url: str) -> None:
    await migrate(database_url)
    await migrate(database_url)
    async with Database(database_url) as db, db.transaction() as session:
        assert (await session.exec(select(Person))).all() == []


async def test_lifecycle(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path))
    with pytest.raises(RuntimeError, match="not open"):
        async with db.transaction():
            pass
    assert await db.open(migrate=False) is db
    assert await db.open() is db  # already open: nothing happens
    await db.close()
    await db.close()
    with pytest.raises(RuntimeError, match="not open"):
        _ = db.engine


async def _one_transaction(database: Database) -> None:
    async with database.transaction() as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]


@only_postgresql
async def test_a_connection_the_server_dropped_is_replaced_before_use(
    migrated_database_url: str,
) -> None:
    async with Database(migrated_database_url) as database:
        await _one_transaction(database)
        assert await drop_connections(migrated_database_url) >= 1
        await _one_transaction(database)  # no error: the ping found it dead, the pool made another
