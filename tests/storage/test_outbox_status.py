"""What `coachbot outbox` reads: rows per kind and state, the oldest due row, the last errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.storage.db import Database
from bot.storage.models import Cohort, Delivery, Enrolment, Person
from bot.storage.outbox_status import OutboxStatus, RecordedError, outbox_status
from tests.storage.seed import EARLIER, LATER, NOW, Learner, add_learner

MINUTE = timedelta(minutes=1)


async def _add(
    db: Database,
    key: str,
    *,
    kind: str,
    status: str,
    due_at: datetime,
    learner: Learner | None,
    last_error: str | None = None,
    claimed_at: datetime | None = None,
) -> int:
    async with db.transaction() as session:
        row = Delivery(
            key=key,
            person_id=learner.person_id if learner else None,
            enrolment_id=learner.enrolment_id if learner else None,
            kind=kind,
            due_at=due_at,
            status=status,
            last_error=last_error,
            claimed_at=claimed_at,
            payload={"text": "private words"},
            created_at=EARLIER,
        )
        session.add(row)
        await session.flush()
        assert row.id is not None
        return row.id


async def _learner_of_another_cohort(db: Database) -> Learner:
    async with db.transaction() as session:
        session.add(Cohort(id="c2", program_id="p", timezone="Europe/Amsterdam", imported_at=NOW))
        person = Person(email="other@example.com", name="Other", created_at=NOW)
        session.add(person)
        await session.flush()
        assert person.id is not None
        enrolment = Enrolment(cohort_id="c2", person_id=person.id, created_at=NOW)
        session.add(enrolment)
        await session.flush()
        assert enrolment.id is not None
        return Learner(person_id=person.id, enrolment_id=enrolment.id)


async def _seed(db: Database) -> dict[str, int]:
    """A row in every state for a learner of cohort c1, one of a kind no code knows, one of
    cohort c2 and one answering a stranger; their ids by name."""
    learner = await add_learner(db)
    other = await _learner_of_another_cohort(db)
    rows: dict[str, dict[str, Any]] = {
        "later": {"kind": "intervention", "status": "planned", "due_at": LATER},
        "due": {"kind": "intervention", "status": "planned", "due_at": EARLIER},
        "retry_later": {
            "kind": "reply",
            "status": "failed",
            "due_at": LATER,
            "last_error": "TimedOut",
            "claimed_at": NOW - 2 * MINUTE,
        },
        "retry_due": {
            "kind": "reply",
            "status": "failed",
            "due_at": NOW,
            "last_error": "NetworkError",
            "claimed_at": NOW - 4 * MINUTE,
        },
        "sending": {"kind": "reply", "status": "sending", "due_at": NOW, "claimed_at": NOW - MINUTE},
        "sent": {"kind": "reply", "status": "sent", "due_at": EARLIER, "claimed_at": EARLIER},
        "dead": {
            "kind": "intervention",
            "status": "dead",
            "due_at": EARLIER,
            "last_error": "unrenderable",
            "claimed_at": NOW - 3 * MINUTE,
        },
        "cancelled": {"kind": "intervention", "status": "cancelled", "due_at": EARLIER},
        "unknown": {"kind": "horoscope", "status": "planned", "due_at": EARLIER - timedelta(hours=5)},
        "held": {"kind": "intervention", "status": "held", "due_at": EARLIER},
    }
    ids = {name: await _add(db, name, learner=learner, **values) for name, values in rows.items()}
    ids["other_cohort"] = await _add(
        db,
        "other",
        kind="intervention",
        status="dead",
        due_at=EARLIER - timedelta(days=2),
        learner=other,
        last_error="PermanentSendError",
        claimed_at=NOW,
    )
    ids["stranger"] = await _add(db, "stranger", kind="reply", status="planned", due_at=NOW, learner=None)
    return ids


async def _status(db: Database, *, cohort_id: str | None = None, errors: int = 10) -> OutboxStatus:
    async with db.read() as session:
        return await outbox_status(session, now=NOW, cohort_id=cohort_id, errors=errors)


async def test_rows_are_counted_per_kind_and_state(database: Database) -> None:
    await _seed(database)
    status = await _status(database)
    assert dict(status.counts) == {
        ("intervention", "planned"): 1,
        ("intervention", "due"): 1,
        ("intervention", "dead"): 2,
        ("intervention", "cancelled"): 1,
        ("intervention", "held"): 1,
        ("reply", "failed"): 1,
        ("reply", "due"): 2,  # a retry whose time came, and the stranger's answer
        ("reply", "sending"): 1,
        ("reply", "sent"): 1,
        ("horoscope", "due"): 1,
    }
    assert status.kinds == ["horoscope", "intervention", "reply"]
    assert status.states == ["planned", "due", "sending", "sent", "failed", "dead", "cancelled", "held"]


async def test_the_oldest_due_row_is_any_unsent_row_whose_time_came(database: Database) -> None:
    await _seed(database)
    assert (await _status(database)).oldest_due_at == EARLIER - timedelta(hours=5)  # the unknown kind
    async with database.read() as session:
        assert (await outbox_status(session, now=EARLIER - timedelta(days=1))).oldest_due_at is None


async def test_the_last_errors_come_newest_attempt_first_with_class_and_code_only(database: Database) -> None:
    ids = await _seed(database)
    status = await _status(database)
    assert [error.last_error for error in status.errors] == [
        "PermanentSendError",
        "TimedOut",
        "unrenderable",
        "NetworkError",
    ]
    assert status.errors[2] == RecordedError(
        delivery_id=ids["dead"],
        kind="intervention",
        status="dead",
        last_error="unrenderable",
        due_at=EARLIER,
        claimed_at=NOW - 3 * MINUTE,
    )
    assert "private" not in repr(status)
    assert len((await _status(database, errors=2)).errors) == 2


async def test_a_cohort_shows_only_its_enrolments_rows(database: Database) -> None:
    ids = await _seed(database)
    status = await _status(database, cohort_id="c2")
    assert dict(status.counts) == {("intervention", "dead"): 1}
    assert [error.delivery_id for error in status.errors] == [ids["other_cohort"]]
    assert status.oldest_due_at is None
    mine = await _status(database, cohort_id="c1")
    assert ("reply", "due") in mine.counts
    assert mine.counts[("reply", "due")] == 1
    assert ids["other_cohort"] not in {error.delivery_id for error in mine.errors}


async def test_an_empty_outbox(database: Database) -> None:
    status = await _status(database)
    assert status.counts == {}
    assert status.oldest_due_at is None
    assert status.errors == ()
