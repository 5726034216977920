"""The one send path: retries, rate limits, blocked people, uncertain sends, crashes, delivery
kinds (registered, unknown, urgent) and sends side by side."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.dispatcher import Dispatcher
from bot.domain.errors import PossiblySent, RateLimited, RecipientBlocked, SendError
from bot.domain.messages import Reply
from bot.flows.kinds import journey_kinds
from bot.i18n import translate
from bot.kinds import DeliveryKind, DeliveryKinds
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery, Identity
from bot.storage.repository import Session
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import demo_app
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


# --- concurrent sending: a person's rows one at a time, a limit on sends in flight -----------


def _dispatcher(
    db: Database,
    adapter: GatedAdapter | MemoryAdapter,
    clock: FrozenClock,
    *,
    kinds: DeliveryKinds | None = None,
    on_sent: Callable[[int], None] = lambda _person_id: None,
    concurrency: int = 8,
) -> Dispatcher:
    return Dispatcher(
        database=db,
        adapters={"console": adapter},
        kinds=kinds or DeliveryKinds(journey_kinds({})),
        clock=clock,
        on_sent=on_sent,
        concurrency=concurrency,
    )


async def _reply(
    db: Database, chat: str, key: str, *, person_id: int | None = None, due_at: datetime = NOW
) -> None:
    """A reply row for `chat` (a console identity), from a known person or a stranger."""
    async with db.transaction() as session:
        payload = {"to": ["console", chat], "text": f"message {key}", "choices": [], "images": []}
        await outbox.enqueue(
            session, key=key, person_id=person_id, kind="reply", due_at=due_at, payload=payload, now=NOW
        )


async def _row(db: Database, learner: Learner, key: str, kind: str, *, due_at: datetime = NOW) -> None:
    """A row of `kind` for `learner`, sent to their identity (no "to"), outside any enrolment."""
    async with db.transaction() as session:
        await outbox.enqueue(session, key=key, person_id=learner.person_id, kind=kind, due_at=due_at, now=NOW)


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
    adapter.open(first)  # one send ends: its sender claims the next row at once
    await adapter.wait_until(lambda: len(adapter.started) == 5 and len(adapter.in_flight) == 4)
    adapter.open_all()
    assert await run == 10
    assert adapter.most_in_flight == 4
    assert sorted(adapter.sent_keys()) == sorted(f"reply:console:e{n}:0" for n in range(10))


async def test_one_persons_rows_go_one_at_a_time_in_due_order_while_others_are_sent(
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
    run = asyncio.create_task(_dispatcher(database, adapter, FrozenClock(NOW)).run_due())
    await adapter.wait_until(lambda: len(adapter.in_flight) == 3)
    assert sorted(adapter.in_flight.values()) == sorted(chats)
    assert "reply:console:anna:early" in adapter.in_flight
    adapter.open_all()
    assert await run == 7
    assert adapter.sent_keys(chats[0]) == ["reply:console:anna:early", *parts]
    assert adapter.overlapping_recipients == set()


async def test_a_failed_or_limited_send_leaves_other_people_alone_and_keeps_its_own_order(
    database: Database,
) -> None:
    clock = FrozenClock(NOW)
    adapter = GatedAdapter(auto_open=True)
    limited, failing, uncertain, fine = [await add_learner(database) for _ in range(4)]
    chats = {}
    for name, learner, count in [
        ("limited", limited, 2),
        ("failing", failing, 2),
        ("uncertain", uncertain, 1),
    ]:
        chats[name] = await _chat_of(database, learner)
        for n in range(count):
            await _reply(database, chats[name], f"reply:console:{name}:{n}", person_id=learner.person_id)
    await _reply(database, await _chat_of(database, fine), "reply:console:fine:0", person_id=fine.person_id)
    adapter.fail("reply:console:limited:0", RateLimited("slow down", retry_after=30))
    adapter.fail("reply:console:failing:0", SendError("network down"))
    adapter.fail("reply:console:uncertain:0", PossiblySent("internal_error"))
    dispatcher = _dispatcher(database, adapter, clock)
    assert await dispatcher.run_due() == 1
    rows = await _by_key(database)
    assert rows["reply:console:fine:0"].status == "sent"
    first, behind = rows["reply:console:limited:0"], rows["reply:console:limited:1"]
    assert (first.status, first.attempts, first.due_at) == ("planned", 0, NOW + timedelta(seconds=30))
    # The second part was not tried: it waits just behind the first.
    assert "reply:console:limited:1" not in adapter.started
    assert (behind.status, behind.attempts) == ("planned", 0)
    assert first.due_at < behind.due_at <= first.due_at + timedelta(seconds=1)
    failed, held = rows["reply:console:failing:0"], rows["reply:console:failing:1"]
    assert (failed.status, failed.last_error) == ("failed", "SendError")
    assert "reply:console:failing:1" not in adapter.started
    assert failed.due_at < held.due_at
    assert rows["reply:console:uncertain:0"].status == "dead"
    clock.advance(timedelta(seconds=31))
    assert await dispatcher.run_due() == 4
    assert adapter.sent_keys(chats["limited"]) == ["reply:console:limited:0", "reply:console:limited:1"]
    assert adapter.sent_keys(chats["failing"]) == ["reply:console:failing:0", "reply:console:failing:1"]
    assert adapter.started.count("reply:console:uncertain:0") == 1  # never re-sent
    assert adapter.duplicates() == []


async def test_an_unexpected_error_ends_the_run_and_its_row_is_sent_once_after_the_lease(
    database: Database,
) -> None:
    """An adapter raising what is not a SendError is a bug: `run_due` raises it, and the row
    stays "sending" (whether it went out is unknown) until `requeue_stale` gives it back; the
    person's later row does not overtake it meanwhile, and other people are not held up."""
    clock = FrozenClock(NOW)
    broken, other = await add_learner(database), await add_learner(database)
    chat = await _chat_of(database, broken)
    await _reply(database, chat, "reply:console:broken:0", person_id=broken.person_id, due_at=EARLIER)
    await _reply(database, chat, "reply:console:broken:1", person_id=broken.person_id)
    await _reply(
        database, await _chat_of(database, other), "reply:console:other:0", person_id=other.person_id
    )
    adapter = GatedAdapter(auto_open=True)
    adapter.fail("reply:console:broken:0", RuntimeError("a bug"))
    dispatcher = _dispatcher(database, adapter, clock, concurrency=1)  # one sender: nothing left running
    with pytest.raises(RuntimeError, match="a bug"):
        await dispatcher.run_due()
    assert await dispatcher.run_due() == 1  # the other person's row
    rows = await _by_key(database)
    assert rows["reply:console:broken:0"].status == "sending"
    assert rows["reply:console:broken:1"].status == "planned"  # waits behind it
    clock.advance(timedelta(minutes=6))  # past the lease
    assert await dispatcher.requeue_stale() == 1
    assert await dispatcher.run_due() == 2
    assert adapter.sent_keys(chat) == ["reply:console:broken:0", "reply:console:broken:1"]
    assert adapter.duplicates() == []


async def test_an_unexpected_error_ends_the_run_only_after_the_other_sends(database: Database) -> None:
    adapter = GatedAdapter()
    for n in range(3):
        await _reply(database, f"chat-{n}", f"reply:console:e{n}:0")
    adapter.fail("reply:console:e0:0", RuntimeError("a bug"))
    before = asyncio.all_tasks()
    run = asyncio.create_task(_dispatcher(database, adapter, FrozenClock(NOW), concurrency=3).run_due())
    await adapter.wait_until(lambda: len(adapter.in_flight) == 3)
    senders = asyncio.all_tasks() - before - {run}
    try:
        adapter.open("reply:console:e0:0")
        await adapter.wait_until(lambda: "reply:console:e0:0" not in adapter.in_flight)
        for _ in range(10):  # turns of the loop, no clock: the error reaches run_due at once
            await asyncio.sleep(0)
        assert not run.done()  # two sends are still in flight: the run is not over
        adapter.open_all()
        with pytest.raises(RuntimeError, match="a bug"):
            await run
        assert sorted(adapter.sent_keys()) == ["reply:console:e1:0", "reply:console:e2:0"]
    finally:
        adapter.open_all()
        await asyncio.gather(run, *senders, return_exceptions=True)


async def test_many_people_get_everything_once_and_in_order(database: Database) -> None:
    expected: dict[str, list[str]] = {}
    for n in range(40):
        learner = await add_learner(database)
        chat = await _chat_of(database, learner)
        expected[chat] = [f"reply:console:e{n}:{part}" for part in range(1 + n % 3)]
        for key in expected[chat]:
            await _reply(database, chat, key, person_id=learner.person_id)
    adapter = GatedAdapter(auto_open=True)
    dispatcher = _dispatcher(database, adapter, FrozenClock(NOW), concurrency=5)
    assert await dispatcher.run_due() == sum(len(keys) for keys in expected.values())
    assert adapter.most_in_flight <= 5  # how many overlap depends on timing: see the first test
    assert adapter.overlapping_recipients == set()
    assert adapter.duplicates() == []
    assert {chat: adapter.sent_keys(chat) for chat in expected} == expected
    assert {row.status for row in (await _by_key(database)).values()} == {"sent"}


async def test_two_dispatchers_on_one_database_send_each_row_once(migrated_database_url: str) -> None:
    first_db, second_db = Database(migrated_database_url), Database(migrated_database_url)
    async with first_db, second_db:
        expected: dict[str, list[str]] = {}
        for n in range(15):
            learner = await add_learner(first_db)
            chat = await _chat_of(first_db, learner)
            expected[chat] = [f"reply:console:e{n}:{part}" for part in range(2)]
            for key in expected[chat]:
                await _reply(first_db, chat, key, person_id=learner.person_id)
        adapters = GatedAdapter(auto_open=True), GatedAdapter(auto_open=True)
        runs = [
            _dispatcher(db, adapter, FrozenClock(NOW), concurrency=3).run_due()
            for db, adapter in zip((first_db, second_db), adapters, strict=True)
        ]
        assert sum(await asyncio.gather(*runs)) == 30
    keys = adapters[0].sent_keys() + adapters[1].sent_keys()
    assert len(keys) == len(set(keys)) == 30
    sent = sorted(adapters[0].sent + adapters[1].sent, key=lambda m: int(m.delivery_key.rsplit(":", 1)[1]))
    for chat, wanted in expected.items():  # a person's second part never went before the first
        assert [m.delivery_key for m in sent if m.recipient.external_id == chat] == wanted


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
        dispatcher = _dispatcher(db, adapter, FrozenClock(NOW), concurrency=1)
        db.pause_next = True
        dispatcher.wake()  # the run's one claim finds nothing, and the run is about to end ...
        await asyncio.wait_for(db.paused.wait(), timeout=5)
        await _reply(db, "chat-1", "reply:console:e1:0")  # ... when a flow writes a reply
        dispatcher.wake()
        db.resume()
        await dispatcher.drain()
    assert adapter.sent_keys() == ["reply:console:e1:0"]


async def test_a_row_claimed_by_a_process_that_died_is_sent_once_after_the_lease(database: Database) -> None:
    clock = FrozenClock(NOW)
    learner = await add_learner(database)
    chat = await _chat_of(database, learner)
    await _reply(database, chat, "reply:console:lost:0", person_id=learner.person_id, due_at=EARLIER)
    await _reply(database, chat, "reply:console:lost:1", person_id=learner.person_id)
    async with database.transaction() as session:  # a process claims it, then dies
        claimed = await outbox.claim_next(session, now=NOW, platforms=["console"], urgent=["reply"])
    assert claimed is not None
    assert claimed.key == "reply:console:lost:0"
    adapter = MemoryAdapter()
    dispatcher = _dispatcher(database, adapter, clock)
    assert await dispatcher.run_due() == 0  # another process holds it; the next part waits
    assert await dispatcher.requeue_stale() == 0  # within the lease
    clock.advance(timedelta(minutes=6))
    assert await dispatcher.requeue_stale() == 1
    assert await dispatcher.run_due() == 2
    assert await dispatcher.run_due() == 0
    assert [m.delivery_key for m in adapter.sent] == ["reply:console:lost:0", "reply:console:lost:1"]


# --- delivery kinds: registered by a feature, unknown, urgent ----------------------------------


async def test_a_kind_registered_by_a_feature_is_rendered_and_its_after_send_hook_runs(
    database: Database,
) -> None:
    learner = await add_learner(database)
    rendered: list[str] = []
    followed: list[tuple[str, str, datetime]] = []

    async def render(_session: Session, delivery: Delivery) -> Reply | None:
        rendered.append(delivery.key)
        return Reply(text=f"case {delivery.payload.get('case', '?')} for you")

    async def after_send(session: Session, delivery: Delivery, now: datetime) -> None:
        row = await session.get(Delivery, delivery.id)
        assert row is not None
        followed.append((delivery.key, row.status, now))  # in the transaction that marks it sent

    kinds = DeliveryKinds([*journey_kinds({}), DeliveryKind("case_post", render, after_send=after_send)])
    async with database.transaction() as session:
        await outbox.enqueue(
            session,
            key="case:1",
            person_id=learner.person_id,
            kind="case_post",
            due_at=NOW,
            payload={"case": 7},
        )
    adapter, clock, changed = MemoryAdapter(), FrozenClock(NOW), []
    dispatcher = _dispatcher(database, adapter, clock, kinds=kinds, on_sent=changed.append)
    assert await dispatcher.run_due() == 1
    [message] = adapter.sent
    assert (message.delivery_key, message.text) == ("case:1", "case 7 for you")
    assert message.recipient.external_id == await _chat_of(database, learner)
    assert rendered == ["case:1"]
    assert followed == [("case:1", "sent", NOW)]
    assert changed == [learner.person_id]  # a kind with an after-send hook changes state
    assert (await _by_key(database))["case:1"].status == "sent"


async def test_a_row_of_an_unknown_kind_is_given_up_with_the_reason_and_a_warning(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    anna, bert = await add_learner(database), await add_learner(database)
    await _row(database, anna, "mystery:1", "mystery", due_at=EARLIER)
    await _reply(database, await _chat_of(database, anna), "reply:console:anna:0", person_id=anna.person_id)
    await _reply(database, await _chat_of(database, bert), "reply:console:bert:0", person_id=bert.person_id)
    adapter = MemoryAdapter()
    with caplog.at_level(logging.WARNING, logger="bot.dispatcher"):
        assert await _dispatcher(database, adapter, FrozenClock(NOW)).run_due() == 2
    rows = await _by_key(database)
    assert rows["mystery:1"].status == "dead"
    assert (rows["mystery:1"].last_error or "").startswith("UnknownKind")
    assert "mystery" in (rows["mystery:1"].last_error or "")
    assert sorted(m.delivery_key for m in adapter.sent) == ["reply:console:anna:0", "reply:console:bert:0"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "bot.dispatcher"]
    assert any("UnknownKind" in r.getMessage() and "mystery" in r.getMessage() for r in warnings)


async def test_a_row_that_can_no_longer_be_rendered_is_given_up_with_the_reason(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """("NoRecipient" is not reached this way: `claim_next` claims no row without a reachable
    chat, so such a row waits, unclaimed, until its person has one.)"""
    learner = await add_learner(database)

    async def gone(_session: Session, _delivery: Delivery) -> Reply | None:
        return None

    kinds = DeliveryKinds([*journey_kinds({}), DeliveryKind("gone", gone)])
    await _row(database, learner, "gone:1", "gone", due_at=EARLIER)
    await _row(database, learner, "gone:2", "gone")
    adapter = MemoryAdapter()
    with caplog.at_level(logging.WARNING, logger="bot.dispatcher"):
        assert await _dispatcher(database, adapter, FrozenClock(NOW), kinds=kinds).run_due() == 0
    rows = await _by_key(database)
    assert [(rows[key].status, rows[key].last_error) for key in ("gone:1", "gone:2")] == [
        ("dead", "Unrenderable"),
        ("dead", "Unrenderable"),
    ]
    assert adapter.attempts == 0
    assert (
        len([r for r in caplog.records if r.name == "bot.dispatcher" and "Unrenderable" in r.getMessage()])
        == 2
    )


async def test_an_urgent_row_due_later_goes_before_a_nudge_due_earlier(database: Database) -> None:
    anna, bert = await add_learner(database), await add_learner(database)

    async def nudge(_session: Session, delivery: Delivery) -> Reply | None:
        return Reply(text=f"nudge {delivery.key}")

    kinds = DeliveryKinds([*journey_kinds({}), DeliveryKind("nudge", nudge)])
    await _row(database, anna, "nudge:anna", "nudge", due_at=EARLIER)
    await _row(database, bert, "nudge:bert", "nudge", due_at=EARLIER)
    await _reply(database, await _chat_of(database, bert), "reply:console:bert:0", person_id=bert.person_id)
    adapter = MemoryAdapter()
    dispatcher = _dispatcher(database, adapter, FrozenClock(NOW), kinds=kinds, concurrency=1)
    assert await dispatcher.run_due() == 3
    # The answer first, also before the nudge to the same person that was due an hour before.
    assert adapter.sent[0].delivery_key == "reply:console:bert:0"
    assert sorted(m.delivery_key for m in adapter.sent[1:]) == ["nudge:anna", "nudge:bert"]
