"""The one send path: claim due outbox rows, render them, send them through the recipient's
adapter, record the result. Rate limits, retries, blocked people and idempotency live here.

A row is claimed (status "sending") before it is sent and marked "sent" after; a process that
dies in between leaves it "sending", and `requeue_stale` hands it back after a lease, so every
due message is delivered (at least once; exactly once unless the crash falls inside the send).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.adapters.base import ChatAdapter
from bot.domain.errors import ChatMoved, RateLimited, RecipientBlocked, SendError
from bot.domain.messages import Identity, Outbound, Platform
from bot.flows.delivering import on_delivered, render_delivery, reply_from_payload
from bot.flows.learners import load_learner
from bot.flows.membership import move_identity
from bot.flows.turn import Reply
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery
from bot.storage.models import Identity as IdentityRow
from bot.storage.repository import Session, identities_of, identity_of
from content.model import Program
from scheduler.clock import Clock

log = logging.getLogger(__name__)

SENDING_LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _Prepared:
    recipient: Identity
    reply: Reply


class Dispatcher:
    """Sends what is due. `run_due` is what the scheduler and the console call; `wake` asks for
    a run as soon as possible (a flow just wrote replies)."""

    def __init__(
        self,
        *,
        database: Database,
        adapters: Mapping[Platform, ChatAdapter],
        programs: Mapping[str, Program],
        clock: Clock,
        batch_size: int = 50,
        on_sent: Callable[[int], None] = lambda _person_id: None,
    ) -> None:
        self._database = database
        self._on_sent = on_sent  # after a learner's delivery was sent, with their person id
        self._adapters = adapters
        self._programs = programs
        self._clock = clock
        self._batch_size = batch_size
        self._run_lock = asyncio.Lock()
        self._woken: asyncio.Task[int] | None = None

    def wake(self) -> None:
        """Run soon, in the background; several wakes while a run is pending make one run."""
        if self._woken is None or self._woken.done():
            self._woken = asyncio.get_running_loop().create_task(self.run_due())

    async def drain(self) -> None:
        """Wait for a woken run to finish (tests, shutdown)."""
        if self._woken is not None:
            await self._woken

    async def run_due(self) -> int:
        """Send everything due now; returns how many messages were sent."""
        async with self._run_lock:
            sent = 0
            while batch := await outbox.claim_due(
                self._database, now=self._clock.now(), limit=self._batch_size, platforms=list(self._adapters)
            ):
                for delivery in batch:
                    sent += await self._deliver(delivery)
            return sent

    async def requeue_stale(self, *, lease: timedelta = SENDING_LEASE) -> int:
        """Hand rows left "sending" longer than `lease` (by a crashed process) back to the queue."""
        async with self._database.transaction() as session:
            return await outbox.requeue_stale(session, now=self._clock.now(), older_than=lease)

    async def _deliver(self, delivery: Delivery) -> int:
        assert delivery.id is not None
        prepared = await self._prepare(delivery)
        if prepared is None:
            await self._give_up(delivery, "unrenderable")
            return 0
        message = Outbound(
            recipient=prepared.recipient,
            text=prepared.reply.text,
            delivery_key=delivery.key,
            choices=prepared.reply.choices,
            images=prepared.reply.images,
        )
        try:
            receipt = await self._adapters[prepared.recipient.platform].send(message)
        except SendError as error:
            await self._failed(delivery, prepared.recipient, error)
            return 0
        await self._sent(delivery, prepared.recipient, receipt.platform_message_id)
        return 1

    async def _prepare(self, delivery: Delivery) -> _Prepared | None:
        async with self._database.transaction() as session:
            if delivery.kind == "reply":
                platform, external_id = delivery.payload["to"]
                return _Prepared(
                    Identity(_platform(platform), external_id), reply_from_payload(delivery.payload)
                )
            if delivery.enrolment_id is None or delivery.person_id is None:
                return None
            learner = await load_learner(session, delivery.enrolment_id, self._programs)
            identity = _reachable(await identities_of(session, delivery.person_id), self._adapters)
            if learner is None or identity is None:
                return None
            reply = await render_delivery(session, learner, delivery)
            return _Prepared(Identity(_platform(identity.platform), identity.external_id), reply)

    async def _sent(self, delivery: Delivery, recipient: Identity, message_id: str) -> None:
        assert delivery.id is not None
        now = self._clock.now()
        async with self._database.transaction() as session:
            await outbox.mark_sent(
                session, delivery.id, platform=recipient.platform, platform_message_id=message_id, sent_at=now
            )
            if delivery.kind == "reply" and delivery.person_id is None:
                await outbox.forget_payload(session, delivery.id)  # a stranger: keep nothing about them
            if delivery.enrolment_id is not None and delivery.kind != "reply":
                learner = await load_learner(session, delivery.enrolment_id, self._programs)
                if learner is not None:
                    await on_delivered(session, learner, delivery, now=now)
        if delivery.person_id is not None and delivery.kind != "reply":
            self._on_sent(delivery.person_id)  # their progress and what comes next moved

    async def _failed(self, delivery: Delivery, recipient: Identity, error: SendError) -> None:
        assert delivery.id is not None
        now = self._clock.now()
        code = type(error).__name__
        log.warning("delivery %s to %s failed: %s", delivery.id, recipient.platform, code)
        async with self._database.transaction() as session:
            if isinstance(error, ChatMoved):
                # Nothing reached the old id: point the identity (and a reply) at the new one
                # and send again at once.
                await move_identity(session, recipient, error.moved_to)
                if delivery.kind == "reply":
                    moved = error.moved_to
                    await outbox.redirect_reply(session, delivery.id, to=(moved.platform, moved.external_id))
                await outbox.release(session, delivery.id, due_at=now)
            elif isinstance(error, RateLimited):
                wait = timedelta(seconds=error.retry_after or 1)
                await outbox.release(session, delivery.id, due_at=now + wait)
            elif isinstance(error, RecipientBlocked) and delivery.kind != "reply":
                await _block(session, recipient, now)
                await outbox.release(session, delivery.id, due_at=now)
            elif not error.retryable or delivery.attempts >= outbox.MAX_ATTEMPTS:  # e.g. PossiblySent
                await outbox.mark_failed(session, delivery.id, error=code, retry_at=None)
            else:
                retry_at = now + outbox.backoff(delivery.attempts)
                await outbox.mark_failed(session, delivery.id, error=code, retry_at=retry_at)

    async def _give_up(self, delivery: Delivery, reason: str) -> None:
        assert delivery.id is not None
        log.warning("delivery %s given up: %s", delivery.id, reason)
        async with self._database.transaction() as session:
            await outbox.mark_failed(session, delivery.id, error=reason, retry_at=None)


def _reachable(
    identities: Sequence[IdentityRow], adapters: Mapping[Platform, ChatAdapter]
) -> IdentityRow | None:
    """The newest unblocked identity on a platform this process sends to."""
    for identity in identities:
        if identity.platform in adapters and identity.blocked_at is None:
            return identity
    return None


async def _block(session: Session, recipient: Identity, now: datetime) -> None:
    """Remember that this person blocked us here; their rows wait until they come back."""
    found = await identity_of(session, platform=recipient.platform, external_id=recipient.external_id)
    if found is not None:
        found.blocked_at = now
        session.add(found)


_PLATFORMS: dict[str, Platform] = {"console": "console", "telegram": "telegram", "slack": "slack"}


def _platform(name: str) -> Platform:
    return _PLATFORMS[name]
