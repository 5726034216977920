"""Alembic's environment: runs migrations on the connection `bot.storage.db` hands over.

There is no alembic.ini: `bot.storage.db.alembic_config` builds the settings in code and puts
an open connection (already in a transaction) in `config.attributes["connection"]`, so the
same path serves SQLite (aiosqlite) and PostgreSQL (asyncpg) from inside the running event loop.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import bot.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.storage.types import UTCDateTime


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy types, so a migration never imports the
    application (a migration is history: it must not change when the code does)."""
    if kind != "type":
        return False
    if isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        compare_type=True,
        render_item=render_item,
        # SQLite alters tables by copying them; batch mode writes that for us.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _connection() -> Connection:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through bot.storage.db (Database.migrate or .revision)")
    return connection


run_migrations(_connection())
