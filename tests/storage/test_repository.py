"""The joined look-ups of the inbound chain: one query each, the same answers as the two-step ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bot.storage.db import Database
from bot.storage.models import Cohort, Enrolment
from bot.storage.repository import (
    current_enrolment,
    current_enrolment_and_cohort,
    identities_of,
    identity_and_person,
)
from tests.storage.seed import NOW, add_learner


@contextmanager
def counted_statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements the database runs inside the block."""
    seen: list[str] = []

    def on_statement(connection: object, cursor: object, statement: str, *rest: object) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", on_statement)


async def test_an_identity_comes_with_its_person_in_one_query(database: Database) -> None:
    learner = await add_learner(database, platforms=("telegram", "slack"))
    async with database.transaction() as session:
        slack = next(i for i in await identities_of(session, learner.person_id) if i.platform == "slack")
    async with database.transaction() as session:
        with counted_statements(database) as statements:
            found = await identity_and_person(session, platform="slack", external_id=slack.external_id)
        assert len([s for s in statements if s.startswith("SELECT")]) == 1
        unknown = await identity_and_person(session, platform="slack", external_id="slack-0")
    assert found is not None
    identity, person = found
    assert (identity.platform, identity.person_id) == ("slack", learner.person_id)
    assert person.id == learner.person_id
    assert unknown is None


async def test_the_current_enrolment_comes_with_its_cohort_in_one_query(database: Database) -> None:
    learner = await add_learner(database)
    async with database.transaction() as session:
        session.add(Cohort(id="c2", program_id="p2", timezone="Europe/London", imported_at=NOW))
        session.add(Enrolment(cohort_id="c2", person_id=learner.person_id, created_at=NOW))
    async with database.transaction() as session:
        with counted_statements(database) as statements:
            found = await current_enrolment_and_cohort(session, learner.person_id)
        newest = await current_enrolment(session, learner.person_id)
    assert len([s for s in statements if s.startswith("SELECT")]) == 1
    assert found is not None
    enrolment, cohort = found
    assert newest is not None
    assert (enrolment.id, cohort.id) == (newest.id, "c2")


async def test_a_removed_enrolment_is_not_current(database: Database) -> None:
    learner = await add_learner(database, removed=True)
    async with database.transaction() as session:
        assert await current_enrolment_and_cohort(session, learner.person_id) is None
