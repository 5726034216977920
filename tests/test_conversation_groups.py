"""Events that arrive together are handled together: one transaction, one lookup of their
senders; an event that fails in a group fails alone (bot/flows/conversation.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import App
from bot.domain.errors import RateLimited
from bot.domain.messages import Identity, Inbound, InboundAck, Platform
from bot.flows.conversation import Conversation
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery, ProcessedEvent
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import demo_app
from tests.fakes.databases import drop_connections, only_postgresql
from tests.fakes.memory_adapter import MemoryAdapter

# Slack accounts of three learners of the demo cohort, and one the directory cannot answer for.
ACCOUNTS = {"U1": "anna@acme.example", "U2": "bram@acme.example", "U3": "sanne@acme.example"}
FLAKY = "U4"
TRANSACTION = "(a transaction begins)"


class Directory:
    """Slack's user directory as the core sees it: e-mail addresses by account."""

    platform: Platform = "slack"

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.down_for: set[str] = {FLAKY}
        self.answering = asyncio.Event()  # cleared: each answer waits until it is set
        self.answering.set()
        self.asked_once = asyncio.Event()

    async def lookup_user_by_email(self, email: str) -> str | None:
        return next((account for account, known in ACCOUNTS.items() if known == email), None)

    async def email_of(self, external_id: str) -> str | None:
        self.asked.append(external_id)
        self.asked_once.set()
        await self.answering.wait()
        if external_id in self.down_for:
            raise RateLimited("users.info", retry_after=1)
        return ACCOUNTS.get(external_id, "youssef@acme.example")


@pytest.fixture
async def running(
    tmp_path: Path, programs: dict[str, Program], clock: FrozenClock, migrated_database_url: str
) -> AsyncIterator[App]:
    """The app on each database."""
    adapter = MemoryAdapter()
    async with demo_app(tmp_path, programs, clock, adapter, database_url=migrated_database_url) as app:
        yield app


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
def conversation(
    running: App, programs: dict[str, Program], clock: FrozenClock, directory: Directory
) -> Conversation:
    return Conversation(
        database=running.database, programs=programs, clock=clock, directories={"slack": directory}
    )


def _said(account: str, text: str, event_id: str, clock: FrozenClock) -> Inbound:
    return Inbound(identity=Identity("slack", account), event_id=event_id, received_at=clock.now(), text=text)


async def _together(conversation: Conversation, *inbounds: Inbound) -> list[InboundAck | BaseException]:
    """Hand the events over at the same moment, as concurrent requests (or one getUpdates) do."""
    return list(await asyncio.gather(*(conversation.handle(i) for i in inbounds), return_exceptions=True))


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    """The SQL sent to the database inside the block, in order, with each transaction's start
    as `TRANSACTION` (whether or not the dialect sends a statement for it)."""
    sent: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    def record_begin(_connection: Any) -> None:
        sent.append(TRANSACTION)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "begin", record_begin)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "begin", record_begin)


async def _first_messages(conversation: Conversation, clock: FrozenClock) -> None:
    acks = await _together(conversation, *(_said(a, "hallo", f"E-first-{a}", clock) for a in ACCOUNTS))
    assert all(isinstance(ack, InboundAck) and ack.accepted for ack in acks)


async def test_events_arriving_together_share_one_transaction_and_one_lookup_of_their_senders(
    conversation: Conversation, running: App, clock: FrozenClock
) -> None:
    await _first_messages(conversation, clock)  # unknown accounts: each alone, with the directory
    with _statements(running.database) as sent:
        acks = await _together(
            conversation, *(_said(a, "/progress", f"E-again-{a}", clock) for a in ACCOUNTS)
        )
    assert all(isinstance(ack, InboundAck) and ack.accepted for ack in acks)
    assert sent.count(TRANSACTION) == 1
    assert sum(statement.startswith("INSERT INTO processed_events") for statement in sent) == 1  # all three
    assert sum(statement.startswith("INSERT INTO deliveries") for statement in sent) == 1  # every reply
    identity_lookups = [s for s in sent if s.startswith("SELECT") and "FROM identities" in s]
    assert len(identity_lookups) == 1  # the group's one query, not one per event
    async with running.database.transaction() as session:
        replies = (
            await session.exec(select(Delivery.key).where(Delivery.key.startswith("reply:slack:E-again-")))
        ).all()  # type: ignore[attr-defined]
    assert {key.split(":")[2] for key in replies} == {f"E-again-{a}" for a in ACCOUNTS}


async def test_an_event_that_fails_in_a_group_fails_alone_and_can_be_handled_again(
    conversation: Conversation, running: App, clock: FrozenClock, directory: Directory
) -> None:
    await _first_messages(conversation, clock)
    flaky = _said(FLAKY, "hallo", "E-flaky", clock)
    acks = await _together(
        conversation, _said("U1", "/help", "E-1", clock), flaky, _said("U2", "/help", "E-2", clock)
    )
    assert isinstance(acks[1], RateLimited)  # raised to its caller: the platform delivers it again
    assert all(isinstance(ack, InboundAck) and ack.accepted for ack in (acks[0], acks[2]))
    async with running.database.transaction() as session:
        recorded = set((await session.exec(select(ProcessedEvent.event_id))).all())
    assert {"E-1", "E-2"} <= recorded
    assert "E-flaky" not in recorded  # nothing of it was kept
    directory.down_for.clear()
    again = await conversation.handle(flaky)
    assert again.accepted


async def test_the_same_event_twice_in_one_group_has_one_effect(
    conversation: Conversation, running: App, clock: FrozenClock
) -> None:
    await _first_messages(conversation, clock)
    twice = _said("U1", "/help", "E-twice", clock)
    acks = await _together(conversation, twice, twice)
    assert [ack.accepted for ack in acks if isinstance(ack, InboundAck)] == [True, False]
    async with running.database.transaction() as session:
        replies = (
            await session.exec(select(Delivery.key).where(Delivery.key.startswith("reply:slack:E-twice:")))
        ).all()  # type: ignore[attr-defined]
    assert len(replies) == 1


async def _replies_to(running: App, event_prefix: str) -> list[Delivery]:
    key = Delivery.key.startswith(f"reply:slack:{event_prefix}")  # type: ignore[attr-defined]
    async with running.database.transaction() as session:
        return list((await session.exec(select(Delivery).where(key))).all())


def _mark(delivery: Delivery, clock: FrozenClock) -> outbox.SentMark:
    assert delivery.id is not None
    return outbox.SentMark(delivery.id, "slack", f"D1:{delivery.id}", clock.now())


async def test_sent_marks_join_the_transaction_of_the_events_handled_meanwhile(
    conversation: Conversation, running: App, clock: FrozenClock
) -> None:
    await _first_messages(conversation, clock)
    sent_replies = await _replies_to(running, "E-first-")
    with _statements(running.database) as sent:
        outcomes = await asyncio.gather(
            conversation.handle(_said("U1", "/help", "E-1", clock)),
            *(conversation.record_sent(_mark(reply, clock)) for reply in sent_replies),
            conversation.handle(_said("U2", "/help", "E-2", clock)),
        )
    assert all(ack.accepted for ack in (outcomes[0], outcomes[-1]))
    assert sent.count(TRANSACTION) == 1
    assert sum(statement.startswith("UPDATE deliveries") for statement in sent) == 1  # all marks at once
    marked = await _replies_to(running, "E-first-")
    assert {row.key.split(":")[2] for row in marked} == {f"E-first-{account}" for account in ACCOUNTS}
    assert {(row.status, row.platform_message_id) for row in marked} == {
        ("sent", f"D1:{row.id}") for row in marked
    }


async def test_sent_marks_are_written_when_their_group_falls_back_to_one_by_one(
    conversation: Conversation, running: App, clock: FrozenClock
) -> None:
    await _first_messages(conversation, clock)
    (reply, *_) = await _replies_to(running, "E-first-U1")
    outcomes = await asyncio.gather(
        conversation.handle(_said(FLAKY, "hallo", "E-flaky", clock)),
        conversation.record_sent(_mark(reply, clock)),
        conversation.handle(_said("U2", "/help", "E-2", clock)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], RateLimited)  # the group was rolled back and handled one by one
    assert outcomes[1] is None
    assert isinstance(outcomes[2], InboundAck)
    assert outcomes[2].accepted
    marked = next(row for row in await _replies_to(running, "E-first-U1") if row.id == reply.id)
    assert (marked.status, marked.platform_message_id) == ("sent", f"D1:{reply.id}")


@only_postgresql
async def test_a_group_whose_connection_the_server_dropped_is_handled_again_one_by_one(
    conversation: Conversation,
    running: App,
    clock: FrozenClock,
    migrated_database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A PostgreSQL restart under load: connections in steady use are not pinged (bot/storage/
    db.py), so the group's transaction fails; the pool is renewed and no event is lost."""
    await _first_messages(conversation, clock)
    assert await drop_connections(migrated_database_url) >= 1
    with caplog.at_level(logging.INFO, logger="bot.flows.conversation"):
        acks = await _together(conversation, *(_said(a, "/help", f"E-after-{a}", clock) for a in ACCOUNTS))
    assert "3 events handled one by one" in caplog.text
    assert all(isinstance(ack, InboundAck) and ack.accepted for ack in acks)
    replies = await _replies_to(running, "E-after-")
    assert {row.key.split(":")[2] for row in replies} == {f"E-after-{account}" for account in ACCOUNTS}


async def test_a_caller_that_stops_waiting_still_gets_its_replies_sent(
    running: App, programs: dict[str, Program], clock: FrozenClock, directory: Directory
) -> None:
    """A request its client closed mid-way: the event is handled all the same, and its replies,
    written claimed for the dispatcher, are handed over rather than left until their lease."""
    handed_over: list[Delivery] = []
    handed = asyncio.Event()

    def hand_over(rows: Sequence[Delivery]) -> None:
        handed_over.extend(rows)
        handed.set()

    conversation = Conversation(
        database=running.database,
        programs=programs,
        clock=clock,
        hand_over=hand_over,
        directories={"slack": directory},
    )
    directory.answering.clear()
    caller = asyncio.ensure_future(conversation.handle(_said("U1", "hallo", "E-left", clock)))
    await asyncio.wait_for(directory.asked_once.wait(), timeout=30)  # the group waits for it now
    caller.cancel()
    directory.answering.set()
    await asyncio.wait_for(handed.wait(), timeout=30)  # not a sleep: a failure if never handed over
    assert caller.cancelled()
    assert {row.key.split(":")[2] for row in handed_over} == {"E-left"}
    assert all(row.status == "sending" for row in handed_over)  # claimed, for the dispatcher
