"""The one send path: retries, rate limits, blocked people, uncertain sends, crashes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.domain.errors import PossiblySent, RateLimited, RecipientBlocked, SendError
from bot.i18n import translate
from bot.storage import outbox
from bot.storage.models import Delivery, Identity
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import app_on, demo_app
from tests.fakes.memory_adapter import MemoryAdapter

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
