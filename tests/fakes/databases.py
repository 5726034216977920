"""Real databases for tests: a SQLite file per test, and a fresh PostgreSQL database per test
when `COACHBOT_TEST_POSTGRES_URL` is set (CI sets it when a server answers).

Use the fixtures from a conftest.py (and `only_postgresql` on a test that needs the server):

    from tests.fakes.databases import (  # noqa: F401  (fixtures)
        database, database_url, dialect, migrated_database_url, migration_template,
        postgresql_template, sqlite_template,
    )

Each test that uses one of them runs once per dialect; the PostgreSQL run is marked `postgres`
and skipped (with the reason) without the variable. `database_url` is an empty database,
`migrated_database_url` one with every migration applied, `database` an open `Database` on it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio

from bot.storage.db import Database, migrate

POSTGRES_ENV = "COACHBOT_TEST_POSTGRES_URL"
_Test = TypeVar("_Test", bound=Callable[..., object])
NO_POSTGRES = f"{POSTGRES_ENV} is not set: the PostgreSQL variant of this test is skipped"

DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_url() -> str | None:
    """The PostgreSQL server to test against (its database is only used to create others)."""
    return os.environ.get(POSTGRES_ENV) or None


def sqlite_url(folder: Path, name: str = "coach.db") -> str:
    return f"sqlite+aiosqlite:///{folder / name}"


async def open_database(url: str, *, migrate: bool = True) -> Database:
    """An open Database on `url`, migrated unless told otherwise; close it when done."""
    return await Database(url).open(migrate=migrate)


@asynccontextmanager
async def fresh_postgres_database(server_url: str, *, template: str | None = None) -> AsyncIterator[str]:
    """Create a database on the server `server_url` names (a copy of `template`, another
    database's URL, if given), yield its URL, and drop it.

    A database per test keeps tests independent, also when they run in parallel."""
    name = f"coachbot_t_{uuid.uuid4().hex}"
    copy = f' TEMPLATE "{_name_of(template)}"' if template else ""
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
        try:
            yield _with_name(server_url, name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def drop_connections(url: str) -> int:
    """Close, from the server's side, every connection to the database `url` names (as a
    server restart or a proxy's idle timeout does); how many there were."""
    admin = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        dropped = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            _name_of(url),
        )
    finally:
        await admin.close()
    return len(dropped)


def require_postgres() -> str:
    """The server URL, or skip the test saying why."""
    server = postgres_url()
    if server is None:
        pytest.skip(NO_POSTGRES)
    return server


def only_postgresql(test: _Test) -> _Test:
    """Run a test that uses the database fixtures on PostgreSQL only (skipped without a server)."""
    return pytest.mark.postgres(pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)(test))


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    """ "sqlite" or "postgresql": the test runs once for each."""
    return str(request.param)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once per test session: copying it is quicker than
    migrating every test's database."""
    folder = tmp_path_factory.mktemp("migrated")
    await migrate(sqlite_url(folder))
    return folder / "coach.db"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgresql_template() -> AsyncIterator[str]:
    """A migrated PostgreSQL database (its URL), made once per test session, for the same reason."""
    async with fresh_postgres_database(require_postgres()) as url:
        await migrate(url)
        yield url


@pytest.fixture
async def database_url(dialect: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database (no tables yet)."""
    if dialect == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async with fresh_postgres_database(require_postgres()) as url:
        yield url


@pytest.fixture
def migration_template(dialect: str, request: pytest.FixtureRequest) -> str:
    """What `migrated_database_url` copies: a SQLite file's path or a PostgreSQL database's URL.
    A sync fixture, so only the template of the test's dialect is made."""
    return str(request.getfixturevalue(f"{dialect}_template"))


@pytest.fixture
async def migrated_database_url(dialect: str, tmp_path: Path, migration_template: str) -> AsyncIterator[str]:
    """The URL of a database with every migration applied and no rows."""
    if dialect == "sqlite":
        # The template was closed cleanly, so its WAL is checkpointed into the one file.
        shutil.copyfile(migration_template, tmp_path / "coach.db")
        yield sqlite_url(tmp_path)
        return
    async with fresh_postgres_database(require_postgres(), template=migration_template) as url:
        yield url


@pytest.fixture
async def database(migrated_database_url: str) -> AsyncIterator[Database]:
    """An open, migrated Database; closed after the test."""
    db = await open_database(migrated_database_url)
    try:
        yield db
    finally:
        await db.close()


def _asyncpg_dsn(url: str) -> str:
    # asyncpg speaks plain postgresql:// URLs, without SQLAlchemy's "+driver".
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


def _with_name(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
