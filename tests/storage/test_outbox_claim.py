"""Claiming due rows one at a time: what is sendable, in which order, a person's rows one after
the other, and never twice, also concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery
from tests.fakes.databases import open_database
from tests.storage.seed import EARLIER, LATER, NOW, Learner, add_learner

EVERY_PLATFORM = ("console", "telegram", "slack")


async def _enqueue(
    db: Database,
    learner: Learner | None,
    key: str,
    *,
    due_at: datetime = NOW,
    kind: str = "intervention",
    with_enrolment: bool = True,
    to: tuple[str, str] | None = None,
) -> None:
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            key=key,
            person_id=learner.person_id if learner else None,
            enrolment_id=learner.enrolment_id if learner and with_enrolment else None,
            kind=kind,
            due_at=due_at,
            payload={"to": list(to)} if to else None,
            now=NOW,
        )


async def claim(
    db: Database,
    *,
    now: datetime = NOW,
    platforms: Collection[str] = EVERY_PLATFORM,
    urgent: Collection[str] = ("reply",),
    limit: int = 50,
    send: bool = False,
    person_id: int | None = None,
) -> list[Delivery]:
    """Rows claimed one by one, a transaction each (locking on PostgreSQL), until none is left
    or `limit`; with `send`, each is marked sent in its claim's transaction (the next of its
    person's rows may then go)."""
    claimed: list[Delivery] = []
    while len(claimed) < limit:
        async with db.transaction() as session:
            row = await outbox.claim_next(
                session,
                now=now,
                platforms=platforms,
                urgent=urgent,
                locking=db.dialect == "postgresql",
                person_id=person_id,
            )
            if row is not None and send:
                await outbox.mark_sent(session, row, platform="console", platform_message_id="m", sent_at=now)
        if row is None:
            break
        claimed.append(row)
    return claimed


async def _keys(db: Database, **options: object) -> list[str]:
    return [row.key for row in await claim(db, **options)]  # type: ignore[arg-type]


async def _statuses(db: Database) -> dict[str, str]:
    async with db.transaction() as session:
        return {row.key: row.status for row in (await session.exec(select(Delivery))).all()}


async def test_a_claim_marks_the_row_sending_and_returns_it_usable(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "k1", due_at=EARLIER)
    (claimed,) = await claim(database)
    # The session is closed: the row's values are loaded and stay readable.
    assert (claimed.key, claimed.status, claimed.attempts, claimed.claimed_at) == ("k1", "sending", 1, NOW)
    assert claimed.due_at == EARLIER
    async with database.transaction() as session:
        stored = (await session.exec(select(Delivery))).one()
    assert (stored.status, stored.attempts, stored.claimed_at) == ("sending", 1, NOW)
    assert await claim(database, now=LATER) == []


async def test_nothing_due_claims_nothing(database: Database) -> None:
    async with database.transaction() as session:
        assert await outbox.claim_next(session, now=NOW, platforms=EVERY_PLATFORM) is None


async def test_only_rows_due_by_now_are_claimed(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "now", due_at=NOW)
    await _enqueue(database, learner, "later", due_at=NOW + timedelta(microseconds=1))
    assert await _keys(database, send=True) == ["now"]


async def test_order_is_due_time_then_id(database: Database) -> None:
    learner = await add_learner(database)
    for key, due_at in [("c", NOW), ("a", EARLIER), ("d", NOW), ("b", EARLIER - timedelta(minutes=1))]:
        await _enqueue(database, learner, key, due_at=due_at)
    assert await _keys(database, send=True, limit=3) == ["b", "a", "c"]
    assert await _keys(database, send=True) == ["d"]


async def test_urgent_kinds_go_before_an_earlier_nudge(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    await _enqueue(database, learner, "nudge", kind="intervention", due_at=EARLIER)
    await _enqueue(database, other, "reminder", kind="reminder", due_at=EARLIER)
    await _enqueue(database, learner, "answer", kind="reply", due_at=NOW, to=("console", "console-1"))
    assert await _keys(database, send=True) == ["answer", "nudge", "reminder"]


async def test_without_urgent_kinds_answers_wait_their_turn(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "nudge", kind="intervention", due_at=EARLIER)
    await _enqueue(database, learner, "answer", kind="reply", due_at=NOW, to=("console", "console-1"))
    assert await _keys(database, send=True, urgent=()) == ["nudge", "answer"]


async def test_an_urgent_row_not_yet_due_waits(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "nudge", kind="intervention", due_at=EARLIER)
    await _enqueue(database, learner, "answer", kind="reply", due_at=LATER, to=("console", "console-1"))
    assert await _keys(database, send=True) == ["nudge"]


async def test_a_persons_rows_go_one_at_a_time(database: Database) -> None:
    learner, other = await add_learner(database), await add_learner(database)
    await _enqueue(database, learner, "first", due_at=EARLIER)
    await _enqueue(database, learner, "second", due_at=EARLIER + timedelta(seconds=1))
    await _enqueue(database, learner, "answer", kind="reply", to=("console", "console-1"))
    await _enqueue(database, other, "other", due_at=NOW)

    (first,) = await claim(database, limit=1, urgent=())
    assert first.key == "first"
    # While "first" is being sent, neither the learner's next row nor their answer goes; the
    # other person's row does.
    assert await _keys(database) == ["other"]
    async with database.transaction() as session:
        await outbox.mark_sent(session, first, platform="console", platform_message_id="1", sent_at=NOW)
    assert await _keys(database) == ["answer"]
    assert await _statuses(database) == {
        "first": "sent",
        "second": "planned",
        "answer": "sending",
        "other": "sending",
    }


async def test_a_failed_row_no_longer_holds_its_persons_rows(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "first", due_at=EARLIER)
    await _enqueue(database, learner, "second", due_at=NOW)
    (first,) = await claim(database)
    async with database.transaction() as session:
        await outbox.mark_failed(session, first.id or 0, error="TimedOut", retry_at=LATER)
    assert await _keys(database) == ["second"]


async def test_strangers_rows_are_not_held_by_each_other(database: Database) -> None:
    await _enqueue(database, None, "one", kind="reply", to=("telegram", "1"))
    await _enqueue(database, None, "two", kind="reply", to=("telegram", "2"))
    assert await _keys(database) == ["one", "two"]


@pytest.mark.parametrize(
    ("state", "claimed"),
    [
        ({}, True),
        ({"active": False}, False),
        ({"paused": True}, False),
        ({"removed": True}, False),
        ({"blocked": ("console",)}, False),
    ],
)
async def test_enrolment_and_identity_decide_what_is_sendable(
    database: Database, state: dict[str, object], claimed: bool
) -> None:
    learner = await add_learner(database, **state)  # type: ignore[arg-type]
    await _enqueue(database, learner, "k")
    assert await _keys(database) == (["k"] if claimed else [])


async def test_a_row_without_enrolment_needs_only_a_reachable_person(database: Database) -> None:
    paused = await add_learner(database, paused=True)
    blocked = await add_learner(database, paused=True, blocked=("console",))
    await _enqueue(database, paused, "digest", kind="digest", with_enrolment=False)
    await _enqueue(database, blocked, "digest-blocked", kind="digest", with_enrolment=False)
    assert await _keys(database) == ["digest"]


async def test_a_person_without_identity_is_not_sent_to(database: Database) -> None:
    learner = await add_learner(database, platforms=())
    await _enqueue(database, learner, "k")
    assert await _keys(database) == []


async def test_platforms_limit_the_claim_to_reachable_people_there(database: Database) -> None:
    both = await add_learner(database, platforms=("console", "telegram"))
    telegram_blocked = await add_learner(database, platforms=("console", "telegram"), blocked=("telegram",))
    slack = await add_learner(database, platforms=("slack",))
    await _enqueue(database, both, "both")
    await _enqueue(database, telegram_blocked, "telegram-blocked")
    await _enqueue(database, slack, "slack")
    assert await _keys(database, platforms=["telegram"]) == ["both"]
    assert await _keys(database, platforms=["telegram", "slack"]) == ["slack"]
    assert await _keys(database, platforms=["console"]) == ["telegram-blocked"]


async def test_a_claim_for_one_person_takes_only_their_rows(database: Database) -> None:
    """A console chat is one person's: another terminal's person, or a stranger, is not theirs."""
    learner, coach = await add_learner(database), await add_learner(database)
    await _enqueue(database, learner, "learners", due_at=EARLIER)
    await _enqueue(database, None, "strangers", kind="reply", due_at=EARLIER, to=("telegram", "99"))
    await _enqueue(database, coach, "coachs", due_at=NOW)
    await _enqueue(database, coach, "answer", kind="reply", due_at=LATER, to=("console", "console-2"))
    async with database.transaction() as session:
        assert await outbox.next_due_at(session, person_id=coach.person_id) == NOW
        assert await outbox.next_due_at(session, person_id=learner.person_id) == EARLIER
    assert await _keys(database, send=True, now=LATER, person_id=coach.person_id) == ["answer", "coachs"]
    assert await _statuses(database) == {
        "learners": "planned",
        "strangers": "planned",
        "coachs": "sent",
        "answer": "sent",
    }
    async with database.transaction() as session:
        assert await outbox.next_due_at(session, person_id=coach.person_id) is None
    assert await _keys(database, send=True, now=LATER) == ["strangers", "learners"]


async def test_a_console_chat_gives_back_only_its_own_persons_rows_at_start(database: Database) -> None:
    """Another terminal's row may be on its way right now: it is not this chat's to give back."""
    learner, coach = await add_learner(database), await add_learner(database)
    await _enqueue(database, learner, "learners", due_at=EARLIER)
    await _enqueue(database, coach, "coachs", due_at=EARLIER)
    assert len(await claim(database)) == 2
    async with database.transaction() as session:
        requeued = await outbox.requeue_stale(
            session, now=NOW, older_than=timedelta(0), person_id=coach.person_id
        )
    assert requeued == 1
    assert await _statuses(database) == {"learners": "sending", "coachs": "planned"}


async def test_answers_go_to_whoever_wrote_on_their_platform(database: Database) -> None:
    paused = await add_learner(database, paused=True, platforms=("telegram",))
    await _enqueue(database, None, "stranger", kind="reply", to=("telegram", "12345"))
    await _enqueue(database, paused, "paused", kind="reply", to=("telegram", "telegram-1"))
    await _enqueue(database, None, "slack-stranger", kind="reply", to=("slack", "U1"))
    assert await _keys(database, platforms=["console"]) == []
    assert await _keys(database, platforms=["telegram"]) == ["stranger", "paused"]
    assert await _keys(database) == ["slack-stranger"]


async def _claim_and_send_all(db: Database) -> list[int]:
    return [row.id or 0 for row in await claim(db, send=True, limit=1000)]


async def _claim_all(db: Database) -> list[Delivery]:
    return await claim(db, limit=1000)


async def test_concurrent_claimers_never_get_the_same_row(
    database: Database, migrated_database_url: str
) -> None:
    learners = [await add_learner(database) for _ in range(4)]
    async with database.transaction() as session:
        for number in range(200):
            learner = learners[number % 4]
            await outbox.enqueue(
                session,
                key=f"k{number}",
                person_id=learner.person_id,
                enrolment_id=learner.enrolment_id,
                kind="reply" if number % 5 == 0 else "intervention",
                due_at=EARLIER + timedelta(seconds=number % 7),
                now=NOW,
            )
    second = await open_database(migrated_database_url, migrate=False)
    try:
        first_ids, second_ids = await asyncio.gather(
            _claim_and_send_all(database), _claim_and_send_all(second)
        )
    finally:
        await second.close()
    async with database.transaction() as session:
        every_id = set((await session.exec(select(Delivery.id))).all())
    assert len(first_ids) + len(second_ids) == 200
    assert set(first_ids) | set(second_ids) == every_id
    assert not set(first_ids) & set(second_ids)


async def test_concurrent_claimers_take_one_row_of_a_person_at_a_time(
    database: Database, migrated_database_url: str
) -> None:
    learners = [await add_learner(database) for _ in range(3)]
    for number, learner in enumerate(learners):
        await _enqueue(database, learner, f"nudge{number}", due_at=EARLIER)
        await _enqueue(database, learner, f"later{number}", due_at=NOW)
        await _enqueue(database, learner, f"answer{number}", kind="reply", to=("console", "x"))
    second = await open_database(migrated_database_url, migrate=False)
    try:
        claims = await asyncio.gather(_claim_all(database), _claim_all(second), _claim_all(database))
    finally:
        await second.close()
    claimed = sorted(row.key for rows in claims for row in rows)
    # Each person's answer, and nothing else of theirs while it is being sent.
    assert claimed == ["answer0", "answer1", "answer2"]


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
@pytest.mark.parametrize("same_person", [True, False])
async def test_postgresql_skips_rows_another_transaction_holds(
    database: Database, migrated_database_url: str, same_person: bool
) -> None:
    learner = await add_learner(database)
    other = learner if same_person else await add_learner(database)
    await _enqueue(database, learner, "held", due_at=EARLIER)
    await _enqueue(database, other, "free", due_at=NOW)
    second = await open_database(migrated_database_url, migrate=False)
    try:
        async with database.transaction() as session:
            locked = select(Delivery).where(col(Delivery.key) == "held").with_for_update()
            await session.exec(locked)
            # Without SKIP LOCKED this claim would wait for the transaction above: a deadlock.
            claimed = await asyncio.wait_for(claim(second), timeout=10)
        assert [row.key for row in claimed] == ["free"]
        assert await _keys(second) == ([] if same_person else ["held"])  # "free" is being sent
    finally:
        await second.close()


async def test_a_crash_mid_send_loses_and_doubles_nothing(database_url: str) -> None:
    crashed = await open_database(database_url)
    learner = await add_learner(crashed)
    await _enqueue(crashed, learner, "k", due_at=EARLIER)
    (claimed,) = await claim(crashed)
    await crashed.close()  # the process dies: the row is never marked
    del crashed

    restarted = await open_database(database_url)
    try:
        assert await claim(restarted, now=NOW + timedelta(minutes=1)) == []
        later = NOW + timedelta(minutes=10)
        async with restarted.transaction() as session:
            assert await outbox.requeue_stale(session, now=later, older_than=timedelta(minutes=5)) == 1
        claims = await asyncio.gather(*(claim(restarted, now=later) for _ in range(3)))
        assert [row.key for rows in claims for row in rows] == ["k"]
        assert [row.attempts for rows in claims for row in rows] == [claimed.attempts + 1]
        async with restarted.transaction() as session:
            assert await outbox.requeue_stale(session, now=later, older_than=timedelta(minutes=5)) == 0
        assert await claim(restarted, now=LATER) == []
    finally:
        await restarted.close()
