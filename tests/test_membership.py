"""Membership changes and moved chats: blocked, unblocked, a group's new id (through the App)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.domain.errors import ChatMoved
from bot.domain.messages import Identity, MembershipChange, MembershipKind
from bot.storage.models import Identity as IdentityRow
from bot.storage.repository import person_by_email
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import MONDAY_BEFORE_S1, demo_app
from tests.fakes.memory_adapter import MemoryAdapter

ANNA = "anna@acme.example"
CHAT = "4242"
START = MONDAY_BEFORE_S1


@pytest.fixture
async def app(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[App]:
    """Anna's Telegram chat is linked, she has started and answered the kick-off."""
    adapter = MemoryAdapter(platform="telegram")
    async with demo_app(tmp_path, programs, clock, adapter) as running:
        async with running.database.transaction() as session:
            anna = await person_by_email(session, ANNA)
            assert anna is not None
            assert anna.id is not None
            session.add(
                IdentityRow(person_id=anna.id, platform="telegram", external_id=CHAT, created_at=START)
            )
        await adapter.say(CHAT, "hallo", at=clock.now())
        await running.dispatcher.run_due()
        while (last := adapter.sent[-1]).choices and last.choices[0].value.startswith("a:"):
            await adapter.say(CHAT, "", at=clock.now(), choice=last.choices[2].value)
            await running.dispatcher.run_due()
        yield running


def _adapter(app: App) -> MemoryAdapter:
    adapter = app.adapters["telegram"]
    assert isinstance(adapter, MemoryAdapter)
    return adapter


def _change(
    event_id: str, kind: MembershipKind, *, chat: str = CHAT, to: str | None = None
) -> MembershipChange:
    return MembershipChange(
        identity=Identity("telegram", chat),
        event_id=event_id,
        received_at=START,
        kind=kind,
        moved_to=Identity("telegram", to) if to else None,
    )


async def _identities(app: App) -> list[tuple[str, bool]]:
    async with app.database.transaction() as session:
        rows = (await session.exec(select(IdentityRow))).all()
        return [(row.external_id, row.blocked_at is not None) for row in rows]


async def test_a_block_holds_deliveries_and_an_unblock_releases_them(app: App, clock: FrozenClock) -> None:
    adapter = _adapter(app)
    await app.conversation.on_membership(_change("m1", "blocked"))
    assert await _identities(app) == [(CHAT, True)]
    clock.advance(timedelta(days=7))
    before = adapter.attempts
    assert await app.dispatcher.run_due() == 0
    assert adapter.attempts == before  # not even tried while blocked
    await app.conversation.on_membership(_change("m2", "unblocked"))
    await app.dispatcher.drain()  # the unblock woke the dispatcher
    assert await _identities(app) == [(CHAT, False)]
    assert len(adapter.sent) > before


async def test_a_redelivered_change_has_no_second_effect(app: App) -> None:
    await app.conversation.on_membership(_change("m1", "blocked"))
    await app.conversation.on_membership(_change("m2", "unblocked"))
    await app.conversation.on_membership(_change("m1", "blocked"))  # Telegram sends m1 again
    assert await _identities(app) == [(CHAT, False)]


async def test_a_change_for_an_unknown_chat_stores_nothing(app: App) -> None:
    await app.conversation.on_membership(_change("m1", "blocked", chat="999"))
    assert await _identities(app) == [(CHAT, False)]


async def test_a_moved_chat_keeps_its_person_under_the_new_id(app: App, clock: FrozenClock) -> None:
    adapter = _adapter(app)
    await app.conversation.on_membership(_change("m1", "moved", to="-100777"))
    assert await _identities(app) == [("-100777", False)]
    before = len(adapter.sent)
    await adapter.say("-100777", "/progress", at=clock.now())
    await app.dispatcher.run_due()
    assert [m.recipient.external_id for m in adapter.sent[before:]] == ["-100777"]


async def test_a_send_to_a_moved_chat_goes_to_the_new_id_at_once(app: App, clock: FrozenClock) -> None:
    adapter = _adapter(app)
    adapter.fail_next(ChatMoved("moved", moved_to=Identity("telegram", "-100777")))
    before = len(adapter.sent)
    await adapter.say(CHAT, "/help", at=clock.now())
    await app.dispatcher.run_due()  # one run: the failed send, the move, and the send again
    assert [m.recipient.external_id for m in adapter.sent[before:]] == ["-100777"]
    assert await _identities(app) == [("-100777", False)]
    clock.advance(timedelta(days=7))
    await app.dispatcher.run_due()
    assert {m.recipient.external_id for m in adapter.sent[before:]} == {"-100777"}
