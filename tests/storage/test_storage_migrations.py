"""Migrations build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, col, delete, func, select

from bot.storage.db import Database, alembic_config
from bot.storage.models import Person, Prompt
from tests.fakes.databases import open_database
from tests.storage.seed import add_history, add_learner, add_manager


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade_to_base(connection: Connection) -> None:
    command.downgrade(alembic_config(connection), "base")


def _upgrade_to_0003(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "0003")


async def _counts(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        return {
            name: (await session.exec(select(func.count()).select_from(table))).one()
            for name, table in SQLModel.metadata.tables.items()
        }


async def _table_names(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        return await connection.run_sync(_tables)


async def test_migrations_create_every_table(database: Database) -> None:
    assert await _table_names(database) == set(SQLModel.metadata.tables) | {"alembic_version"}


async def test_the_database_is_at_the_newest_revision(database: Database) -> None:
    async with database.engine.connect() as connection:
        version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        head = await connection.run_sync(
            lambda sync: ScriptDirectory.from_config(alembic_config(sync)).get_current_head()
        )
    assert version == head


async def test_migrations_match_the_models(database: Database) -> None:
    assert await database.schema_differences() == []


async def test_an_unmigrated_database_differs_from_the_models(database_url: str) -> None:
    db = await open_database(database_url, migrate=False)
    try:
        differences = await db.schema_differences()
    finally:
        await db.close()
    added = {difference[1].name for difference in differences if difference[0] == "add_table"}
    assert added == set(SQLModel.metadata.tables)


async def test_downgrade_removes_every_table_and_upgrade_restores_them(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_downgrade_to_base)
    assert await _table_names(database) == {"alembic_version"}
    await database.migrate()
    assert await database.schema_differences() == []


async def test_processes_starting_together_migrate_one_at_a_time(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        # Unserialised, two Alembic runs would interleave and wait on each other for ever.
        await asyncio.wait_for(asyncio.gather(first.open(), second.open()), timeout=60)
        assert await first.schema_differences() == []
    finally:
        await first.close()
        await second.close()


async def _counts_of(db: Database, names: set[str]) -> dict[str, int]:
    async with db.transaction() as session:
        return {
            name: (await session.exec(text(f"SELECT count(*) FROM {name}"))).scalar_one() for name in names
        }  # type: ignore[call-overload]


async def test_the_migrations_keep_every_row_turn_awaiting_into_prompts_and_then_erase_a_person(
    database_url: str,
) -> None:
    """0004 rebuilds the tables on SQLite: with foreign keys on, dropping the old enrolments
    would take (CASCADE) or refuse its children's rows, so migrations run with them off. 0005
    turns an awaited reflection into an open text prompt."""
    db = await open_database(database_url, migrate=False)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(_upgrade_to_0003)
        learner = await add_learner(db, awaiting={"intervention": "r1", "occurrence": "2027-01-12"})
        idle = await add_learner(db, awaiting={})
        await add_history(db, learner, prompt=False, case=False)
        await add_manager(db, learner, idle)
        names = set(SQLModel.metadata.tables) - {
            "prompts",
            "coach_cases",
            "case_messages",
            "peer_rounds",
            "peer_feedback",
        }
        before = await _counts_of(db, names)

        await db.migrate()

        assert await _counts_of(db, names) == before
        async with db.transaction() as session:
            (prompt,) = (await session.exec(select(Prompt))).all()
        assert (prompt.person_id, prompt.kind, prompt.closed_at) == (learner.person_id, "text", None)
        assert prompt.purpose == {
            "reflection": "r1",
            "occurrence": "2027-01-12",
            "enrolment": learner.enrolment_id,
        }
        async with db.transaction() as session:
            await session.exec(delete(Person).where(col(Person.id).in_([learner.person_id, idle.person_id])))
        after = await _counts(db)
    finally:
        await db.close()
    assert {name: count for name, count in after.items() if count} == {
        "persons": 1,
        "cohorts": 1,
        "cohort_members": 1,
    }
