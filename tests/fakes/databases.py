"""Real databases for tests: a SQLite file per test, and a fresh PostgreSQL database per test
when `COACHBOT_TEST_POSTGRES_URL` is set (CI sets it when a server answers).

Use the fixtures from a conftest.py:

    from tests.fakes.databases import database, database_url  # noqa: F401  (fixtures)

`database_url` runs a test once per dialect (the PostgreSQL run is marked `postgres` and
skipped without the variable); `database` is an open, migrated `Database` on that URL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.storage.db import Database

POSTGRES_ENV = "COACHBOT_TEST_POSTGRES_URL"
_NO_POSTGRES = f"{POSTGRES_ENV} is not set: the PostgreSQL variant of this test is skipped"

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
async def fresh_postgres_database(server_url: str) -> AsyncIterator[str]:
    """Create an empty database next to the one `server_url` names, yield its URL, drop it.

    A database per test keeps tests independent, also when they run in parallel."""
    name = f"coachbot_t_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _with_database(server_url, name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def database_at(dialect: str, folder: Path) -> AsyncIterator[str]:
    """A URL of an empty database of `dialect` ("sqlite" in `folder`, or "postgresql")."""
    if dialect == "sqlite":
        yield sqlite_url(folder)
        return
    server = postgres_url()
    if server is None:
        pytest.skip(_NO_POSTGRES)
    async with fresh_postgres_database(server) as url:
        yield url


@pytest.fixture(params=DIALECTS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database, once on SQLite and once on PostgreSQL (if available)."""
    async with database_at(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An open, migrated Database; closed after the test."""
    db = await open_database(database_url)
    try:
        yield db
    finally:
        await db.close()


def _asyncpg_dsn(url: str) -> str:
    # asyncpg speaks plain postgresql:// URLs, without SQLAlchemy's "+driver".
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))
