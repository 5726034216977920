"""The outbox: every outbound message is a `Delivery` row with a unique key.

Flows write rows (`enqueue`, `apply_plan`) in the transaction of the change that causes them;
the dispatcher claims due rows one at a time (`claim_next`), sends them and records the result (`mark_sent`,
`mark_failed`, `release`). Unique keys make writing twice harmless, and a claim is a committed
status change, so two dispatchers never hold the same row: PostgreSQL claims with
`FOR UPDATE SKIP LOCKED`, SQLite with its single writer (`BEGIN IMMEDIATE`, see db.py).
A dispatcher that dies mid-send leaves rows in "sending"; `requeue_stale` gives them back.

Statuses: planned -> sending -> sent; sending -> failed (claimable again at `due_at`) or dead
(given up after `MAX_ATTEMPTS`); planned/failed -> cancelled (re-planned away, may come back).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, case, func, literal, or_, true, update
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.storage.db import insert_ignoring
from bot.storage.models import CoachCase, Delivery, Enrolment, Identity, Person
from bot.storage.types import UTCDateTime

PLANNED: Final = "planned"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
DEAD: Final = "dead"
CANCELLED: Final = "cancelled"
UNSENT: Final = (PLANNED, FAILED)

INTERVENTION: Final = "intervention"
MAX_ATTEMPTS: Final = 8
_FIRST_RETRY = timedelta(seconds=30)
_LONGEST_RETRY = timedelta(hours=1)
_ERROR_LENGTH = 300
_JUST_AFTER = timedelta(microseconds=1)  # a held row's place behind the one it waits for
# A dozen columns a row: well under the 32,766 bound parameters SQLite and asyncpg take.
_ROWS_PER_INSERT = 500
_DELIVERIES: Final = SQLModel.metadata.tables["deliveries"]
# What a row's payload says of the message itself; gone once it is sent (see `mark_sent`).
MESSAGE_FIELDS: Final = ("text", "choices", "images")
_CASE_UNFINISHED: Final = ("asking", "open", "claimed")  # bot/storage/cases.py UNFINISHED


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """One intervention the planner wants sent to an enrolment's learner at `due_at`."""

    key: str
    intervention_id: str
    occurrence: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class PlanChange:
    """What `apply_plan` did: rows added (or brought back), moved in time, and cancelled."""

    added: int = 0
    moved: int = 0
    cancelled: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.moved or self.cancelled)


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    person_id: int | None,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    enrolment_id: int | None = None,
    intervention_id: str | None = None,
    occurrence: str = "",
    now: datetime | None = None,
) -> bool:
    """Add one message to the outbox unless a row with `key` exists; True if it was added.

    `now` is the row's creation time (None: the database's clock). A row whose payload has
    `"to": [platform, external_id]` answers that identity (see `claim_due`)."""
    row = _values(
        key=key,
        person_id=person_id,
        enrolment_id=enrolment_id,
        kind=kind,
        intervention_id=intervention_id,
        occurrence=occurrence,
        due_at=due_at,
        payload=payload or {},
        created_at=now if now is not None else func.now(),
    )
    return bool(await _insert_new(session, [row]))


@dataclass(frozen=True, slots=True)
class NewRow:
    """A message to add due now, e.g. a reply (`enqueue_all`)."""

    key: str
    person_id: int | None
    enrolment_id: int | None
    kind: str
    payload: dict[str, Any]


async def enqueue_all(
    session: AsyncSession, rows: Sequence[NewRow], *, now: datetime, due_at: datetime | None = None
) -> None:
    """Add messages due `due_at` (default `now`) for the dispatcher to claim (keys that exist
    add nothing)."""
    due = due_at or now
    values = [_values(**_columns(row), occurrence="", due_at=due, created_at=now) for row in rows]
    if values:
        await _insert_new(session, values)


def _columns(row: NewRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "person_id": row.person_id,
        "enrolment_id": row.enrolment_id,
        "kind": row.kind,
        "payload": row.payload,
    }


async def apply_plan(
    session: AsyncSession,
    *,
    enrolment_id: int,
    person_id: int,
    planned: Sequence[PlannedRow],
    now: datetime,
) -> PlanChange:
    """Make the enrolment's unsent "intervention" rows match `planned`.

    Adds missing keys, moves unsent rows whose time changed (a failed row keeps a later retry
    time: re-planning never shortens a backoff), brings cancelled rows back, and cancels
    unsent rows no longer planned. Rows being sent or sent are never touched, so applying
    the same plan twice changes nothing the second time."""
    wanted = {row.key: row for row in planned}
    existing = {row.key: row for row in await _plan_rows(session, enrolment_id)}
    new = [wanted[key] for key in wanted.keys() - existing.keys()]
    kept = [(existing[key], wanted[key]) for key in sorted(wanted.keys() & existing.keys())]
    added = await _add_planned(session, new, enrolment_id=enrolment_id, person_id=person_id, now=now)
    added += await _reactivate(session, kept)
    moved = await _move(session, kept)
    gone = [row.id for key, row in existing.items() if key not in wanted and row.status in UNSENT]
    cancelled = await _set_status(session, gone, CANCELLED, among=UNSENT)
    return PlanChange(added=added, moved=moved, cancelled=cancelled)


async def cancel_unsent(
    session: AsyncSession,
    *,
    enrolment_id: int,
    kinds: Collection[str] = ("intervention", "catch_up", "reminder"),
    key_prefix: str = "",
) -> int:
    """Cancel the enrolment's unsent rows of these kinds (a learner left or was erased), only
    those whose key starts with `key_prefix` if one is given (a greeting that waits for the send
    window, when the learner wrote first); the number cancelled."""
    statement = (
        update(Delivery)
        .where(
            col(Delivery.enrolment_id) == enrolment_id,
            col(Delivery.kind).in_(kinds),
            col(Delivery.key).startswith(key_prefix, autoescape=True),
            col(Delivery.status).in_(UNSENT),
        )
        .values(status=CANCELLED)
    )
    return (await session.exec(statement)).rowcount


async def claim_next(
    session: AsyncSession,
    *,
    now: datetime,
    platforms: Collection[str],
    urgent: Collection[str] = (),
    locking: bool = False,
    person_id: int | None = None,
) -> Delivery | None:
    """Claim the next sendable row due at `now`, in the caller's transaction: status "sending",
    `claimed_at=now`, one more attempt. None when nothing is due.

    Rows of `urgent` kinds (answers) go first, then the rest by due time. A person's rows go
    one at a time: a row is not claimed while another of its person's is being sent, so the
    parts of an answer arrive in order. Sendable: a row answering an identity (payload "to")
    whose platform is served; otherwise the person has an unblocked identity on a served
    platform and, for a row of an enrolment, the enrolment is active (started, not paused, not
    removed). `locking` (PostgreSQL): rows and people another claimer holds are skipped, not
    waited for. `person_id`: only that person's rows (a console chat serves one person)."""
    for kinds in (tuple(sorted(urgent)), None):
        if kinds == ():
            continue
        if locking:
            query = _next_due(now, platforms=platforms, urgent=kinds).where(_of_person(person_id))
            row = await _first_lockable(session, query, now=now, platforms=platforms, urgent=urgent)
        else:
            row = await _first_due(session, now=now, platforms=platforms, urgent=kinds, person_id=person_id)
        if row is not None:
            row.status, row.claimed_at, row.attempts = SENDING, now, row.attempts + 1
            session.add(row)
            await session.flush()
            return row
    return None


async def _first_due(
    session: AsyncSession,
    *,
    now: datetime,
    platforms: Collection[str],
    urgent: tuple[str, ...] | None,
    person_id: int | None,
) -> Delivery | None:
    """SQLite: the first sendable row, asked so that an index does the work. SQLite's planner
    has no statistics: asked for several statuses (or urgent kinds) in due order, it took the
    (status, due_at) index, checked every due row and sorted them, 16 ms a claim with 10,000
    learners due (bench/day.py), and as much again for the urgent kinds when none were due.
    So the urgent kinds are asked without an order (the kind index finds the few due ones, the
    earliest is picked here) and the other rows once per status, in due order, stopping at the
    first that can be sent."""
    served = tuple(sorted(platforms))
    asked = [_due_rows(served, urgent, UNSENT)] if urgent else [_due_rows(served, None, (s,)) for s in UNSENT]
    rows: list[Delivery] = []
    for query in asked:
        if person_id is not None:
            query = query.where(_of_person(person_id))
        rows += (await session.exec(query, params={"now": now})).all()
    return min(rows, key=lambda row: (row.due_at, row.id or 0), default=None)


@functools.cache
def _due_rows(
    platforms: tuple[str, ...], urgent: tuple[str, ...] | None, statuses: tuple[str, ...]
) -> SelectOfScalar[Delivery]:
    """`_next_due` with `now` as a parameter, built once per shape: building it (its subqueries
    and aliases) cost about as much CPU as running it, three times a claim."""
    query = _next_due(_NOW, platforms=platforms, urgent=urgent, statuses=statuses)
    return query if urgent is None else query.order_by(None).limit(None)


_NOW = bindparam("now", type_=UTCDateTime())


def _locked(query: SelectOfScalar[Delivery]) -> SelectOfScalar[Delivery]:
    return query.with_for_update(skip_locked=True, of=_DELIVERIES)


async def _first_lockable(
    session: AsyncSession,
    query: SelectOfScalar[Delivery],
    *,
    now: datetime,
    platforms: Collection[str],
    urgent: Collection[str],
) -> Delivery | None:
    """PostgreSQL: the first row of `query` this claim can lock (None: none).

    A stranger's row (no person) is locked itself. A person's row is claimed by holding the
    person first: two claims at once could otherwise each take one of a person's rows, both
    seeing none "sending", and the parts of an answer would cross. The statement that finds a
    row locks its person and passes over people another claim holds. Once the person is held,
    their first due row (urgent kinds first) is asked for again: a statement's snapshot is its
    own, and a claim that ended a moment before may have taken the row the first one saw."""
    stranger = (await session.exec(_locked(query.where(col(Delivery.person_id).is_(None))))).first()
    if stranger is not None:
        return stranger
    by_person = query.join(Person, col(Person.id) == col(Delivery.person_id)).with_for_update(
        skip_locked=True, of=Person
    )
    first_of_person = _next_due(now, platforms=platforms, urgent=None).order_by(None)
    first_of_person = first_of_person.order_by(_urgent_first(urgent), col(Delivery.due_at), col(Delivery.id))
    passed_over: list[int] = []
    while (held := (await session.exec(_not_of(by_person, passed_over))).first()) is not None:
        assert held.person_id is not None
        mine = first_of_person.where(col(Delivery.person_id) == held.person_id)
        if (row := (await session.exec(_locked(mine))).first()) is not None:
            return row
        passed_over.append(held.person_id)  # their row was claimed meanwhile
    return None


def _not_of(query: SelectOfScalar[Delivery], people: list[int]) -> SelectOfScalar[Delivery]:
    return query.where(col(Delivery.person_id).not_in(people)) if people else query


def _urgent_first(urgent: Collection[str]) -> ColumnElement[int]:
    return case((col(Delivery.kind).in_(tuple(urgent)), 0), else_=1)


def _next_due(
    now: datetime | BindParameter[datetime],
    *,
    platforms: Collection[str],
    urgent: tuple[str, ...] | None,
    statuses: tuple[str, ...] = UNSENT,
) -> SelectOfScalar[Delivery]:
    """The first due, sendable row of the `urgent` kinds (None: of any kind) in one of
    `statuses`, by due time."""
    sending = aliased(Delivery)
    in_flight = (
        select(sending.id)
        .where(col(sending.person_id) == col(Delivery.person_id), col(sending.status) == SENDING)
        .exists()
    )
    query = select(Delivery).where(
        col(Delivery.status).in_(statuses),
        col(Delivery.due_at) <= now,
        _sendable(platforms),
        or_(col(Delivery.person_id).is_(None), ~in_flight),
    )
    if urgent is not None:
        query = query.where(col(Delivery.kind).in_(urgent))
    return query.order_by(col(Delivery.due_at), col(Delivery.id)).limit(1)


async def mark_sent(
    session: AsyncSession,
    delivery: Delivery,
    *,
    platform: str,
    platform_message_id: str,
    sent_at: datetime,
) -> None:
    """Record that the platform accepted the message, and forget the message: a sent row keeps
    where it went, never what it said (a `/journal` answer would otherwise copy a learner's
    reflections here). A row without a person keeps nothing of where it went either: a
    stranger's chat is theirs (a room post keeps only what it was about, e.g. its case)."""
    assert delivery.id is not None
    kept = without_message(delivery.payload)
    if delivery.person_id is None:
        kept.pop("to", None)
    values = {"status": SENT, "platform": platform, "platform_message_id": platform_message_id}
    await _update_one(session, delivery.id, sent_at=sent_at, payload=kept, **values)


def without_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload without the message it held (text, buttons, images)."""
    return {name: value for name, value in payload.items() if name not in MESSAGE_FIELDS}


async def mark_failed(
    session: AsyncSession, delivery_id: int, *, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: claimable again at `retry_at`, or "dead" (kept for inspection)
    when `retry_at` is None. `error` names the error class and code, never message content."""
    error = error[:_ERROR_LENGTH]
    if retry_at is None:
        await _update_one(session, delivery_id, status=DEAD, last_error=error)
    else:
        await _update_one(session, delivery_id, status=FAILED, last_error=error, due_at=retry_at)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s, 1, 2, 4 ... min, at most 1 h."""
    if attempts <= 1:
        return _FIRST_RETRY
    return min(timedelta(minutes=2 ** min(attempts - 2, 16)), _LONGEST_RETRY)


def retry_at(*, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None once `MAX_ATTEMPTS` are spent."""
    return None if attempts >= MAX_ATTEMPTS else now + backoff(attempts)


async def release(session: AsyncSession, delivery_id: int, *, due_at: datetime) -> None:
    """Put a claimed row back, due at `due_at`, without counting the attempt (a rate limit
    said "wait": nothing was tried)."""
    statement = (
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == SENDING)
        .values(status=PLANNED, due_at=due_at, claimed_at=None, attempts=_one_less(_DELIVERIES.c.attempts))
    )
    await session.exec(statement)


async def hold_behind(session: AsyncSession, *, person_id: int, delivery_id: int, due_at: datetime) -> int:
    """Move the person's other unsent rows due before `due_at` to just after it: a row that
    waits for a retry keeps its place, and no later message overtakes it. The number moved."""
    statement = (
        update(Delivery)
        .where(
            col(Delivery.person_id) == person_id,
            col(Delivery.id) != delivery_id,
            col(Delivery.status).in_(UNSENT),
            col(Delivery.due_at) <= due_at,
        )
        .values(due_at=due_at + _JUST_AFTER)
    )
    return (await session.exec(statement)).rowcount


async def requeue_stale(
    session: AsyncSession, *, now: datetime, older_than: timedelta, person_id: int | None = None
) -> int:
    """Give back rows a crashed dispatcher left "sending" (claimed at or before `now - older_than`;
    with no lease, every row claimed up to now); only `person_id`'s, if given (a console chat
    knows only its own person's rows are none of another process's business).

    The attempt stays counted: whether the platform got the message is unknown."""
    statement = (
        update(Delivery)
        .where(
            col(Delivery.status) == SENDING,
            col(Delivery.claimed_at) <= now - older_than,
            _of_person(person_id),
        )
        .values(status=PLANNED, claimed_at=None)
    )
    return (await session.exec(statement)).rowcount


async def next_due_at(
    session: AsyncSession, *, platforms: Collection[str] | None = None, person_id: int | None = None
) -> datetime | None:
    """When the earliest sendable unsent row (of `person_id`, if given) is due (None: nothing
    to send): the dispatcher's next wake-up."""
    statement = select(func.min(col(Delivery.due_at))).where(
        col(Delivery.status).in_(UNSENT), _sendable(platforms), _of_person(person_id)
    )
    return (await session.exec(statement)).one()


async def deliveries_for(session: AsyncSession, *, enrolment_id: int) -> list[Delivery]:
    """Every row of an enrolment, in time order: the learner's timeline."""
    statement = (
        select(Delivery)
        .where(col(Delivery.enrolment_id) == enrolment_id)
        .order_by(col(Delivery.due_at), col(Delivery.id))
    )
    return list((await session.exec(statement)).all())


async def upcoming(session: AsyncSession, *, enrolment_id: int, limit: int) -> list[Delivery]:
    """The enrolment's next `limit` unsent rows that send an intervention, soonest first:
    what comes next for the learner."""
    statement = (
        select(Delivery)
        .where(
            col(Delivery.enrolment_id) == enrolment_id,
            col(Delivery.status).in_(UNSENT),
            col(Delivery.intervention_id).is_not(None),
        )
        .order_by(col(Delivery.due_at), col(Delivery.id))
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def message_times(session: AsyncSession, *, person_id: int, kinds: Collection[str]) -> list[datetime]:
    """When the person's rows of `kinds` went out (sent) or will (unsent, or on their way):
    the messages outside their plan that take a place under the daily cap."""
    statement = select(Delivery.sent_at, Delivery.due_at).where(
        col(Delivery.person_id) == person_id,
        col(Delivery.kind).in_(kinds),
        col(Delivery.status).in_((*UNSENT, SENDING, SENT)),
    )
    return [sent_at or due_at for sent_at, due_at in (await session.exec(statement)).all()]


async def redirect_reply(session: AsyncSession, delivery_id: int, *, to: tuple[str, str]) -> None:
    """Address a reply row to another chat, `to` = (platform, external id): its chat moved."""
    row = await session.get(Delivery, delivery_id)
    if row is not None:
        await _update_one(session, delivery_id, payload={**row.payload, "to": list(to)})


def _of_person(person_id: int | None) -> ColumnElement[bool]:
    """The rows of one person (None: anyone's, strangers' included)."""
    return true() if person_id is None else col(Delivery.person_id) == person_id


def _sendable(platforms: Collection[str] | None) -> ColumnElement[bool]:
    """Rows that can go out now through one of `platforms` (None: any); see `claim_next`."""
    served = (lambda column: column.in_(platforms)) if platforms is not None else (lambda _column: true())
    to_platform = col(Delivery.payload)[("to", 0)].as_string()
    reachable = (
        select(Identity.id)
        .where(
            col(Identity.person_id) == col(Delivery.person_id),
            col(Identity.blocked_at).is_(None),
            served(col(Identity.platform)),
        )
        .exists()
    )
    # A learner talking to a coach gets no nudges meanwhile (bot/flows/coaching.py).
    with_coach = (
        select(CoachCase.id)
        .where(
            col(CoachCase.person_id) == col(Delivery.person_id), col(CoachCase.status).in_(_CASE_UNFINISHED)
        )
        .exists()
    )
    active = or_(
        col(Delivery.enrolment_id).is_(None),
        and_(
            select(Enrolment.id)
            .where(
                col(Enrolment.id) == col(Delivery.enrolment_id),
                col(Enrolment.active_since).is_not(None),
                col(Enrolment.paused_at).is_(None),
                col(Enrolment.removed_at).is_(None),
            )
            .exists(),
            ~with_coach,
        ),
    )
    # An answer goes to whoever wrote, on the platform they wrote from, paused or not.
    answer = and_(to_platform.is_not(None), served(to_platform))
    return or_(answer, and_(to_platform.is_(None), reachable, active))


@dataclass(frozen=True, slots=True)
class _Existing:
    id: int
    key: str
    status: str
    due_at: datetime


async def _plan_rows(session: AsyncSession, enrolment_id: int) -> list[_Existing]:
    statement = select(Delivery.id, Delivery.key, Delivery.status, Delivery.due_at).where(
        col(Delivery.enrolment_id) == enrolment_id, col(Delivery.kind) == INTERVENTION
    )
    rows = (await session.exec(statement)).all()
    # A stored row always has an id; the table's `int | None` only means "maybe not inserted yet".
    return [
        _Existing(id=cast(int, id_), key=key, status=status, due_at=due_at)
        for id_, key, status, due_at in rows
    ]


async def _add_planned(
    session: AsyncSession, new: Sequence[PlannedRow], *, enrolment_id: int, person_id: int, now: datetime
) -> int:
    rows = [
        _values(
            key=row.key,
            person_id=person_id,
            enrolment_id=enrolment_id,
            kind=INTERVENTION,
            intervention_id=row.intervention_id,
            occurrence=row.occurrence,
            due_at=row.due_at,
            payload={},
            created_at=now,
        )
        for row in sorted(new, key=lambda row: (row.due_at, row.key))
    ]
    return len(await _insert_new(session, rows)) if rows else 0


async def _reactivate(session: AsyncSession, pairs: Sequence[tuple[_Existing, PlannedRow]]) -> int:
    count = 0
    for row, wanted in pairs:
        if row.status == CANCELLED:
            values = {"status": PLANNED, "due_at": wanted.due_at, "attempts": 0, "claimed_at": None}
            count += await _update_if(session, row.id, among=(CANCELLED,), **values)
    return count


async def _move(session: AsyncSession, pairs: Sequence[tuple[_Existing, PlannedRow]]) -> int:
    """One UPDATE for all rows whose time changed (a cohort re-plan moves thousands)."""
    moves: dict[int, datetime] = {}
    for row, wanted in pairs:
        due_at = max(wanted.due_at, row.due_at) if row.status == FAILED else wanted.due_at
        if row.status in UNSENT and due_at != row.due_at:
            moves[row.id] = due_at
    if not moves:
        return 0
    new_due = case(
        *((col(Delivery.id) == row_id, literal(due_at, UTCDateTime())) for row_id, due_at in moves.items()),
        else_=col(Delivery.due_at),
    )
    # The status condition keeps a concurrent claim safe: a row claimed meanwhile is left alone.
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(moves), col(Delivery.status).in_(UNSENT))
        .values(due_at=new_due)
    )
    return (await session.exec(statement)).rowcount


async def _set_status(
    session: AsyncSession, ids: Sequence[int], status: str, *, among: Collection[str]
) -> int:
    if not ids:
        return 0
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(ids), col(Delivery.status).in_(among))
        .values(status=status)
    )
    return (await session.exec(statement)).rowcount


async def _update_if(
    session: AsyncSession, delivery_id: int, *, among: Collection[str], **values: Any
) -> int:
    # The status condition keeps a concurrent claim safe: a row claimed meanwhile is left alone.
    statement = (
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status).in_(among))
        .values(**values)
    )
    return (await session.exec(statement)).rowcount


async def _update_one(session: AsyncSession, delivery_id: int, **values: Any) -> None:
    """Set `values` (column names) on one row."""
    await session.exec(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))


def _one_less(attempts: ColumnElement[int]) -> ColumnElement[int]:
    return case((attempts > 0, attempts - 1), else_=0)


def _values(**values: Any) -> dict[str, Any]:
    return {"status": PLANNED, "attempts": 0, **values}


async def _insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows whose key is new (ON CONFLICT DO NOTHING); the keys actually inserted."""
    inserted: set[str] = set()
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        batch = rows[start : start + _ROWS_PER_INSERT]
        statement = insert_ignoring(session, _DELIVERIES, batch, unique=["key"]).returning(_DELIVERIES.c.key)
        inserted |= set((await session.exec(statement)).scalars().all())
    return inserted
