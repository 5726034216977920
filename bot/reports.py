"""Read-only views for operators and trainers: cohort list, learners' timelines, the outbox and
coach cases.

Each reads in `Database.read()`: a report answers at once while the bot or an import writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import CoachbotError
from bot.storage import cases, peers
from bot.storage.db import Database
from bot.storage.models import CoachCase, Cohort, Enrolment, PeerFeedback, PeerRound, Person
from bot.storage.outbox import FAILED, deliveries_for
from bot.storage.outbox_status import OutboxStatus, RecordedError, outbox_status
from bot.storage.repository import (
    Session,
    all_cohorts,
    enrolments_of_cohort,
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


async def outbox_lines(database: Database, *, now: datetime, cohort_id: str | None = None) -> list[str]:
    """What `coachbot outbox` prints: `render_outbox` of the outbox at `now`, only the rows of
    `cohort_id`'s enrolments if one is given (CoachbotError if there is no such cohort)."""
    async with database.read() as session:
        if cohort_id is not None and await session.get(Cohort, cohort_id) is None:
            raise CoachbotError(f"there is no cohort {cohort_id!r} (see `coachbot cohort list`)")
        status = await outbox_status(session, now=now, cohort_id=cohort_id)
    return render_outbox(status)


CASE_COLUMNS = ("id", "cohort", "learner", "opened", "claimed by", "first response", "status", "rating")


async def case_rows(
    database: Database, *, cohort_id: str | None = None, unfinished: bool = False
) -> list[list[str]]:
    """What `coachbot cases` lists, one row per case (CASE_COLUMNS): who, when, how fast, how
    it was rated; never the description or the messages."""
    async with database.read() as session:
        if cohort_id is not None and await session.get(Cohort, cohort_id) is None:
            raise CoachbotError(f"there is no cohort {cohort_id!r} (see `coachbot cohort list`)")
        found = await cases.all_cases(session, cohort_id=cohort_id, unfinished_only=unfinished)
        names = {person.id: person.name for person in await _people(session, found)}
    return [_case_row(case, names) for case in found]


def _case_row(case: CoachCase, names: Mapping[int | None, str]) -> list[str]:
    answered = case.first_answer_at - case.opened_at if case.first_answer_at is not None else None
    return [
        str(case.id),
        case.cohort_id,
        names.get(case.person_id, "?"),
        _utc_text(case.opened_at),
        names.get(case.coach_id, "") if case.coach_id is not None else "",
        age_text(answered) if answered is not None else "",
        case.status,
        str(case.rating) if case.rating is not None else "",
    ]


async def _people(session: Session, found: list[CoachCase]) -> list[Person]:
    ids = {case.person_id for case in found} | {case.coach_id for case in found if case.coach_id is not None}
    people = [await session.get(Person, person_id) for person_id in sorted(ids)]
    return [person for person in people if person is not None]


def render_cases(rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["No coach cases."]
    return _aligned([list(CASE_COLUMNS), *rows], numeric_from=None)


PEER_COLUMNS = (
    "round",
    "step",
    "group",
    "giver",
    "receiver",
    "introduced",
    "given",
    "received",
    "rating",
    "reported",
)


async def peer_rows(database: Database, *, cohort_id: str) -> list[list[str]]:
    """What `coachbot peers` lists: a cohort's rounds, one row per giver and receiver with how
    far they got (PEER_COLUMNS); never the feedback itself."""
    async with database.read() as session:
        if await session.get(Cohort, cohort_id) is None:
            raise CoachbotError(f"there is no cohort {cohort_id!r} (see `coachbot cohort list`)")
        rows = []
        for formed in await peers.rounds_of_cohort(session, cohort_id):
            assert formed.id is not None
            for feedback in await peers.feedback_of_round(session, formed.id):
                rows.append(await _peer_row(session, formed, feedback))
    return rows


async def _peer_row(session: Session, formed: PeerRound, feedback: PeerFeedback) -> list[str]:
    giver, receiver = (
        await session.get(Person, feedback.giver_id),
        await session.get(Person, feedback.receiver_id),
    )
    introduced = await peers.introduced(session, formed, feedback.giver_id)
    received = await peers.feedback_sent(session, feedback)
    return [
        formed.key,
        formed.intervention_id,
        str(feedback.group_no + 1),
        giver.name if giver else "?",
        receiver.name if receiver else "?",
        "yes" if introduced else "",
        _utc_text(feedback.given_at) if feedback.given_at else feedback.status,
        "yes" if received else "",
        str(feedback.rating) if feedback.rating is not None else "",
        "yes" if feedback.reported_at is not None else "",
    ]


def render_peers(rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["No peer-feedback rounds yet."]
    return _aligned([list(PEER_COLUMNS), *rows], numeric_from=None)


def render_outbox(status: OutboxStatus) -> list[str]:
    """Rows per kind and state, the oldest due row's age and the last errors, as plain lines:
    ids, kinds, states, times and error codes, never a payload."""
    table = _outbox_table(status) if status.counts else ["The outbox is empty."]
    return [*table, "", _oldest_due_line(status), "", *_error_lines(status.errors)]


def _outbox_table(status: OutboxStatus) -> list[str]:
    states = status.states
    rows = [["kind", *states]]
    for kind in status.kinds:
        rows.append([kind, *(str(status.counts.get((kind, state), 0)) for state in states)])
    totals = (sum(n for (_, state), n in status.counts.items() if state == column) for column in states)
    rows.append(["total", *map(str, totals)])
    return _aligned(rows, numeric_from=1)


def _oldest_due_line(status: OutboxStatus) -> str:
    if status.oldest_due_at is None:
        return "nothing due"
    age = age_text(status.now - status.oldest_due_at)
    return f"oldest due: {age} ago ({_utc_text(status.oldest_due_at)})"


def _error_lines(errors: tuple[RecordedError, ...]) -> list[str]:
    if not errors:
        return ["no errors recorded"]
    rows = [
        [f"#{error.delivery_id}", error.kind, error.status, error.last_error, _when(error)]
        for error in errors
    ]
    return ["last errors, newest first:", *(f"  {line}" for line in _aligned(rows, numeric_from=None))]


def _when(error: RecordedError) -> str:
    tried = f"tried {_utc_text(error.claimed_at)}" if error.claimed_at else f"due {_utc_text(error.due_at)}"
    return f"{tried}, retry {_utc_text(error.due_at)}" if error.status == FAILED else tried


def age_text(age: timedelta) -> str:
    """A duration for people: "2 d 3 h", "3 h 12 min", "12 min" or "40 s"."""
    seconds = max(int(age.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC")


def _aligned(rows: list[list[str]], *, numeric_from: int | None) -> list[str]:
    """Rows as lines of columns two spaces apart; columns from `numeric_from` on right-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]

    def cell(column: int, text: str) -> str:
        right = numeric_from is not None and column >= numeric_from
        return text.rjust(widths[column]) if right else text.ljust(widths[column])

    return ["  ".join(cell(column, text) for column, text in enumerate(row)).rstrip() for row in rows]
