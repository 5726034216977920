"""Roster re-imports: added and removed participants, idempotence, all or nothing; the coaches'
room, their response hours and the lead coach (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cohorts import import_roster
from bot.settings import BUNDLED_CONTENT
from bot.storage.db import Database
from bot.storage.models import Cohort, CohortMember, Delivery, Enrolment, Person
from content.model import Program
from content.problems import ContentError
from content.roster import parse_roster

NOW = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
ROSTER = (BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml").read_text(encoding="utf-8")
YOUSSEF = "  - {email: youssef@acme.example, name: Youssef El Amrani, manager: lotte@acme.example}\n"


async def _import(url: str, folder: Path, text: str, programs: dict[str, Program]) -> list[str]:
    path = folder / "roster.yaml"
    path.write_text(text, encoding="utf-8")
    async with Database(url) as database:
        report = await import_roster(database, parse_roster(path, programs), programs, now=NOW)
    return report.lines


async def _state(url: str) -> dict[str, tuple[bool, set[str]]]:
    """Per e-mail: still enrolled?, and the statuses of their planned deliveries."""
    async with Database(url) as database, database.transaction() as session:
        result: dict[str, tuple[bool, set[str]]] = {}
        for enrolment in (await session.exec(select(Enrolment))).all():
            person = await session.get(Person, enrolment.person_id)
            assert person is not None
            rows = (await session.exec(select(Delivery).where(Delivery.enrolment_id == enrolment.id))).all()
            result[person.email] = (enrolment.removed_at is None, {row.status for row in rows})
        return result


async def test_removing_and_adding_participants_replans_only_them(
    tmp_path: Path, programs: dict[str, Program]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await _import(url, tmp_path, ROSTER, programs)
    without = ROSTER.replace(YOUSSEF, "")
    assert without != ROSTER
    lines = await _import(url, tmp_path, without, programs)
    assert lines == ["removed youssef@acme.example: their messages are cancelled"]
    state = await _state(url)
    assert state["youssef@acme.example"] == (False, {"cancelled"})
    assert state["anna@acme.example"] == (True, {"planned"})

    lines = await _import(url, tmp_path, ROSTER, programs)
    assert lines[0] == "re-added youssef@acme.example"
    assert lines[1] == "re-planned: 23 messages added, 0 moved, 0 cancelled"  # his cancelled rows return
    assert (await _state(url))["youssef@acme.example"] == (True, {"planned"})
    assert await _import(url, tmp_path, ROSTER, programs) == []


async def test_a_failing_import_changes_nothing(tmp_path: Path, programs: dict[str, Program]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await _import(url, tmp_path, ROSTER, programs)
    before = await _state(url)
    with pytest.raises(ContentError, match="s4"):
        await _import(url, tmp_path, ROSTER.replace("s3: 2027-02-23T09:00", "s4: 2027-02-23T09:00"), programs)
    assert await _state(url) == before


COACHED = ROSTER.replace(
    "  - {email: coach@acme.example, name: Carla Coach}\n",
    "  - {email: coach@acme.example, name: Carla Coach}\n"
    "  - {email: piet@acme.example, name: Piet Coach, lead: true}\n"
    "coach_room: {slack: C0123ABC, telegram: -1001234567890}\n"
    "coach_response_hours: 2.5\n",
)


async def _import_into(
    database: Database, folder: Path, text: str, programs: dict[str, Program]
) -> list[str]:
    path = folder / "roster.yaml"
    path.write_text(text, encoding="utf-8")
    report = await import_roster(database, parse_roster(path, programs), programs, now=NOW)
    return report.lines


async def _coaching(database: Database) -> tuple[dict[str, str], float, dict[tuple[str, str], bool]]:
    """The demo cohort's coach rooms and response hours; per (e-mail, role) of each member: leads?"""
    async with database.transaction() as session:
        cohort = await session.get(Cohort, "fb-2027-q1")
        assert cohort is not None
        members = (await session.exec(select(CohortMember, Person).join(Person))).all()
        leads = {(person.email, member.role): member.lead for member, person in members}
        return cohort.coach_room, cohort.coach_response_hours, leads


async def test_an_import_stores_the_coach_room_the_response_hours_and_the_lead(
    database: Database, tmp_path: Path, programs: dict[str, Program]
) -> None:
    assert COACHED != ROSTER
    await _import_into(database, tmp_path, COACHED, programs)
    rooms, hours, leads = await _coaching(database)
    assert rooms == {"slack": "C0123ABC", "telegram": "-1001234567890"}
    assert hours == 2.5
    assert leads == {
        ("coach@acme.example", "coach"): False,
        ("piet@acme.example", "coach"): True,
        ("mark@acme.example", "manager"): False,
        ("lotte@acme.example", "manager"): False,
    }


async def test_the_demo_roster_makes_its_only_coach_the_lead_with_the_defaults(
    database: Database, tmp_path: Path, programs: dict[str, Program]
) -> None:
    await _import_into(database, tmp_path, ROSTER, programs)
    rooms, hours, leads = await _coaching(database)
    assert (rooms, hours) == ({}, 4.0)
    assert leads[("coach@acme.example", "coach")] is True


async def test_a_re_import_updates_the_rooms_the_hours_and_who_leads(
    database: Database, tmp_path: Path, programs: dict[str, Program]
) -> None:
    await _import_into(database, tmp_path, COACHED, programs)
    changed = (
        COACHED.replace(", lead: true}", "}")  # Carla, the first coach, leads again
        .replace("{slack: C0123ABC, telegram: -1001234567890}", "{telegram: -1009876543210}")
        .replace("coach_response_hours: 2.5", "coach_response_hours: 8")
    )
    assert await _import_into(database, tmp_path, changed, programs) == [
        "coach rooms: slack C0123ABC, telegram -1001234567890 -> telegram -1009876543210",
        "coach response hours: 2.5 -> 8",
        "lead coach: piet@acme.example -> coach@acme.example",
    ]
    rooms, hours, leads = await _coaching(database)
    assert (rooms, hours) == ({"telegram": "-1009876543210"}, 8.0)
    assert (leads[("coach@acme.example", "coach")], leads[("piet@acme.example", "coach")]) == (True, False)
    assert await _import_into(database, tmp_path, changed, programs) == []

    assert await _import_into(database, tmp_path, ROSTER, programs) == [
        "coach rooms: telegram -1009876543210 -> none",
        "coach response hours: 8 -> 4",
    ]
    rooms, hours, leads = await _coaching(database)
    assert (rooms, hours) == ({}, 4.0)
    assert ("piet@acme.example", "coach") not in leads
    assert leads[("coach@acme.example", "coach")] is True


async def test_a_lead_coach_who_leaves_the_roster_hands_over_to_the_next(
    database: Database, tmp_path: Path, programs: dict[str, Program]
) -> None:
    await _import_into(database, tmp_path, COACHED, programs)
    without_piet = COACHED.replace("  - {email: piet@acme.example, name: Piet Coach, lead: true}\n", "")
    lines = await _import_into(database, tmp_path, without_piet, programs)
    assert lines == ["lead coach: piet@acme.example -> coach@acme.example"]
    assert (await _coaching(database))[2][("coach@acme.example", "coach")] is True
