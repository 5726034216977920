"""Claiming due rows: what is sendable, in which order, and never twice, also concurrently."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery
from tests.fakes.databases import open_database
from tests.storage.seed import EARLIER, LATER, NOW, Learner, add_learner


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


async def _claimed_keys(db: Database, **options: object) -> list[str]:
    return [row.key for row in await outbox.claim_due(db, now=NOW, **options)]  # type: ignore[arg-type]


async def test_a_claim_marks_rows_sending_and_returns_them_usable(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "k1", due_at=EARLIER)
    (claimed,) = await outbox.claim_due(database, now=NOW)
    # The session is closed: the row's values are loaded and stay readable.
    assert (claimed.key, claimed.status, claimed.attempts, claimed.claimed_at) == ("k1", "sending", 1, NOW)
    assert claimed.due_at == EARLIER
    async with database.transaction() as session:
        stored = (await session.exec(select(Delivery))).one()
    assert (stored.status, stored.attempts, stored.claimed_at) == ("sending", 1, NOW)
    assert await outbox.claim_due(database, now=NOW) == []


async def test_only_rows_due_by_now_are_claimed(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "now", due_at=NOW)
    await _enqueue(database, learner, "later", due_at=NOW + timedelta(microseconds=1))
    assert await _claimed_keys(database) == ["now"]


async def test_order_is_due_time_then_id_and_limit_holds(database: Database) -> None:
    learner = await add_learner(database)
    for key, due_at in [("c", NOW), ("a", EARLIER), ("d", NOW), ("b", EARLIER - timedelta(minutes=1))]:
        await _enqueue(database, learner, key, due_at=due_at)
    assert await _claimed_keys(database, limit=3) == ["b", "a", "c"]
    assert await _claimed_keys(database, limit=3) == ["d"]


async def test_every_claim_asks_with_its_own_moment_and_limit(database: Database) -> None:
    """The query is built once per set of platforms (outbox._due_statement); each claim's
    `now` and `limit` are its parameters."""
    learner = await add_learner(database)
    for key, due_at in [("early", EARLIER), ("now", NOW), ("now too", NOW), ("later", LATER)]:
        await _enqueue(database, learner, key, due_at=due_at)
    assert [row.key for row in await outbox.claim_due(database, now=EARLIER - timedelta(seconds=1))] == []
    assert [row.key for row in await outbox.claim_due(database, now=LATER, limit=1)] == ["early"]
    assert [row.key for row in await outbox.claim_due(database, now=NOW, limit=5)] == ["now", "now too"]
    assert [row.key for row in await outbox.claim_due(database, now=LATER, limit=5)] == ["later"]


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
    assert await _claimed_keys(database) == (["k"] if claimed else [])


async def test_a_row_without_enrolment_needs_only_a_reachable_person(database: Database) -> None:
    paused = await add_learner(database, paused=True)
    blocked = await add_learner(database, paused=True, blocked=("console",))
    await _enqueue(database, paused, "digest", kind="digest", with_enrolment=False)
    await _enqueue(database, blocked, "digest-blocked", kind="digest", with_enrolment=False)
    assert await _claimed_keys(database) == ["digest"]


async def test_a_person_without_identity_is_not_sent_to(database: Database) -> None:
    learner = await add_learner(database, platforms=())
    await _enqueue(database, learner, "k")
    assert await _claimed_keys(database) == []


async def test_platforms_limit_the_claim_to_reachable_people_there(database: Database) -> None:
    both = await add_learner(database, platforms=("console", "telegram"))
    telegram_blocked = await add_learner(database, platforms=("console", "telegram"), blocked=("telegram",))
    slack = await add_learner(database, platforms=("slack",))
    await _enqueue(database, both, "both")
    await _enqueue(database, telegram_blocked, "telegram-blocked")
    await _enqueue(database, slack, "slack")
    assert await _claimed_keys(database, platforms=["telegram"]) == ["both"]
    assert await _claimed_keys(database, platforms=["telegram", "slack"]) == ["slack"]
    assert await _claimed_keys(database, platforms=["console"]) == ["telegram-blocked"]


async def test_answers_go_to_whoever_wrote_on_their_platform(database: Database) -> None:
    paused = await add_learner(database, paused=True, platforms=("telegram",))
    await _enqueue(database, None, "stranger", kind="reply", to=("telegram", "12345"))
    await _enqueue(database, paused, "paused", kind="reply", to=("telegram", "telegram-1"))
    await _enqueue(database, None, "slack-stranger", kind="reply", to=("slack", "U1"))
    assert await _claimed_keys(database, platforms=["console"]) == []
    assert await _claimed_keys(database, platforms=["telegram"]) == ["stranger", "paused"]
    assert await _claimed_keys(database) == ["slack-stranger"]


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
                kind="intervention",
                due_at=EARLIER + timedelta(seconds=number % 7),
                now=NOW,
            )
    second = await open_database(migrated_database_url, migrate=False)
    try:
        first_ids, second_ids = await asyncio.gather(_claim_all(database), _claim_all(second))
    finally:
        await second.close()
    async with database.transaction() as session:
        every_id = set((await session.exec(select(Delivery.id))).all())
    assert len(first_ids) + len(second_ids) == 200
    assert set(first_ids) | set(second_ids) == every_id
    assert not set(first_ids) & set(second_ids)


async def _claim_all(db: Database) -> list[int]:
    ids: list[int] = []
    while claimed := await outbox.claim_due(db, now=NOW, limit=7):
        ids += [row.id or 0 for row in claimed]
    return ids


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
async def test_postgresql_skips_rows_another_transaction_holds(
    database: Database, migrated_database_url: str
) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "held", due_at=EARLIER)
    await _enqueue(database, learner, "free", due_at=NOW)
    second = await open_database(migrated_database_url, migrate=False)
    try:
        async with database.transaction() as session:
            locked = select(Delivery).where(col(Delivery.key) == "held").with_for_update()
            await session.exec(locked)
            # Without SKIP LOCKED this claim would wait for the transaction above: a deadlock.
            claimed = await asyncio.wait_for(outbox.claim_due(second, now=NOW), timeout=10)
        assert [row.key for row in claimed] == ["free"]
        assert [row.key for row in await outbox.claim_due(second, now=NOW)] == ["held"]
    finally:
        await second.close()


async def test_a_crash_mid_send_loses_and_doubles_nothing(database_url: str) -> None:
    crashed = await open_database(database_url)
    learner = await add_learner(crashed)
    await _enqueue(crashed, learner, "k", due_at=EARLIER)
    (claimed,) = await outbox.claim_due(crashed, now=NOW)
    await crashed.close()  # the process dies: the row is never marked
    del crashed

    restarted = await open_database(database_url)
    try:
        assert await outbox.claim_due(restarted, now=NOW + timedelta(minutes=1)) == []
        later = NOW + timedelta(minutes=10)
        async with restarted.transaction() as session:
            assert await outbox.requeue_stale(session, now=later, older_than=timedelta(minutes=5)) == 1
        claims = await asyncio.gather(*(outbox.claim_due(restarted, now=later) for _ in range(3)))
        keys = [row.key for rows in claims for row in rows]
        assert keys == ["k"]
        async with restarted.transaction() as session:
            assert await outbox.requeue_stale(session, now=later, older_than=timedelta(minutes=5)) == 0
        assert [row.attempts for rows in claims for row in rows] == [claimed.attempts + 1]
        assert await outbox.claim_due(restarted, now=LATER) == []
    finally:
        await restarted.close()


async def test_at_the_same_moment_answers_go_before_news(database: Database) -> None:
    learner = await add_learner(database)
    await _enqueue(database, learner, "kick-off", kind="intervention")
    await _enqueue(database, learner, "welcome", kind="reply", to=("console", "console-1"))
    await _enqueue(database, learner, "earlier", kind="intervention", due_at=EARLIER)
    assert await _claimed_keys(database, limit=2) == ["earlier", "welcome"]
    assert await _claimed_keys(database) == ["kick-off"]


async def test_the_claim_finds_due_rows_through_the_status_and_due_at_index(database: Database) -> None:
    # Without it the claim read every planned row of every learner: 7.7 ms per claim at 23,000
    # rows, several times per inbound message (docs/performance.md).
    learner = await add_learner(database)
    await _enqueue(database, learner, "due", due_at=EARLIER)
    await _enqueue(database, learner, "later", due_at=LATER)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().startswith("SELECT deliveries.id"):
            statements.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        assert await _claimed_keys(database) == ["due"]
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    ((claim, parameters),) = statements
    assert "ix_deliveries_status_due_at" in await _plan(database, claim, parameters)


async def _plan(database: Database, statement: str, parameters: Any) -> str:
    """The query plan of `statement`; on PostgreSQL with sequential scans off, because on a table
    this small the planner would rightly prefer reading it whole."""
    async with database.transaction() as session:
        connection = await session.connection()
        if database.dialect == "postgresql":
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        else:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
