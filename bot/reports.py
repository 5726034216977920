"""Read-only views for operators and trainers: cohort list and learners' timelines.

Each reads in `Database.read()`: a report answers at once while the bot or an import writes."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from bot.storage.db import Database
from bot.storage.models import Cohort, Enrolment, Person
from bot.storage.outbox import deliveries_for
from bot.storage.repository import (
    Session,
    all_cohorts,
    current_enrolment,
    enrolments_of_cohort,
    person_by_email,
)
from content.model import Program


async def cohort_lines(database: Database) -> list[str]:
    async with database.read() as session:
        cohorts = await all_cohorts(session)
        lines = []
        for cohort in cohorts:
            enrolments = [e for e in await enrolments_of_cohort(session, cohort.id) if e.removed_at is None]
            started = sum(1 for e in enrolments if e.started_at is not None)
            dates = ", ".join(f"{sid} {at.replace('T', ' ')}" for sid, at in cohort.sessions.items())
            lines.append(
                f"{cohort.id}  {cohort.program_id}  {len(enrolments)} participants ({started} started)  "
                f"{cohort.timezone}: {dates}"
            )
    return lines or ["No cohorts yet: import one with `coachbot cohort import FILE.yaml`."]


async def plan_lines(
    database: Database, programs: Mapping[str, Program], *, cohort_id: str, email: str | None
) -> list[str]:
    """Per learner: a header, then one line per delivery (local time, title, kind, status)."""
    async with database.read() as session:
        cohort = await session.get(Cohort, cohort_id)
        if cohort is None:
            return [f"No cohort {cohort_id!r}. See `coachbot cohort list`."]
        program = programs.get(cohort.program_id)
        titles = {item.id: item.title for item in program.interventions} if program else {}
        lines: list[str] = []
        for enrolment in await enrolments_of_cohort(session, cohort_id):
            person = await session.get(Person, enrolment.person_id)
            if person is None or (email and person.email != email.lower()):
                continue
            lines += await _timeline(session, cohort, enrolment, person, titles)
        if email and not lines:
            return [f"No learner {email} in cohort {cohort_id}."]
    return lines


async def _timeline(
    session: Session, cohort: Cohort, enrolment: Enrolment, person: Person, titles: Mapping[str, str]
) -> list[str]:
    zone = ZoneInfo(person.timezone or cohort.timezone)
    state = (
        "removed"
        if enrolment.removed_at
        else "paused"
        if enrolment.paused_at
        else ("started" if enrolment.started_at else "not started")
    )
    lines = [f"{person.name} <{person.email}> ({zone.key}, {state})"]
    assert enrolment.id is not None
    for delivery in await deliveries_for(session, enrolment_id=enrolment.id):
        if delivery.kind == "reply":
            continue
        when = delivery.due_at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")
        what = titles.get(delivery.intervention_id or "", delivery.kind)
        suffix = f" {delivery.occurrence}" if delivery.occurrence else ""
        lines.append(f"  {when}  {delivery.status:<9}  {delivery.kind:<12}  {what}{suffix}")
    return [*lines, ""]


async def timezone_of(database: Database, email: str) -> ZoneInfo | None:
    """The learner's timezone (their own, or their cohort's), for showing local times."""
    async with database.read() as session:
        person = await person_by_email(session, email)
        if person is None or person.id is None:
            return None
        if person.timezone:
            return ZoneInfo(person.timezone)
        enrolment = await current_enrolment(session, person.id)
        cohort = await session.get(Cohort, enrolment.cohort_id) if enrolment else None
        return ZoneInfo(cohort.timezone) if cohort else None
