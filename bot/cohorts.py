"""Importing a cohort roster: all or nothing, idempotent, re-planning only what changed.

The roster is parsed and validated before anything is written (content.roster); the writes
happen in one transaction, so any failure leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.flows.learners import load_learner
from bot.flows.planning import replan
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Cohort, CohortMember, Enrolment, Person
from bot.storage.repository import Session, enrolments_of_cohort, members_of_cohort, person_by_email
from content.model import Program
from content.roster import Contact, Participant, Roster


@dataclass(slots=True)
class ImportReport:
    """What an import changed, as lines for the operator."""

    cohort_id: str
    created: bool = False
    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.lines)


async def import_roster(
    database: Database, roster: Roster, programs: Mapping[str, Program], *, now: datetime
) -> ImportReport:
    report = ImportReport(cohort_id=roster.id)
    async with database.transaction() as session:
        cohort, moved = await _upsert_cohort(session, roster, report, now=now)
        managers = {c.email: await _upsert_person(session, c, now=now) for c in roster.managers}
        await _sync_members(session, roster, managers, report, now=now)
        changed_people = await _sync_participants(session, roster, managers, report, now=now)
        await _replan(session, cohort, programs, report, everyone=moved, only=changed_people, now=now)
    return report


async def _upsert_cohort(
    session: Session, roster: Roster, report: ImportReport, *, now: datetime
) -> tuple[Cohort, bool]:
    sessions = {sid: at.isoformat(timespec="minutes") for sid, at in roster.sessions}
    cohort = await session.get(Cohort, roster.id)
    if cohort is None:
        cohort = Cohort(
            id=roster.id,
            program_id=roster.program_id,
            timezone=roster.timezone,
            sessions=sessions,
            coach_room=dict(roster.coach_room),
            coach_response_hours=roster.coach_response_hours,
            imported_at=now,
        )
        session.add(cohort)
        report.created = True
        report.lines.append(f"created cohort {roster.id} ({roster.program_id}, {len(sessions)} sessions)")
        return cohort, False
    moved = [sid for sid, at in sessions.items() if cohort.sessions.get(sid) != at]
    for sid in moved:
        report.lines.append(f"session {sid} moved: {cohort.sessions.get(sid)} -> {sessions[sid]}")
    if roster.timezone != cohort.timezone:
        report.lines.append(f"timezone changed: {cohort.timezone} -> {roster.timezone}")
    if roster.program_id != cohort.program_id:
        report.lines.append(f"program changed: {cohort.program_id} -> {roster.program_id}")
    changed = bool(moved) or roster.timezone != cohort.timezone or roster.program_id != cohort.program_id
    cohort.sessions, cohort.timezone, cohort.program_id = sessions, roster.timezone, roster.program_id
    _update_coaching(cohort, roster, report)
    cohort.imported_at = now
    session.add(cohort)
    return cohort, changed


def _update_coaching(cohort: Cohort, roster: Roster, report: ImportReport) -> None:
    """The coaches' rooms and response time: what coach cases use, never a learner's plan."""
    rooms = dict(roster.coach_room)
    if rooms != cohort.coach_room:
        report.lines.append(f"coach rooms: {_rooms(cohort.coach_room)} -> {_rooms(rooms)}")
    if roster.coach_response_hours != cohort.coach_response_hours:
        report.lines.append(
            f"coach response hours: {cohort.coach_response_hours:g} -> {roster.coach_response_hours:g}"
        )
    cohort.coach_room, cohort.coach_response_hours = rooms, roster.coach_response_hours


def _rooms(rooms: Mapping[str, str]) -> str:
    return ", ".join(f"{platform} {room}" for platform, room in sorted(rooms.items())) or "none"


async def _upsert_person(
    session: Session,
    contact: Contact | Participant,
    *,
    now: datetime,
    report: ImportReport | None = None,
) -> Person:
    person = await person_by_email(session, contact.email)
    language = getattr(contact, "language", None)
    timezone = getattr(contact, "timezone", None)
    if person is None:
        person = Person(
            email=contact.email, name=contact.name, language=language, timezone=timezone, created_at=now
        )
        session.add(person)
        await session.flush()
        return person
    if isinstance(contact, Participant) and (person.language, person.timezone) != (language, timezone):
        if report is not None and person.timezone != timezone:
            report.lines.append(f"timezone of {contact.email}: {person.timezone} -> {timezone}")
        person.language, person.timezone = language, timezone
    person.name = contact.name
    session.add(person)
    return person


async def _sync_members(
    session: Session,
    roster: Roster,
    managers: Mapping[str, Person],
    report: ImportReport,
    *,
    now: datetime,
) -> None:
    """Coaches and managers as the roster has them, new ones added in roster order; the lead
    flag follows the roster (a coach who no longer leads is updated)."""
    wanted: dict[tuple[int, str], bool] = {}  # (person id, role) -> leads
    for contact in roster.coaches:
        coach = await _upsert_person(session, contact, now=now)
        assert coach.id is not None
        wanted[(coach.id, "coach")] = contact.lead
    wanted |= {(person.id, "manager"): False for person in managers.values() if person.id is not None}
    existing = {(m.person_id, m.role): m for m in await members_of_cohort(session, roster.id)}
    await _report_lead(session, roster, existing.values(), report)
    for key, gone in existing.items():
        if key not in wanted:
            await session.delete(gone)
    for (person_id, role), lead in wanted.items():
        member = existing.get((person_id, role))
        if member is None:
            member = CohortMember(cohort_id=roster.id, person_id=person_id, role=role)
        elif member.lead == lead:
            continue
        member.lead = lead
        session.add(member)


async def _report_lead(
    session: Session, roster: Roster, members: Iterable[CohortMember], report: ImportReport
) -> None:
    """A line when another coach (or nobody, or somebody at last) leads the existing cohort."""
    if report.created:
        return
    before = next((m.person_id for m in members if m.role == "coach" and m.lead), None)
    person = await session.get(Person, before) if before is not None else None
    old = person.email if person is not None else "none"
    new = next((coach.email for coach in roster.coaches if coach.lead), "none")
    if old != new:
        report.lines.append(f"lead coach: {old} -> {new}")


async def _sync_participants(
    session: Session,
    roster: Roster,
    managers: Mapping[str, Person],
    report: ImportReport,
    *,
    now: datetime,
) -> set[int]:
    """Add, update and remove enrolments; returns the enrolment ids whose plan may have changed."""
    enrolments = {e.person_id: e for e in await enrolments_of_cohort(session, roster.id)}
    changed: set[int] = set()
    present: set[int] = set()
    for participant in roster.participants:
        known = await person_by_email(session, participant.email)
        timezone_before = known.timezone if known else None
        person = await _upsert_person(session, participant, now=now, report=report)
        assert person.id is not None
        present.add(person.id)
        manager = managers.get(participant.manager) if participant.manager else None
        enrolment = enrolments.get(person.id)
        affected = known is not None and timezone_before != person.timezone
        if enrolment is None:
            enrolment = Enrolment(cohort_id=roster.id, person_id=person.id, created_at=now)
            report.lines.append(f"added {participant.email}")
            affected = True
        elif enrolment.removed_at is not None:
            enrolment.removed_at = None
            report.lines.append(f"re-added {participant.email}")
            affected = True
        enrolment.manager_id = manager.id if manager else None
        enrolment.team = participant.team
        session.add(enrolment)
        await session.flush()
        assert enrolment.id is not None
        if affected:
            changed.add(enrolment.id)
    for person_id, enrolment in enrolments.items():
        if person_id in present or enrolment.removed_at is not None:
            continue
        enrolment.removed_at = now
        session.add(enrolment)
        assert enrolment.id is not None
        await outbox.cancel_unsent(session, enrolment_id=enrolment.id)
        leaver = await session.get(Person, person_id)
        report.lines.append(f"removed {leaver.email if leaver else person_id}: their messages are cancelled")
    return changed


async def _replan(
    session: Session,
    cohort: Cohort,
    programs: Mapping[str, Program],
    report: ImportReport,
    *,
    everyone: bool,
    only: set[int],
    now: datetime,
) -> None:
    added = moved = cancelled = 0
    for enrolment in await enrolments_of_cohort(session, cohort.id):
        if enrolment.id is None or enrolment.removed_at is not None:
            continue
        if not everyone and enrolment.id not in only:
            continue
        learner = await load_learner(session, enrolment.id, programs)
        if learner is None:
            continue
        change = await replan(session, learner, now=now)
        added, moved, cancelled = added + change.added, moved + change.moved, cancelled + change.cancelled
    if added or moved or cancelled:
        report.lines.append(f"re-planned: {added} messages added, {moved} moved, {cancelled} cancelled")
