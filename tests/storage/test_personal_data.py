"""The map of personal data covers every table and column, and deleting a person erases
exactly the rows the map says are theirs (on SQLite and PostgreSQL).

Why a forgotten table fails here: `gaps` derives from the tables' own foreign keys which
tables lead to `persons` (directly, or through enrolments, deliveries or any table that does)
and requires each of them in `PERSONAL_DATA`, every table in the map or in `NOTHING_PERSONAL`,
every column of a mapped table named once, every key to a table that leads to a person a
`Link` whose `ondelete` matches its `Erase`, and every column named `*person_id` a `Link`.
A new table with a `person_id` foreign key is in no list: "neither in PERSONAL_DATA nor in
NOTHING_PERSONAL". Listing it as holding nothing personal fails too, as does a new column on a
mapped table. `test_gaps_finds_what_the_map_forgets` shows it on a copy of the tables, and
adding a `Note` model with a person_id to models.py once made `test_the_map_covers_every_table`
fail with that message.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, delete
from sqlmodel import SQLModel, col, select

from bot.storage import personal_data
from bot.storage.db import Database
from bot.storage.models import Enrolment, Person
from bot.storage.personal_data import NOTHING_PERSONAL, PERSONAL_DATA, Category, Erase, PersonalTable
from tests.storage.seed import add_history, add_learner, add_manager
from tests.storage.text_search import find_text

# ---------------------------------------------------------------------------------------------
# the map against the tables


def _leading_to_a_person(metadata: MetaData) -> set[str]:
    """Tables whose foreign keys lead to `persons`, directly or through other tables."""
    leading = {"persons"}
    while grown := {
        table.name
        for table in metadata.tables.values()
        if table.name not in leading and any(key.column.table.name in leading for key in table.foreign_keys)
    }:
        leading |= grown
    return leading


def gaps(metadata: MetaData) -> list[str]:
    """What the map forgets or gets wrong about `metadata`'s tables, a line each."""
    mapped = {entry.name: entry for entry in PERSONAL_DATA}
    leading = _leading_to_a_person(metadata)
    known = mapped.keys() | NOTHING_PERSONAL.keys()
    problems = [f"{name}: in the map, but no such table" for name in sorted(known - metadata.tables.keys())]
    for table in metadata.sorted_tables:
        if table.name in mapped:
            problems += _column_gaps(table, mapped[table.name], leading)
        elif table.name not in NOTHING_PERSONAL:
            problems.append(f"{table.name}: neither in PERSONAL_DATA nor in NOTHING_PERSONAL")
        elif table.name in leading:
            problems.append(f"{table.name}: leads to a person, but is in NOTHING_PERSONAL")
    return problems


def _column_gaps(table: Table, entry: PersonalTable, leading: set[str]) -> list[str]:
    links = {link.column: link for link in entry.links}
    names = [column.name for column in table.columns]
    named = [*links, *(column.name for column in entry.columns), *entry.other]
    problems = [f"{table.name}.{name}: named twice" for name in sorted(set(named)) if named.count(name) > 1]
    problems += [f"{table.name}.{name}: no such column" for name in sorted(set(named) - set(names))]
    problems += [f"{table.name}.{name}: not in the map" for name in names if name not in named]
    problems += [
        f"{table.name}.{name}: a person column that is no Link"
        for name in names
        if name.endswith("person_id") and name not in links
    ]
    keys = {key.parent.name: key for key in table.foreign_keys}
    for name, link in links.items():
        key = keys.get(name)
        if key is None or key.column.table.name != link.table:
            problems.append(f"{table.name}.{name}: no foreign key to {link.table}")
        elif (key.ondelete or "").upper() != link.erase.value:
            problems.append(f"{table.name}.{name}: ON DELETE {key.ondelete}, the map says {link.erase.value}")
    problems += [
        f"{table.name}.{name}: a key to {key.column.table.name}, which leads to a person, is no Link"
        for name, key in keys.items()
        if key.column.table.name in leading and name not in links
    ]
    return problems


def _copy_of_the_tables() -> MetaData:
    metadata = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    return metadata


def test_the_map_covers_every_table() -> None:
    assert gaps(SQLModel.metadata) == []


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        (
            Column("person_id", ForeignKey("persons.id")),
            "notes: neither in PERSONAL_DATA nor in NOTHING_PERSONAL",
        ),
        (Column("enrolment_id", ForeignKey("enrolments.id")), "notes: neither in PERSONAL_DATA nor in"),
        (Column("delivery_id", ForeignKey("deliveries.id")), "notes: neither in PERSONAL_DATA nor in"),
    ],
    ids=["by person", "by enrolment", "by delivery"],
)
def test_gaps_finds_a_table_the_map_forgets(added: Column[int], expected: str) -> None:
    metadata = _copy_of_the_tables()
    Table("notes", metadata, Column("id", Integer, primary_key=True), added, Column("text", String))
    assert [problem for problem in gaps(metadata) if problem.startswith(expected)] != []


def test_gaps_finds_what_the_map_forgets() -> None:
    metadata = _copy_of_the_tables()
    metadata.tables["responses"].append_column(Column("note", String))
    metadata.tables["processed_events"].append_column(Column("person_id", ForeignKey("persons.id")))
    metadata.tables["invites"].append_column(Column("created_by", ForeignKey("persons.id")))
    assert set(gaps(metadata)) == {
        "processed_events: leads to a person, but is in NOTHING_PERSONAL",
        "responses.note: not in the map",
        "invites.created_by: not in the map",
        "invites.created_by: a key to persons, which leads to a person, is no Link",
    }


def test_every_table_comes_before_the_tables_it_links_to() -> None:
    order = personal_data.tables_of_person()
    assert order[-1] == "persons"
    for entry in PERSONAL_DATA:
        for link in entry.links:
            assert order.index(entry.name) < order.index(link.table), (entry.name, link.column)


def test_every_table_but_persons_belongs_to_a_person_through_a_link() -> None:
    for entry in PERSONAL_DATA[:-1]:
        assert any(link.erase is Erase.ROW for link in entry.links), entry.name


def test_columns_of_a_category() -> None:
    assert personal_data.columns(Category.FREE_TEXT) == (
        ("case_messages", "text"),
        ("peer_feedback", "answers"),
        ("peer_feedback", "thanks"),
        ("coach_cases", "description"),
        ("responses", "text"),
        ("deliveries", "payload"),
    )
    assert ("persons", "email") in personal_data.columns(Category.IDENTITY)
    assert personal_data.table("responses").links == (personal_data.ENROLMENT,)
    with pytest.raises(KeyError):
        personal_data.table("cohorts")


# ---------------------------------------------------------------------------------------------
# erasing a person


async def _rows_of(database: Database, person_id: int) -> dict[str, set[int]]:
    """The ids of the rows the map says are the person's, per table (following ROW links)."""
    theirs: dict[str, set[int]] = {"persons": {person_id}}
    async with database.transaction() as session:
        for entry in reversed(PERSONAL_DATA[:-1]):  # a table's links point to ones already seen
            table = SQLModel.metadata.tables[entry.name]
            theirs[entry.name] = set()
            for link in entry.links:
                if link.erase is Erase.ROW:
                    query = select(table.c.id).where(table.c[link.column].in_(theirs[link.table]))
                    theirs[entry.name] |= set((await session.exec(query)).all())
    return theirs


async def _all_rows(database: Database) -> dict[str, set[int]]:
    async with database.transaction() as session:
        return {
            name: set((await session.exec(select(SQLModel.metadata.tables[name].c.id))).all())
            for name in personal_data.tables_of_person()
        }


async def _delete_person(database: Database, person_id: int) -> None:
    async with database.transaction() as session:
        await session.exec(delete(Person).where(col(Person.id) == person_id))


async def test_deleting_a_person_erases_their_rows_and_no_one_elses(database: Database) -> None:
    leaving, staying = await add_learner(database), await add_learner(database)
    for learner in (leaving, staying):
        await add_history(database, learner)
    manager = await add_manager(database, leaving, staying)
    theirs = await _rows_of(database, leaving.person_id)
    others = [await _rows_of(database, person) for person in (staying.person_id, manager)]
    before = await _all_rows(database)
    # The seed has a row in every table of the map, or this test would prove less than it says.
    assert all(theirs[name] or others[1][name] for name in before)

    await _delete_person(database, leaving.person_id)

    assert await _all_rows(database) == {name: rows - theirs[name] for name, rows in before.items()}
    assert [await _rows_of(database, person) for person in (staying.person_id, manager)] == others


async def test_deleting_a_manager_empties_the_link_of_the_enrolments_they_managed(database: Database) -> None:
    learner = await add_learner(database)
    await add_history(database, learner)
    manager = await add_manager(database, learner)
    theirs, learners = await _rows_of(database, manager), await _rows_of(database, learner.person_id)
    before = await _all_rows(database)

    await _delete_person(database, manager)

    assert await _all_rows(database) == {name: rows - theirs[name] for name, rows in before.items()}
    assert await _rows_of(database, learner.person_id) == learners
    async with database.transaction() as session:
        enrolment = await session.get(Enrolment, learner.enrolment_id)
    assert enrolment is not None
    assert enrolment.manager_id is None


# ---------------------------------------------------------------------------------------------
# find_text


async def test_find_text_finds_a_canary_in_text_and_in_json(database: Database) -> None:
    await add_history(database, await add_learner(database), text="a canary ✓ in the mine")
    assert await find_text(database, "canary ✓") == [
        ("case_messages", "text"),
        ("coach_cases", "description"),
        ("deliveries", "payload"),
        ("peer_feedback", "answers"),
        ("responses", "text"),
    ]
    assert await find_text(database, "a dove") == []
    assert await find_text(database, "@example.com") == [("persons", "email")]
