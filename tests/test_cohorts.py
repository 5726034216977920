"""Roster re-imports: added and removed participants, idempotence, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cohorts import import_roster
from bot.settings import BUNDLED_CONTENT
from bot.storage.db import Database
from bot.storage.models import Delivery, Enrolment, Person
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
