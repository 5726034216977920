"""The one send path: claim due outbox rows, render them, send them through the recipient's
adapter, record the result. Rate limits stay in the adapters; retries, blocked people, held
order and idempotency live here.

`concurrency` senders work side by side, each in a loop: claim the next due row and render it
(one transaction: the row is "sending" and its message made in the recipient's language of
that moment), send it, then mark it sent and run its kind's after-send hook (one transaction).
A loop ends when nothing more is due. Rows of urgent kinds (answers) are claimed before all
others, so an answer never waits behind a nudge to everyone; a person's rows go one at a time
(`outbox.claim_next`), so the parts of an answer arrive in order.

The dispatcher knows no flow: a row's kind names its renderer and after-send hook in the
`DeliveryKinds` the composition root hands it (bot/kinds.py). A row of a kind nobody
registered, or one that can no longer be rendered, is given up ("dead") with the reason in
`last_error` and a log line, visible in `coachbot outbox`; it is never dropped silently.

A process that dies between claim and mark leaves the row "sending"; `requeue_stale` hands it
back after a lease, so every due message is delivered: at least once, and exactly once unless
the crash falls inside the platform call itself.

Why `concurrency` 8: the platform's limits, not the dispatcher, pace the sends (Telegram's
30 messages/s, spaced by the adapter's limiter), and a send waits 50-200 ms for the platform;
a few sends in flight keep the pace at its ceiling (bench/day.py, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.adapters.base import ChatAdapter
from bot.domain.errors import ChatMoved, RateLimited, RecipientBlocked, SendError
from bot.domain.messages import Identity, Outbound, Platform, Reply
from bot.kinds import DeliveryKinds
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Delivery
from bot.storage.models import Identity as IdentityRow
from bot.storage.repository import Session, identities_of, identity_of, move_identity
from scheduler.clock import Clock

log = logging.getLogger(__name__)

SENDING_LEASE = timedelta(minutes=5)
DEFAULT_CONCURRENCY = 8  # sends in flight; see the module docstring


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A claimed row with its message and where it goes."""

    delivery: Delivery
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
        kinds: DeliveryKinds,
        clock: Clock,
        on_sent: Callable[[int], None] = lambda _person_id: None,
        concurrency: int = DEFAULT_CONCURRENCY,
        only_person: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._database = database
        self._adapters = adapters
        self._kinds = kinds
        self._clock = clock
        self._on_sent = on_sent  # after a person's delivery was sent, with their person id
        self._concurrency = concurrency
        self._only_person = only_person  # sends this person's rows only (a console chat's person)
        self._run_lock = asyncio.Lock()
        self._woken: asyncio.Task[None] | None = None
        self._wanted = False

    def wake(self) -> None:
        """Run soon, in the background. A wake while a run is pending or under way makes one
        more run after it (the rows that woke us may have missed its last claim)."""
        self._wanted = True
        if self._woken is None or self._woken.done():
            self._woken = asyncio.get_running_loop().create_task(self._run_while_wanted())

    async def drain(self) -> None:
        """Wait for a woken run to finish (tests, shutdown)."""
        if self._woken is not None:
            await self._woken

    async def run_due(self) -> int:
        """Send everything due now; returns how many messages were sent."""
        async with self._run_lock:
            # Every sender ends before the run does, even when one of them raised: a sender
            # left running would send outside the run lock, unowned.
            results = await asyncio.gather(
                *(self._send_while_due() for _ in range(self._concurrency)), return_exceptions=True
            )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(result for result in results if isinstance(result, int))

    async def requeue_stale(self, *, lease: timedelta = SENDING_LEASE) -> int:
        """Hand rows left "sending" longer than `lease` (by a crashed process) back to the queue."""
        async with self._database.transaction() as session:
            return await outbox.requeue_stale(
                session, now=self._clock.now(), older_than=lease, person_id=self._only_person
            )

    async def _run_while_wanted(self) -> None:
        while self._wanted:
            self._wanted = False
            await self.run_due()

    async def _send_while_due(self) -> int:
        sent = 0
        while (claimed := await self._claim()) is not None:
            if claimed is not _GAVE_UP:
                assert isinstance(claimed, _Claimed)
                sent += await self._send(claimed)
        return sent

    async def _claim(self) -> _Claimed | object | None:
        """The next due row, claimed and rendered; `_GAVE_UP` for a row given up instead."""
        now = self._clock.now()
        async with self._database.transaction() as session:
            delivery = await outbox.claim_next(
                session,
                now=now,
                platforms=list(self._adapters),
                urgent=self._kinds.urgent,
                locking=self._database.dialect == "postgresql",
                person_id=self._only_person,
            )
            if delivery is None:
                return None
            problem, claimed = await self._render(session, delivery)
            if claimed is not None:
                return claimed
            assert delivery.id is not None
            log.warning("delivery %s (%s) given up: %s", delivery.id, delivery.kind, problem)
            await outbox.mark_failed(session, delivery.id, error=problem, retry_at=None)
            return _GAVE_UP

    async def _render(self, session: Session, delivery: Delivery) -> tuple[str, _Claimed | None]:
        """The claimed row's message and recipient, or why there is none."""
        kind = self._kinds.get(delivery.kind)
        if kind is None:
            return f"UnknownKind: {delivery.kind}"[:80], None
        recipient = await self._recipient(session, delivery)
        if recipient is None:
            return "NoRecipient", None
        reply = await kind.render(session, delivery)
        if reply is None:
            return "Unrenderable", None
        return "", _Claimed(delivery, recipient, reply)

    async def _recipient(self, session: Session, delivery: Delivery) -> Identity | None:
        """The chat a row answers (payload "to"), else the person's newest reachable one."""
        to = delivery.payload.get("to")
        if isinstance(to, list) and len(to) == 2 and to[0] in _PLATFORMS:
            return Identity(_PLATFORMS[str(to[0])], str(to[1]))
        if delivery.person_id is None:
            return None
        identity = _reachable(await identities_of(session, delivery.person_id), self._adapters)
        return None if identity is None else Identity(_PLATFORMS[identity.platform], identity.external_id)

    async def _send(self, claimed: _Claimed) -> int:
        delivery, recipient, reply = claimed.delivery, claimed.recipient, claimed.reply
        message = Outbound(
            recipient=recipient,
            text=reply.text,
            delivery_key=delivery.key,
            choices=reply.choices,
            images=reply.images,
            replaces=reply.replaces,
        )
        try:
            receipt = await self._adapters[recipient.platform].send(message)
        except SendError as error:
            await self._failed(delivery, recipient, error)
            return 0
        await self._sent(delivery, recipient, receipt.platform_message_id)
        return 1

    async def _sent(self, delivery: Delivery, recipient: Identity, message_id: str) -> None:
        now = self._clock.now()
        kind = self._kinds.get(delivery.kind)
        async with self._database.transaction() as session:
            await outbox.mark_sent(
                session, delivery, platform=recipient.platform, platform_message_id=message_id, sent_at=now
            )
            if kind is not None:
                await kind.after_send(session, delivery, now)
        if delivery.person_id is not None and kind is not None and kind.changes_state:
            self._on_sent(delivery.person_id)  # their progress and what comes next moved

    async def _failed(self, delivery: Delivery, recipient: Identity, error: SendError) -> None:
        """Record a failed send: due again later (its person's later rows held behind it), or
        given up."""
        assert delivery.id is not None
        now = self._clock.now()
        code = type(error).__name__
        log.warning("delivery %s to %s failed: %s", delivery.id, recipient.platform, code)
        async with self._database.transaction() as session:
            retry_at = await self._record_failure(session, delivery, recipient, error, now=now)
            if retry_at is not None and delivery.person_id is not None:
                await outbox.hold_behind(
                    session, person_id=delivery.person_id, delivery_id=delivery.id, due_at=retry_at
                )

    async def _record_failure(
        self, session: Session, delivery: Delivery, recipient: Identity, error: SendError, *, now: datetime
    ) -> datetime | None:
        """What a failed send changes; when the row is due again (None: given up)."""
        assert delivery.id is not None
        if isinstance(error, ChatMoved):
            # Nothing reached the old id: point the identity (and an answer) at the new one
            # and send again at once.
            await move_identity(session, recipient, error.moved_to)
            if "to" in delivery.payload:
                moved = error.moved_to
                await outbox.redirect_reply(session, delivery.id, to=(moved.platform, moved.external_id))
            await outbox.release(session, delivery.id, due_at=now)
            return now
        if isinstance(error, RateLimited):
            retry_at = now + timedelta(seconds=error.retry_after or 1)
            await outbox.release(session, delivery.id, due_at=retry_at)
            return retry_at
        if isinstance(error, RecipientBlocked) and "to" not in delivery.payload:
            await _block(session, recipient, now)  # their rows wait until they come back
            await outbox.release(session, delivery.id, due_at=now)
            return None
        if not error.retryable or delivery.attempts >= outbox.MAX_ATTEMPTS:  # e.g. PossiblySent
            await outbox.mark_failed(session, delivery.id, error=type(error).__name__, retry_at=None)
            return None
        retry_at = now + outbox.backoff(delivery.attempts)
        await outbox.mark_failed(session, delivery.id, error=type(error).__name__, retry_at=retry_at)
        return retry_at


_GAVE_UP = object()  # `_claim`'s answer for a row it gave up: look for the next one


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


_PLATFORMS: dict[str, Platform] = {
    "console": "console",
    "telegram": "telegram",
    "slack": "slack",
    "email": "email",
}
