"""The outbox: enqueue, planning, results of sending, retries and the learner's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
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


async def claim(
    db: Database, *, now: datetime = NOW, urgent: tuple[str, ...] = ("reply",), limit: int = 50
) -> list[Delivery]:
    """Rows claimed one by one, a transaction each (locking on PostgreSQL), until none is left
    or `limit`."""
    claimed: list[Delivery] = []
    while len(claimed) < limit:
        async with db.transaction() as session:
            row = await outbox.claim_next(
                session,
                now=now,
                platforms=("console", "telegram"),
                urgent=urgent,
                locking=db.dialect == "postgresql",
            )
        if row is None:
            break
        claimed.append(row)
    return claimed


async def _claim_one(db: Database, *, now: datetime = NOW) -> Delivery:
    (claimed,) = await claim(db, now=now, limit=1)
    return claimed


async def _mark_sent(db: Database, delivery: Delivery, *, message_id: str = "m", at: datetime = NOW) -> None:
    async with db.transaction() as session:
        await outbox.mark_sent(
            session, delivery, platform="console", platform_message_id=message_id, sent_at=at
        )


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


async def test_apply_plan_never_touches_rows_being_sent_or_sent(database: Database) -> None:
    learner = await add_learner(database)
    await _plan(database, learner, [_planned("p:sent", EARLIER), _planned("p:sending", EARLIER)])
    sent = await _claim_one(database)
    await _mark_sent(database, sent, message_id="m1")
    sending = await _claim_one(database)

    assert await _plan(database, learner, []) == PlanChange()
    assert (
        await _plan(database, learner, [_planned("p:sent", LATER), _planned("p:sending", LATER)])
        == PlanChange()
    )
    rows = await _rows(database)
    assert (rows[sent.key].status, rows[sent.key].due_at) == ("sent", EARLIER)
    assert (rows[sending.key].status, rows[sending.key].due_at) == ("sending", EARLIER)


async def test_apply_plan_keeps_a_later_retry_time(database: Database) -> None:
    learner = await add_learner(database)
    await _plan(database, learner, [_planned("p:tip", EARLIER)])
    claimed = await _claim_one(database)
    retry = NOW + timedelta(minutes=5)
    async with database.transaction() as session:
        await outbox.mark_failed(session, claimed.id or 0, error="NetworkError", retry_at=retry)

    # The plan still says EARLIER: the backoff stands.
    assert await _plan(database, learner, [_planned("p:tip", EARLIER)]) == PlanChange()
    assert (await _rows(database))["p:tip"].due_at == retry
    # The plan moves past the retry time: the row follows the plan.
    assert await _plan(database, learner, [_planned("p:tip", LATER)]) == PlanChange(moved=1)
    row = (await _rows(database))["p:tip"]
    assert (row.status, row.due_at) == ("failed", LATER)


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


async def test_cancel_unsent_cancels_planned_and_failed_rows_of_the_kinds(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    await _plan(database, learner, [_planned("p:sent", EARLIER)])
    await _mark_sent(database, await _claim_one(database))
    await _plan(database, learner, [_planned("p:sent", EARLIER), _planned("p:tip", LATER)])
    await _enqueue(database, learner, "later:1", kind="reminder", due_at=LATER)
    await _enqueue(database, learner, "reply:1", kind="reply", due_at=LATER)
    await _enqueue(database, other, "later:2", kind="reminder", due_at=LATER)
    await _enqueue(database, learner, "failed:1", kind="catch_up", due_at=NOW)
    async with database.transaction() as session:
        failed = (await session.exec(select(Delivery).where(Delivery.key == "failed:1"))).one()
        await outbox.mark_failed(session, failed.id or 0, error="TimedOut", retry_at=LATER)

    async with database.transaction() as session:
        assert await outbox.cancel_unsent(session, enrolment_id=learner.enrolment_id) == 3
    statuses = {key: row.status for key, row in (await _rows(database)).items()}
    assert statuses == {
        "p:sent": "sent",
        "p:tip": "cancelled",
        "later:1": "cancelled",
        "failed:1": "cancelled",
        "reply:1": "planned",
        "later:2": "planned",
    }
    async with database.transaction() as session:
        assert await outbox.cancel_unsent(session, enrolment_id=learner.enrolment_id, kinds=["reply"]) == 1


# results of sending


async def test_mark_sent_records_where_it_went(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "reply:1")
    await _mark_sent(database, await _claim_one(database), message_id="42", at=LATER)
    row = (await _rows(database))["reply:1"]
    assert (row.status, row.platform, row.platform_message_id, row.sent_at) == (
        "sent",
        "console",
        "42",
        LATER,
    )
    assert await claim(database, now=LATER + timedelta(days=1)) == []


async def test_mark_sent_forgets_the_message_and_keeps_where_it_went(database: Database) -> None:
    learner = await add_learner(database)
    payload = {
        "text": "Jouw scores: 3, 4",
        "choices": [["Ja", "yes"]],
        "images": ["chart.png"],
        "to": ["console", "console-1"],
        "reflection": "r1",
    }
    async with database.transaction() as session:
        await outbox.enqueue(
            session, key="reply:1", person_id=learner.person_id, kind="reply", due_at=NOW, payload=payload
        )
    claimed = await _claim_one(database)
    assert claimed.payload == payload
    await _mark_sent(database, claimed)
    assert (await _rows(database))["reply:1"].payload == {"to": ["console", "console-1"], "reflection": "r1"}


async def test_mark_sent_keeps_nothing_of_a_strangers_payload(database: Database) -> None:
    payload = {"text": "Wie ben jij?", "to": ["telegram", "12345"]}
    async with database.transaction() as session:
        await outbox.enqueue(
            session, key="reply:stranger", person_id=None, kind="reply", due_at=NOW, payload=payload
        )
    claimed = await _claim_one(database)
    await _mark_sent(database, claimed, message_id="m-2")
    stranger = (await _rows(database))["reply:stranger"]
    assert (stranger.status, stranger.platform_message_id, stranger.sent_at) == ("sent", "m-2", NOW)
    assert stranger.payload == {}  # keep nothing about someone we do not know


async def test_a_failed_row_is_claimable_again_at_its_retry_time(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "reply:1")
    claimed = await _claim_one(database)
    retry = NOW + outbox.backoff(claimed.attempts)
    async with database.transaction() as session:
        await outbox.mark_failed(session, claimed.id or 0, error="TimedOut", retry_at=retry)
    row = (await _rows(database))["reply:1"]
    assert (row.status, row.due_at, row.last_error, row.attempts) == ("failed", retry, "TimedOut", 1)

    assert await claim(database, now=retry - timedelta(seconds=1)) == []
    again = await _claim_one(database, now=retry)
    assert (again.key, again.attempts, again.status) == ("reply:1", 2, "sending")


async def test_a_row_given_up_is_dead_and_never_claimed(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "reply:1")
    claimed = await _claim_one(database)
    async with database.transaction() as session:
        await outbox.mark_failed(session, claimed.id or 0, error="BadRequest:400" * 100, retry_at=None)
    row = (await _rows(database))["reply:1"]
    assert row.status == "dead"
    assert row.last_error is not None
    assert len(row.last_error) <= 300
    assert await claim(database, now=NOW + timedelta(days=30)) == []


async def test_release_puts_a_row_back_without_counting_the_attempt(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "reply:1")
    claimed = await _claim_one(database)
    wait = NOW + timedelta(seconds=3)
    async with database.transaction() as session:
        await outbox.release(session, claimed.id or 0, due_at=wait)
    row = (await _rows(database))["reply:1"]
    assert (row.status, row.attempts, row.due_at, row.claimed_at) == ("planned", 0, wait, None)
    assert await claim(database, now=NOW) == []
    assert (await _claim_one(database, now=wait)).attempts == 1


async def test_release_leaves_a_row_that_is_not_being_sent(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "reply:1")
    claimed = await _claim_one(database)
    await _mark_sent(database, claimed, message_id="1")
    async with database.transaction() as session:
        await outbox.release(session, claimed.id or 0, due_at=LATER)
    row = (await _rows(database))["reply:1"]
    assert (row.status, row.attempts) == ("sent", 1)


async def test_requeue_stale_returns_rows_a_crashed_dispatcher_held(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    await _enqueue(database, learner, "reply:old")
    await _claim_one(database, now=NOW)
    await _enqueue(database, other, "reply:new")
    await _claim_one(database, now=NOW + timedelta(minutes=9))

    async with database.transaction() as session:
        count = await outbox.requeue_stale(
            session, now=NOW + timedelta(minutes=10), older_than=timedelta(minutes=5)
        )
    assert count == 1
    rows = await _rows(database)
    assert (rows["reply:old"].status, rows["reply:old"].attempts) == ("planned", 1)
    assert rows["reply:new"].status == "sending"


async def test_hold_behind_moves_only_the_persons_unsent_rows_due_by_then(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    retry = NOW + timedelta(minutes=5)
    await _enqueue(database, learner, "held", kind="intervention", due_at=EARLIER)
    await _enqueue(database, learner, "before", kind="intervention", due_at=NOW)
    await _enqueue(database, learner, "at", kind="intervention", due_at=retry)
    await _enqueue(database, learner, "after", kind="intervention", due_at=LATER)
    await _enqueue(database, learner, "sent", kind="reply", due_at=EARLIER - timedelta(minutes=1))
    await _enqueue(database, learner, "cancelled", kind="reminder", due_at=NOW)
    await _enqueue(database, other, "other", kind="intervention", due_at=NOW)
    await _mark_sent(database, await _claim_one(database))
    async with database.transaction() as session:
        await outbox.cancel_unsent(session, enrolment_id=learner.enrolment_id, kinds=["reminder"])
    held = await _claim_one(database)
    assert held.key == "held"
    async with database.transaction() as session:
        await outbox.mark_failed(session, held.id or 0, error="TimedOut", retry_at=retry)
        moved = await outbox.hold_behind(
            session, person_id=learner.person_id, delivery_id=held.id or 0, due_at=retry
        )
    assert moved == 2
    due = {key: (row.status, row.due_at) for key, row in (await _rows(database)).items()}
    just_after = retry + timedelta(microseconds=1)
    assert due == {
        "held": ("failed", retry),
        "before": ("planned", just_after),
        "at": ("planned", just_after),
        "after": ("planned", LATER),
        "sent": ("sent", EARLIER - timedelta(minutes=1)),
        "cancelled": ("cancelled", NOW),
        "other": ("planned", NOW),
    }
    # The held row goes first again; the rows it held wait for it.
    assert [row.key for row in await claim(database, now=just_after)] == ["other", "held"]


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


@pytest.mark.parametrize("status", ["sent", "dead", "cancelled"])
async def test_finished_rows_are_not_due(database: Database, status: str) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "reply:1", due_at=EARLIER)
    async with database.transaction() as session:
        row = (await session.exec(select(Delivery))).one()
        row.status = status
        session.add(row)
    async with database.transaction() as session:
        assert await outbox.next_due_at(session) is None
    assert await claim(database, now=NOW) == []


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
