"""The outbox: enqueue, planning, results of sending, retries and the learner's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery
from bot.storage.outbox import PlanChange, PlannedRow
from tests.storage.seed import EARLIER, LATER, NOW, Learner, add_learner


async def _rows(db: Database) -> dict[str, Delivery]:
    async with db.transaction() as session:
        return {row.key: row for row in (await session.exec(select(Delivery))).all()}


async def _plan(db: Database, learner: Learner, planned: list[PlannedRow]) -> PlanChange:
    async with db.transaction() as session:
        return await outbox.apply_plan(
            session, enrolment_id=learner.enrolment_id, person_id=learner.person_id, planned=planned, now=NOW
        )


async def _enqueue(
    db: Database, learner: Learner, key: str, *, kind: str = "reply", due_at: datetime = NOW
) -> bool:
    async with db.transaction() as session:
        return await outbox.enqueue(
            session,
            key=key,
            person_id=learner.person_id,
            enrolment_id=learner.enrolment_id,
            kind=kind,
            due_at=due_at,
            now=NOW,
        )


def _planned(key: str, due_at: datetime) -> PlannedRow:
    return PlannedRow(key=key, intervention_id=key.split(":")[-1], occurrence="", due_at=due_at)


async def _claim_one(db: Database, *, now: datetime = NOW) -> Delivery:
    (claimed,) = await outbox.claim_due(db, now=now, limit=1)
    return claimed


# enqueue


async def test_enqueue_adds_a_key_once(database: Database) -> None:
    learner = await add_learner(database)
    payload = {"text": "Hoi", "choices": [["Ja", "yes"]], "to": ["console", "x"]}
    async with database.transaction() as session:
        first = await outbox.enqueue(
            session,
            key="reply:1",
            person_id=learner.person_id,
            kind="reply",
            due_at=NOW,
            payload=payload,
            now=NOW,
        )
        again = await outbox.enqueue(
            session, key="reply:1", person_id=learner.person_id, kind="reply", due_at=LATER, payload={}
        )
    assert (first, again) == (True, False)
    rows = await _rows(database)
    assert list(rows) == ["reply:1"]
    row = rows["reply:1"]
    assert (row.payload, row.due_at, row.status, row.attempts, row.created_at) == (
        payload,
        NOW,
        "planned",
        0,
        NOW,
    )


async def test_enqueue_for_a_stranger_and_without_a_time_of_creation(database: Database) -> None:
    async with database.transaction() as session:
        added = await outbox.enqueue(session, key="reply:s", person_id=None, kind="reply", due_at=NOW)
    row = (await _rows(database))["reply:s"]
    assert added
    assert row.person_id is None
    assert row.created_at.utcoffset() == timedelta(0)  # the database's clock, still aware UTC


# apply_plan


async def test_apply_plan_adds_moves_cancels_and_is_idempotent(database: Database) -> None:
    learner = await add_learner(database)
    plan = [_planned("p:tip", NOW), _planned("p:quiz", LATER), _planned("p:reflection", LATER)]
    assert await _plan(database, learner, plan) == PlanChange(added=3)
    assert await _plan(database, learner, plan) == PlanChange()

    moved = [_planned("p:tip", NOW), _planned("p:quiz", LATER + timedelta(days=1))]
    assert await _plan(database, learner, moved) == PlanChange(moved=1, cancelled=1)
    assert await _plan(database, learner, moved) == PlanChange()

    rows = await _rows(database)
    assert {key: (row.status, row.due_at) for key, row in rows.items()} == {
        "p:tip": ("planned", NOW),
        "p:quiz": ("planned", LATER + timedelta(days=1)),
        "p:reflection": ("cancelled", LATER),
    }
    assert rows["p:tip"].kind == "intervention"
    assert rows["p:tip"].intervention_id == "tip"
    assert rows["p:tip"].person_id == learner.person_id
    assert rows["p:tip"].enrolment_id == learner.enrolment_id


async def test_apply_plan_takes_a_long_plan_in_batches(database: Database) -> None:
    learner = await add_learner(database)
    plan = [_planned(f"p:{number}", NOW + timedelta(minutes=number)) for number in range(1200)]
    assert await _plan(database, learner, plan) == PlanChange(added=1200)
    moved = [_planned(row.key, row.due_at + timedelta(days=1)) for row in plan[:1100]]
    assert await _plan(database, learner, moved) == PlanChange(moved=1100, cancelled=100)
    rows = await _rows(database)
    assert rows["p:0"].due_at == NOW + timedelta(days=1)
    assert rows["p:1199"].status == "cancelled"


async def test_apply_plan_brings_back_cancelled_rows(database: Database) -> None:
    learner = await add_learner(database)
    await _plan(database, learner, [_planned("p:tip", NOW)])
    await _plan(database, learner, [])
    assert (await _rows(database))["p:tip"].status == "cancelled"

    assert await _plan(database, learner, [_planned("p:tip", LATER)]) == PlanChange(added=1)
    row = (await _rows(database))["p:tip"]
    assert (row.status, row.due_at) == ("planned", LATER)
    assert await _plan(database, learner, [_planned("p:tip", LATER)]) == PlanChange()


async def test_apply_plan_leaves_other_enrolments_and_other_kinds_alone(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    await _plan(database, other, [_planned("o:tip", NOW)])
    await _enqueue(database, learner, "later:1", kind="reminder")
    await _enqueue(database, learner, "catchup:1", kind="catch_up")

    assert await _plan(database, learner, [_planned("p:tip", NOW)]) == PlanChange(added=1)
    assert await _plan(database, learner, []) == PlanChange(cancelled=1)
    rows = await _rows(database)
    assert {key: row.status for key, row in rows.items()} == {
        "o:tip": "planned",
        "later:1": "planned",
        "catchup:1": "planned",
        "p:tip": "cancelled",
    }


async def test_apply_plan_does_not_take_a_key_another_enrolment_holds(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    await _plan(database, other, [_planned("shared", NOW)])
    assert await _plan(database, learner, [_planned("shared", LATER)]) == PlanChange()
    row = (await _rows(database))["shared"]
    assert (row.enrolment_id, row.due_at) == (other.enrolment_id, NOW)


# cancel_unsent


# results of sending


def test_backoff_doubles_up_to_an_hour() -> None:
    waits = [outbox.backoff(attempts) for attempts in range(1, 11)]
    minutes = [wait / timedelta(minutes=1) for wait in waits]
    assert minutes == [0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert outbox.backoff(1000) == timedelta(hours=1)


def test_retry_at_gives_up_after_max_attempts() -> None:
    assert outbox.retry_at(attempts=1, now=NOW) == NOW + timedelta(seconds=30)
    assert outbox.retry_at(attempts=outbox.MAX_ATTEMPTS - 1, now=NOW) is not None
    assert outbox.retry_at(attempts=outbox.MAX_ATTEMPTS, now=NOW) is None


# the dispatcher's wake-up and the timeline


async def test_next_due_at_is_the_earliest_sendable_row(database: Database) -> None:
    async with database.transaction() as session:
        assert await outbox.next_due_at(session) is None
    learner = await add_learner(database, platforms=("console", "telegram"))
    blocked = await add_learner(database, blocked=("console",))
    await _enqueue(database, blocked, "reply:blocked", due_at=EARLIER)
    await _enqueue(database, learner, "reply:later", due_at=LATER)
    await _enqueue(database, learner, "reply:now", due_at=NOW)
    async with database.transaction() as session:
        assert await outbox.next_due_at(session) == NOW
        assert await outbox.next_due_at(session, platforms=["telegram"]) == NOW
        assert await outbox.next_due_at(session, platforms=["slack"]) is None


async def test_deliveries_for_is_the_enrolments_timeline(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    await _plan(database, learner, [_planned("p:b", LATER), _planned("p:a", NOW)])
    await _enqueue(database, learner, "reply:1", due_at=EARLIER)
    await _enqueue(database, other, "reply:2", due_at=EARLIER)
    async with database.transaction() as session:
        timeline = await outbox.deliveries_for(session, enrolment_id=learner.enrolment_id)
    assert [row.key for row in timeline] == ["reply:1", "p:a", "p:b"]


async def test_a_reply_follows_a_moved_chat(database: Database) -> None:
    learner = await add_learner(database)
    payload = {"text": "Hoi", "to": ["telegram", "old-chat"]}
    async with database.transaction() as session:
        await outbox.enqueue(
            session, key="reply:1", person_id=learner.person_id, kind="reply", due_at=NOW, payload=payload
        )
    row = (await _rows(database))["reply:1"]
    async with database.transaction() as session:
        await outbox.redirect_reply(session, row.id or 0, to=("telegram", "new-chat"))
    assert (await _rows(database))["reply:1"].payload == {"text": "Hoi", "to": ["telegram", "new-chat"]}
