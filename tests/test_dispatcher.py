"""The one send path: retries, rate limits, blocked people, uncertain sends, crashes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import App
from bot.dispatcher import Dispatcher
from bot.domain.errors import PossiblySent, RateLimited, RecipientBlocked, SendError
from bot.domain.messages import Identity as ChatIdentity
from bot.domain.messages import Inbound
from bot.flows.conversation import Conversation
from bot.i18n import translate
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery, Identity
from bot.storage.repository import Session
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import app_on, demo_app
from tests.fakes.gated_adapter import GatedAdapter
from tests.fakes.memory_adapter import MemoryAdapter
from tests.storage.seed import EARLIER, NOW, Learner, add_learner

LEARNER = "anna@acme.example"


@pytest.fixture
async def running(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[App]:
    async with demo_app(tmp_path, programs, clock, MemoryAdapter()) as app:
        yield app


def _adapter(app: App) -> MemoryAdapter:
    adapter = app.adapters["console"]
    assert isinstance(adapter, MemoryAdapter)
    return adapter


async def _rows(app: App) -> list[Delivery]:
    async with app.database.transaction() as session:
        return list((await session.exec(select(Delivery).order_by(Delivery.id))).all())  # type: ignore[arg-type]


async def test_a_reply_is_sent_once(running: App, clock: FrozenClock) -> None:
    adapter = _adapter(running)
    await adapter.say(LEARNER, "hallo", at=clock.now())
    first = await running.dispatcher.run_due()
    again = await running.dispatcher.run_due()
    assert first >= 2  # welcome, help, kick-off
    assert again == 0
    keys = [message.delivery_key for message in adapter.sent]
    assert len(keys) == len(set(keys))


async def test_a_rate_limit_holds_the_message_until_the_wait_is_over(
    running: App, clock: FrozenClock
) -> None:
    adapter = await _started(running, clock)
    adapter.fail_next(RateLimited("slow down", retry_after=30))
    await adapter.say(LEARNER, "/help", at=clock.now())
    await running.dispatcher.run_due()
    held = len(adapter.sent)
    clock.advance(timedelta(seconds=29))
    await running.dispatcher.run_due()
    assert len(adapter.sent) == held  # nothing sent during the pause
    clock.advance(timedelta(seconds=2))
    await running.dispatcher.run_due()
    assert len(adapter.sent) > held
    assert all(row.attempts <= 1 for row in await _rows(running) if row.status == "sent")


async def test_a_failed_send_is_retried_with_backoff_not_dropped(running: App, clock: FrozenClock) -> None:
    adapter = await _started(running, clock)
    adapter.fail_next(SendError("network down"), SendError("still down"))
    await adapter.say(LEARNER, "/help", at=clock.now())
    await running.dispatcher.run_due()
    failed = [row for row in await _rows(running) if row.status == "failed"]
    assert len(failed) == 1
    assert failed[0].due_at > clock.now()
    clock.advance(outbox.backoff(1))
    await running.dispatcher.run_due()
    clock.advance(outbox.backoff(2))
    await running.dispatcher.run_due()
    rows = await _rows(running)
    assert {row.status for row in rows if row.kind == "reply"} == {"sent"}
    assert [row.attempts for row in rows if row.key == failed[0].key] == [3]


async def test_a_send_that_may_have_gone_through_is_not_repeated(running: App, clock: FrozenClock) -> None:
    adapter = await _started(running, clock)
    adapter.fail_next(PossiblySent("internal_error"))
    await adapter.say(LEARNER, "/help", at=clock.now())
    await running.dispatcher.run_due()
    attempts = adapter.attempts
    clock.advance(timedelta(hours=2))
    await running.dispatcher.run_due()
    assert adapter.attempts == attempts
    assert [row.status for row in await _rows(running)].count("dead") == 1


async def test_a_blocked_learner_is_paused_until_they_write_again(running: App, clock: FrozenClock) -> None:
    adapter = _adapter(running)
    await adapter.say(LEARNER, "hallo", at=clock.now())
    await running.dispatcher.run_due()
    await _answer_kickoff(running, adapter, clock)
    clock.advance(timedelta(days=7))
    adapter.fail_next(RecipientBlocked("bot was blocked by the user"))
    await running.dispatcher.run_due()
    assert adapter.attempts == len(adapter.sent) + 1  # one call, no retry storm
    async with running.database.transaction() as session:
        identity = (await session.exec(select(Identity))).one()
        assert identity.blocked_at is not None
    clock.advance(timedelta(days=1))
    await running.dispatcher.run_due()
    assert adapter.attempts == len(adapter.sent) + 1  # still nothing while blocked
    before = len(adapter.sent)
    await adapter.say(LEARNER, "/progress", at=clock.now())
    await running.dispatcher.run_due()
    assert len(adapter.sent) > before + 1  # the answer, and what waited


async def test_a_crash_after_claiming_loses_nothing_and_sends_once(
    tmp_path: Path, programs: dict[str, Program], running: App, clock: FrozenClock
) -> None:
    adapter = _adapter(running)
    await adapter.say(LEARNER, "hallo", at=clock.now())
    claimed = await outbox.claim_due(running.database, now=clock.now(), limit=1)
    assert len(claimed) == 1  # ... and the process dies before sending it
    await running.dispatcher.run_due()
    assert claimed[0].key not in {m.delivery_key for m in adapter.sent}
    clock.advance(timedelta(minutes=6))  # past the claim's lease
    async with app_on(tmp_path, programs, clock, MemoryAdapter()) as restarted:
        await restarted.dispatcher.run_due()
        resent = [m.delivery_key for m in _adapter(restarted).sent]
    assert resent.count(claimed[0].key) == 1


async def _started(app: App, clock: FrozenClock) -> MemoryAdapter:
    """The learner has written once: welcome and kick-off are out, nothing else is due."""
    adapter = _adapter(app)
    await adapter.say(LEARNER, "hallo", at=clock.now())
    await app.dispatcher.run_due()
    return adapter


async def _answer_kickoff(app: App, adapter: MemoryAdapter, clock: FrozenClock) -> None:
    while (last := adapter.sent[-1]).choices and last.choices[0].value.startswith("a:"):
        await adapter.say(LEARNER, "", at=clock.now(), choice=last.choices[2].value)
        await app.dispatcher.run_due()


async def test_a_stranger_is_answered_and_nothing_about_them_is_kept(
    running: App, clock: FrozenClock
) -> None:
    adapter = _adapter(running)
    ack = await adapter.say("someone@elsewhere.example", "hallo?", at=clock.now())
    await running.dispatcher.run_due()
    assert ack.accepted
    [answer] = adapter.texts_to("someone@elsewhere.example")
    assert translate("nl", "stranger") in answer
    assert translate("en", "stranger") in answer
    rows = await _rows(running)
    stranger_rows = [row for row in rows if row.person_id is None]
    assert [(row.status, row.payload) for row in stranger_rows] == [("sent", {})]
    async with running.database.transaction() as session:
        assert (await session.exec(select(Identity))).all() == []


# --- concurrent sending: lanes per recipient, a limit on sends in flight ----------------------


def _dispatcher(db: Database, adapter: GatedAdapter, clock: FrozenClock, **options: int) -> Dispatcher:
    return Dispatcher(database=db, adapters={"console": adapter}, programs={}, clock=clock, **options)


async def _reply(
    db: Database, chat: str, key: str, *, person_id: int | None = None, due_at: datetime = NOW
) -> None:
    """A reply row for `chat` (a console identity), from a known person or a stranger."""
    async with db.transaction() as session:
        payload = {"to": ["console", chat], "text": f"message {key}", "choices": [], "images": []}
        await outbox.enqueue(
            session, key=key, person_id=person_id, kind="reply", due_at=due_at, payload=payload, now=NOW
        )


async def _chat_of(db: Database, learner: Learner) -> str:
    async with db.transaction() as session:
        return (
            (await session.exec(select(Identity).where(Identity.person_id == learner.person_id)))
            .one()
            .external_id
        )


async def _by_key(db: Database) -> dict[str, Delivery]:
    async with db.transaction() as session:
        return {row.key: row for row in (await session.exec(select(Delivery))).all()}


async def test_sends_overlap_up_to_the_concurrency_limit_and_never_beyond(database: Database) -> None:
    adapter = GatedAdapter()
    for n in range(10):
        await _reply(database, f"chat-{n}", f"reply:console:e{n}:0")
    run = asyncio.create_task(_dispatcher(database, adapter, FrozenClock(NOW), concurrency=4).run_due())
    await adapter.wait_until(lambda: len(adapter.in_flight) == 4)
    first = next(iter(adapter.in_flight))
    adapter.open(first)  # one send ends: its slot goes to the next row at once
    await adapter.wait_until(lambda: len(adapter.started) == 5 and len(adapter.in_flight) == 4)
    adapter.open_all()
    assert await run == 10
    assert adapter.most_in_flight == 4
    assert sorted(adapter.sent_keys()) == sorted(f"reply:console:e{n}:0" for n in range(10))


async def test_one_recipients_rows_go_one_at_a_time_in_due_order_while_others_are_sent(
    database: Database,
) -> None:
    anna, bert, carl = [await add_learner(database) for _ in range(3)]
    chats = [await _chat_of(database, learner) for learner in (anna, bert, carl)]
    parts = [f"reply:console:anna:{n}" for n in range(4)]
    for key in parts:
        await _reply(database, chats[0], key, person_id=anna.person_id)
    await _reply(database, chats[1], "reply:console:bert:0", person_id=bert.person_id)
    await _reply(database, chats[2], "reply:console:carl:0", person_id=carl.person_id)
    # Written last but due first: due time decides, not the order of writing.
    await _reply(database, chats[0], "reply:console:anna:early", person_id=anna.person_id, due_at=EARLIER)
    adapter = GatedAdapter()
    # Batches of 2: Anna's rows come in three claims, Bert's and Carl's in the last two.
    run = asyncio.create_task(_dispatcher(database, adapter, FrozenClock(NOW), batch_size=2).run_due())
    await adapter.wait_until(lambda: len(adapter.in_flight) == 3)
    assert sorted(adapter.in_flight.values()) == sorted(chats)
    assert "reply:console:anna:early" in adapter.in_flight  # claimed earlier, still in flight
    adapter.open_all()
    assert await run == 7
    assert adapter.sent_keys(chats[0]) == ["reply:console:anna:early", *parts]
    assert adapter.overlapping_recipients == set()


async def test_a_failed_or_limited_send_leaves_other_recipients_alone_and_keeps_its_own_order(
    database: Database,
) -> None:
    clock = FrozenClock(NOW)
    adapter = GatedAdapter(auto_open=True)
    for chat, count in [("limited", 2), ("failing", 1), ("uncertain", 1), ("fine", 1)]:
        for n in range(count):
            await _reply(database, chat, f"reply:console:{chat}:{n}")
    adapter.fail("reply:console:limited:0", RateLimited("slow down", retry_after=30))
    adapter.fail("reply:console:failing:0", SendError("network down"))
    adapter.fail("reply:console:uncertain:0", PossiblySent("internal_error"))
    dispatcher = _dispatcher(database, adapter, clock)
    assert await dispatcher.run_due() == 1
    rows = await _by_key(database)
    assert rows["reply:console:fine:0"].status == "sent"
    limited, behind = rows["reply:console:limited:0"], rows["reply:console:limited:1"]
    assert (limited.status, limited.attempts, limited.due_at) == ("planned", 0, NOW + timedelta(seconds=30))
    # The second part was not tried: it waits just behind the first.
    assert "reply:console:limited:1" not in adapter.started
    assert (behind.status, behind.attempts) == ("planned", 0)
    assert limited.due_at < behind.due_at <= limited.due_at + timedelta(seconds=1)
    assert rows["reply:console:failing:0"].status == "failed"
    assert rows["reply:console:uncertain:0"].status == "dead"
    clock.advance(timedelta(seconds=31))
    assert await dispatcher.run_due() == 3
    assert adapter.sent_keys("limited") == ["reply:console:limited:0", "reply:console:limited:1"]
    assert adapter.started.count("reply:console:uncertain:0") == 1  # never re-sent
    assert adapter.duplicates() == []


async def test_an_unexpected_error_ends_the_run_after_the_other_sends(database: Database) -> None:
    adapter = GatedAdapter(auto_open=True)
    for chat in ("broken", "fine-1", "fine-2"):
        await _reply(database, chat, f"reply:console:{chat}:0")
    await _reply(database, "broken", "reply:console:broken:1")
    adapter.fail("reply:console:broken:0", RuntimeError("a bug"))
    with pytest.raises(RuntimeError, match="a bug"):
        await _dispatcher(database, adapter, FrozenClock(NOW)).run_due()
    rows = await _by_key(database)
    assert sorted(adapter.sent_keys()) == ["reply:console:fine-1:0", "reply:console:fine-2:0"]
    # Unknown whether it went out: the lease decides; the next part does not overtake it.
    assert rows["reply:console:broken:0"].status == "sending"
    assert rows["reply:console:broken:1"].status == "sending"


async def test_many_recipients_get_everything_once_and_in_order(database: Database) -> None:
    expected: dict[str, list[str]] = {}
    for n in range(40):
        chat = f"chat-{n}"
        expected[chat] = [f"reply:console:e{n}:{part}" for part in range(1 + n % 3)]
        for key in expected[chat]:
            await _reply(database, chat, key)
    adapter = GatedAdapter(auto_open=True)
    dispatcher = _dispatcher(database, adapter, FrozenClock(NOW), batch_size=7, concurrency=5)
    assert await dispatcher.run_due() == sum(len(keys) for keys in expected.values())
    assert adapter.most_in_flight <= 5  # how many overlap depends on timing: see the first test
    assert adapter.overlapping_recipients == set()
    assert adapter.duplicates() == []
    assert {chat: adapter.sent_keys(chat) for chat in expected} == expected
    assert {row.status for row in (await _by_key(database)).values()} == {"sent"}


async def test_two_dispatchers_on_one_database_send_each_row_once(migrated_database_url: str) -> None:
    first_db, second_db = Database(migrated_database_url), Database(migrated_database_url)
    async with first_db, second_db:
        for n in range(30):
            await _reply(first_db, f"chat-{n}", f"reply:console:e{n}:0")
        adapters = GatedAdapter(auto_open=True), GatedAdapter(auto_open=True)
        runs = [
            _dispatcher(db, adapter, FrozenClock(NOW), batch_size=4, concurrency=3).run_due()
            for db, adapter in zip((first_db, second_db), adapters, strict=True)
        ]
        assert sum(await asyncio.gather(*runs)) == 30
    keys = adapters[0].sent_keys() + adapters[1].sent_keys()
    assert len(keys) == len(set(keys)) == 30


class _PausingDatabase(Database):
    """Stops after the next transaction commits until `resume()`: a run caught between its last
    claim and its end."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.pause_next = False
        self.paused = asyncio.Event()
        self._resumed = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        pause, self.pause_next = self.pause_next, False
        async with super().transaction() as session:
            yield session
        if pause:
            self.paused.set()
            await self._resumed.wait()

    def resume(self) -> None:
        self._resumed.set()


async def test_a_wake_while_a_run_ends_makes_one_more_run(migrated_database_url: str) -> None:
    adapter = GatedAdapter(auto_open=True)
    async with _PausingDatabase(migrated_database_url) as db:
        dispatcher = _dispatcher(db, adapter, FrozenClock(NOW))
        db.pause_next = True
        dispatcher.wake()  # the run's one claim finds nothing, and the run is about to end ...
        await asyncio.wait_for(db.paused.wait(), timeout=5)
        await _reply(db, "chat-1", "reply:console:e1:0")  # ... when a flow writes a reply
        dispatcher.wake()
        db.resume()
        await dispatcher.drain()
    assert adapter.sent_keys() == ["reply:console:e1:0"]


# --- replies handed over by the conversation, claimed in its transaction ----------------------

_CLAIM_UPDATE = "attempts=(deliveries.attempts + "  # the claim's UPDATE; a handed-over row skips it


async def _claimed(db: Database, chat: str, key: str) -> Delivery:
    """A reply row written claimed, as the conversation writes its replies."""
    async with db.transaction() as session:
        payload = {"to": ["console", chat], "text": f"message {key}", "choices": [], "images": []}
        written = await outbox.enqueue_all_claimed(
            session, [outbox.NewRow(key, None, None, "reply", payload)], now=NOW
        )
    return written[key]


async def test_a_reply_is_handed_to_the_dispatcher_and_sent_without_a_claim(
    running: App, clock: FrozenClock
) -> None:
    adapter = await _started(running, clock)
    sent_before = len(adapter.sent)
    claims: list[str] = []

    def capture(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if _CLAIM_UPDATE in statement:
            claims.append(statement)

    await _ask_progress_watching_statements(running, adapter, clock, capture)
    answers = adapter.sent[sent_before:]
    assert answers
    assert all(m.delivery_key.startswith("reply:console:") for m in answers)
    assert claims == []
    rows = {row.key: row for row in await _rows(running)}
    for answer in answers:
        assert (rows[answer.delivery_key].status, rows[answer.delivery_key].attempts) == ("sent", 1)


async def _ask_progress_watching_statements(
    app: App, adapter: MemoryAdapter, clock: FrozenClock, watch: Callable[..., None]
) -> None:
    """The learner asks for /progress and the replies go out, `watch` seeing every statement
    sent meanwhile (SQLAlchemy's `before_cursor_execute`)."""
    engine = app.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        await adapter.say(LEARNER, "/progress", at=clock.now())
        await app.dispatcher.drain()
    finally:
        event.remove(engine, "before_cursor_execute", watch)


async def test_a_handed_over_reply_lost_in_a_crash_is_sent_after_the_lease(
    tmp_path: Path, programs: dict[str, Program], running: App, clock: FrozenClock
) -> None:
    await _started(running, clock)
    lost: list[Delivery] = []  # the process dies between the commit and the hand-over
    conversation = Conversation(
        database=running.database, programs=programs, clock=clock, hand_over=lost.extend
    )
    inbound = Inbound(
        identity=ChatIdentity("console", LEARNER),
        event_id="lost-1",
        received_at=clock.now(),
        text="/progress",
    )
    await conversation.handle(inbound)
    assert [row.status for row in lost] == ["sending"]
    await running.dispatcher.run_due()  # a claim does not take a row another process holds
    clock.advance(timedelta(minutes=6))  # past the lease
    async with app_on(tmp_path, programs, clock, MemoryAdapter()) as restarted:
        await restarted.dispatcher.run_due()
        resent = [m.delivery_key for m in _adapter(restarted).sent]
    assert resent.count(lost[0].key) == 1


async def _four_replies_handed_over(
    database: Database, adapter: GatedAdapter, name: str, *, concurrency: int
) -> tuple[Dispatcher, list[Delivery]]:
    """A dispatcher that was handed four replies `reply:console:<name><n>:0`, one per chat."""
    dispatcher = _dispatcher(database, adapter, FrozenClock(NOW), concurrency=concurrency)
    handed = [await _claimed(database, f"chat-{n}", f"reply:console:{name}{n}:0") for n in range(4)]
    dispatcher.hand_over(handed)
    return dispatcher, handed


async def test_rows_falling_due_while_replies_keep_every_lane_busy_are_sent_after_a_few_sends(
    database: Database,
) -> None:
    adapter = GatedAdapter()
    dispatcher, handed = await _four_replies_handed_over(database, adapter, "h", concurrency=2)
    await adapter.wait_until(lambda: len(adapter.in_flight) == 2)  # h0, h1; h2, h3 wait
    await _reply(database, "chat-z", "reply:console:z:0")  # falls due while all that goes on
    adapter.open("reply:console:h0:0")
    adapter.open("reply:console:h1:0")
    await adapter.wait_until(lambda: set(adapter.in_flight) == {"reply:console:h2:0", "reply:console:h3:0"})
    adapter.open("reply:console:h2:0")  # h3 stays in flight: the lanes are never all idle
    await adapter.wait_until(lambda: "reply:console:z:0" in adapter.in_flight)
    assert "reply:console:h3:0" in adapter.in_flight
    adapter.open_all()
    await dispatcher.drain()
    assert sorted(adapter.sent_keys()) == sorted([row.key for row in handed] + ["reply:console:z:0"])


async def test_replies_that_finish_sending_together_are_marked_sent_by_one_statement(
    database: Database,
) -> None:
    adapter = GatedAdapter()
    dispatcher, _ = await _four_replies_handed_over(database, adapter, "t", concurrency=4)
    await adapter.wait_until(lambda: len(adapter.in_flight) == 4)
    marks: list[bool] = []  # per statement that records sends: was it run for many rows?

    def record(
        _connection: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool
    ) -> None:
        if statement.startswith("UPDATE") and "platform_message_id" in statement:
            marks.append(many)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    adapter.open_all()
    await dispatcher.drain()
    event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    assert marks == [True]  # one statement, run for the four rows at once
    async with database.transaction() as session:
        statuses = (await session.exec(select(Delivery.status))).all()
    assert statuses == ["sent"] * 4


async def test_a_reply_is_marked_sent_in_a_transaction_where_writers_take_turns_else_by_a_statement_alone(
    tmp_path: Path, programs: dict[str, Program], clock: FrozenClock, migrated_database_url: str
) -> None:
    """SQLite: the mark joins the transaction of the events handled meanwhile (the app's
    conversation writes it). PostgreSQL: no transaction, so the mark holds up no group of events
    and costs one round trip (bot/app.py)."""
    async with demo_app(
        tmp_path, programs, clock, MemoryAdapter(), database_url=migrated_database_url
    ) as app:
        isolation: list[str | None] = []  # per statement that records a send: its isolation option

        def record(
            _connection: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
        ) -> None:
            if statement.startswith("UPDATE") and "platform_message_id" in statement:
                isolation.append(context.execution_options.get("isolation_level"))

        adapter = await _started(app, clock)  # the welcome and kick-off are out: only replies follow
        await _ask_progress_watching_statements(app, adapter, clock, record)
        replies = [row for row in await _rows(app) if row.kind == "reply"]
    assert replies
    assert all(row.status == "sent" for row in replies)
    autocommit = "AUTOCOMMIT" if app.database.dialect == "postgresql" else None
    assert isolation
    assert isolation == [autocommit] * len(isolation), isolation
