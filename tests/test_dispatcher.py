"""The one send path: retries, rate limits, blocked people, uncertain sends, crashes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import App
from bot.dispatcher import Dispatcher
from bot.domain.errors import PossiblySent, RecipientBlocked, SendError
from bot.i18n import translate
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery, Identity
from bot.storage.repository import Session
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import demo_app
from tests.fakes.gated_adapter import GatedAdapter
from tests.fakes.memory_adapter import MemoryAdapter
from tests.storage.seed import NOW, Learner

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


async def _four_replies_handed_over(
    database: Database, adapter: GatedAdapter, name: str, *, concurrency: int
) -> tuple[Dispatcher, list[Delivery]]:
    """A dispatcher that was handed four replies `reply:console:<name><n>:0`, one per chat."""
    dispatcher = _dispatcher(database, adapter, FrozenClock(NOW), concurrency=concurrency)
    handed = [await _claimed(database, f"chat-{n}", f"reply:console:{name}{n}:0") for n in range(4)]
    dispatcher.hand_over(handed)
    return dispatcher, handed
