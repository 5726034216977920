"""What the outbox holds at a moment, for operators (`coachbot outbox`): rows per kind and state,
the oldest due row, and the last errors recorded.

States are the row's status, except that an unsent row (planned, or failed and waiting for its
retry) whose `due_at` has come is "due". A due row is one a dispatcher would send now if it can:
a learner who has not started, is paused or blocked the bot keeps theirs due (`claim_due`).
Kinds and statuses are counted as stored, so a row of a kind no code knows still shows.
Nothing here reads a payload: errors are their class and code as the dispatcher recorded them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, and_, case, func, true
from sqlalchemy.orm import load_only
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Delivery, Enrolment
from bot.storage.outbox import CANCELLED, DEAD, FAILED, PLANNED, SENDING, SENT, UNSENT

DUE: Final = "due"
# The states in the order a row moves through them; a status no code knows comes after them.
STATES: Final = (PLANNED, DUE, SENDING, SENT, FAILED, DEAD, CANCELLED)
LAST_ERRORS: Final = 10
# What `_errors` loads of a row: never its payload. By name: the class attributes are typed as
# their values (`int | None`), which load_only does not take.
_ERROR_COLUMNS: Final = load_only(
    *(getattr(Delivery, name) for name in ("id", "kind", "status", "last_error", "due_at", "claimed_at"))
)


@dataclass(frozen=True, slots=True)
class RecordedError:
    """A row whose last attempt failed: what it is and the error recorded (class and code)."""

    delivery_id: int
    kind: str
    status: str
    last_error: str
    due_at: datetime
    claimed_at: datetime | None  # when the attempt that failed began


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """The outbox at `now`: rows per (kind, state), the oldest due row's `due_at` (None:
    nothing is due), and the rows with an error, the newest attempt first."""

    now: datetime
    counts: Mapping[tuple[str, str], int]
    oldest_due_at: datetime | None
    errors: tuple[RecordedError, ...]

    @property
    def kinds(self) -> list[str]:
        return sorted({kind for kind, _ in self.counts})

    @property
    def states(self) -> list[str]:
        """`STATES`, then any other status found, so every row is counted somewhere."""
        found = {state for _, state in self.counts}
        return [*STATES, *sorted(found - set(STATES))]


async def outbox_status(
    session: AsyncSession, *, now: datetime, cohort_id: str | None = None, errors: int = LAST_ERRORS
) -> OutboxStatus:
    """The outbox at `now`, only the rows of enrolments in `cohort_id` if one is given."""
    scope = _in_cohort(cohort_id)
    return OutboxStatus(
        now=now,
        counts=await _counts(session, now, scope),
        oldest_due_at=await _oldest_due(session, now, scope),
        errors=await _errors(session, scope, errors),
    )


def _in_cohort(cohort_id: str | None) -> ColumnElement[bool]:
    if cohort_id is None:
        return true()
    enrolments = select(col(Enrolment.id)).where(col(Enrolment.cohort_id) == cohort_id)
    return col(Delivery.enrolment_id).in_(enrolments)


def _is_due(now: datetime) -> ColumnElement[bool]:
    return and_(col(Delivery.status).in_(UNSENT), col(Delivery.due_at) <= now)


async def _counts(
    session: AsyncSession, now: datetime, scope: ColumnElement[bool]
) -> dict[tuple[str, str], int]:
    state = case((_is_due(now), DUE), else_=col(Delivery.status)).label("state")
    # Grouped outside: PostgreSQL would not see `now`'s two bound copies (in the select and in
    # GROUP BY) as one expression.
    rows = select(col(Delivery.kind).label("kind"), state).where(scope).subquery()
    statement = select(rows.c.kind, rows.c.state, func.count()).group_by(rows.c.kind, rows.c.state)
    return {(kind, state): count for kind, state, count in (await session.exec(statement)).all()}


async def _oldest_due(session: AsyncSession, now: datetime, scope: ColumnElement[bool]) -> datetime | None:
    statement = select(func.min(col(Delivery.due_at))).where(_is_due(now), scope)
    return (await session.exec(statement)).one()


async def _errors(session: AsyncSession, scope: ColumnElement[bool], limit: int) -> tuple[RecordedError, ...]:
    statement = (
        select(Delivery)
        .options(_ERROR_COLUMNS)
        .where(col(Delivery.last_error).is_not(None), scope)
        .order_by(col(Delivery.claimed_at).desc().nulls_last(), col(Delivery.id).desc())
        .limit(limit)
    )
    return tuple(_recorded(row) for row in (await session.exec(statement)).all())


def _recorded(row: Delivery) -> RecordedError:
    return RecordedError(
        delivery_id=row.id or 0,
        kind=row.kind,
        status=row.status,
        last_error=row.last_error or "",
        due_at=row.due_at,
        claimed_at=row.claimed_at,
    )
