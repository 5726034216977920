"""The one send path: claim due outbox rows, render them, send them through the recipient's
adapter, record the result. Rate limits, retries, blocked people and idempotency live here.

A row is claimed (status "sending") before it is sent and marked "sent" after; a process that
dies in between leaves it "sending", and `requeue_stale` hands it back after a lease, so every
due message is delivered (at least once; exactly once unless the crash falls inside the send).

Sends run concurrently, one recipient at a time. A run claims due rows in batches and puts each
in its recipient's *lane*: a first-in-first-out queue worked by one task, so a recipient's rows
go out one after the other in claim order (due time, replies first, id): the parts of a long
answer arrive in order, a welcome before the kick-off it announces. Lanes of different
recipients run side by side, at most `concurrency` sends at once. The run keeps claiming while
sends are in flight, whenever fewer than a batch of rows is waiting or fewer recipients than
`concurrency` have work (so one busy recipient cannot idle the rest), up to
`concurrency + 2 * batch_size` rows held; after a claim that took all that was due (less than a
batch), the next one waits for a send to finish, so replies that arrive one by one are claimed
a few at a time rather than one claim each (a claim is the dearest transaction). Sending never
stalls while a claim runs (a claim among thousands of due rows takes tens of milliseconds), and
a claimed row waits seconds, not the minutes of its lease. When a claim finds nothing, the run
lets its lanes finish (or, while they stay busy, `concurrency` sends) and claims once more (a
send can make a row due at once: a moved chat), and stops when it was idle and that finds
nothing either.

Replies need no claim: the conversation writes a turn's replies already claimed, in the
transaction of the turn, and hands them over after the commit (`hand_over`); they join the
lanes of the run under way, or start one. A claim costs a transaction, and was a third of an
inbound message's database time. While handed-over replies keep the lanes busy, a run that found
nothing due claims again after every `concurrency` sends rather than waiting for all lanes to
go idle, so a nudge that falls due in a busy hour waits for a few sends, not for a quiet moment.
A sent reply's mark needs nothing else either: marks that come together are written in one
statement. On PostgreSQL that statement runs alone, with no transaction around it (one round
trip, beside the events being handled); on SQLite, whose writers take turns, the app has the
conversation write the marks in the transaction of the events it is handling
(`record_reply_sent`), so under load they cost no transaction of their own.

A row that must be tried again later (rate limit, retryable error, moved chat, block) holds its
recipient for the rest of the run: their later rows go back to the queue just behind it,
untried, so a retry never lets a later message overtake an earlier one.

The platform's limits are the adapter's business (Telegram's `SendLimiter` spaces every send of
the process); `concurrency` only has to hide the latency of each send. At 30 messages/s with
50-200 ms per Bot API call plus a few database transactions per row, 6-10 sends must be in
flight; 16 leaves room for slow calls, and stays near the number of database sessions
SQLAlchemy's default pool holds (5 + 10 overflow) on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.adapters.base import ChatAdapter
from bot.domain.errors import ChatMoved, RateLimited, RecipientBlocked, SendError
from bot.domain.messages import Identity, Outbound, Platform
from bot.flows.batching import Batcher
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
DEFAULT_CONCURRENCY = 16  # sends in flight; see the module docstring
_JUST_AFTER = timedelta(microseconds=1)  # a held-back row's place behind the one it waits for


@dataclass(frozen=True, slots=True)
class _Prepared:
    recipient: Identity
    reply: Reply


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What became of one claimed row: sent, or due again at `retry_at`, or neither (dead)."""

    sent: bool = False
    retry_at: datetime | None = None


_SENT = _Outcome(sent=True)
_GIVEN_UP = _Outcome()


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
        concurrency: int = DEFAULT_CONCURRENCY,
        record_reply_sent: Callable[[outbox.SentMark], Awaitable[None]] | None = None,
    ) -> None:
        if batch_size < 1 or concurrency < 1:
            raise ValueError("batch_size and concurrency must be at least 1")
        self._database = database
        self._on_sent = on_sent  # after a learner's delivery was sent, with their person id
        self._adapters = adapters
        self._programs = programs
        self._clock = clock
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._run_lock = asyncio.Lock()
        self._woken: asyncio.Task[None] | None = None
        self._wanted = False
        self._run: _Run | None = None  # the run under way
        self._handed: list[Delivery] = []  # claimed rows handed over while no run was under way
        # Replies sent at about the same time are marked sent together: by one statement of
        # their own (PostgreSQL), or, where writers take turns (SQLite), the app has the
        # conversation write them with the events it handles meanwhile (`record_reply_sent`).
        self._record_reply_sent = record_reply_sent or Batcher(self._mark_replies_sent, max_size=100).submit

    def wake(self) -> None:
        """Run soon, in the background. Wakes while a woken run is pending or under way make
        one more run after it (the rows that woke us may have missed its last claim)."""
        self._wanted = True
        if self._woken is None or self._woken.done():
            self._woken = asyncio.get_running_loop().create_task(self._run_while_wanted())

    def hand_over(self, rows: Sequence[Delivery]) -> None:
        """Send rows their writer claimed in its transaction (a turn's replies), without a
        claim: into the lanes of the run under way, else of a run started for them."""
        if self._run is not None:
            self._run.take(rows)
            return
        self._handed.extend(rows)
        self.wake()

    async def drain(self) -> None:
        """Wait for a woken run to finish (tests, shutdown)."""
        if self._woken is not None:
            await self._woken

    async def run_due(self) -> int:
        """Send everything due now; returns how many messages were sent."""
        async with self._run_lock:
            run = _Run(
                claim=self._claim,
                deliver=self._deliver,
                hold_back=self._hold_back,
                concurrency=self._concurrency,
                batch_size=self._batch_size,
            )
            handed, self._handed = self._handed, []
            run.take(handed)
            self._run = run
            try:
                return await run.until_done()
            finally:
                self._run = None

    async def requeue_stale(self, *, lease: timedelta = SENDING_LEASE) -> int:
        """Hand rows left "sending" longer than `lease` (by a crashed process) back to the queue."""
        async with self._database.transaction() as session:
            return await outbox.requeue_stale(session, now=self._clock.now(), older_than=lease)

    async def _run_while_wanted(self) -> None:
        while self._wanted:
            self._wanted = False
            await self.run_due()

    async def _claim(self, limit: int) -> list[Delivery]:
        now = self._clock.now()
        return await outbox.claim_due(self._database, now=now, limit=limit, platforms=list(self._adapters))

    async def _deliver(self, delivery: Delivery) -> _Outcome:
        assert delivery.id is not None
        prepared = await self._prepare(delivery)
        if prepared is None:
            await self._give_up(delivery, "unrenderable")
            return _GIVEN_UP
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
            return _Outcome(retry_at=await self._failed(delivery, prepared.recipient, error))
        await self._sent(delivery, prepared.recipient, receipt.platform_message_id)
        return _SENT

    async def _hold_back(self, delivery: Delivery, behind: datetime) -> datetime:
        """Put a claimed row back, untried, due just after `behind` (an earlier row of its
        recipient that is due again then); returns its new due time."""
        assert delivery.id is not None
        due_at = max(delivery.due_at, behind + _JUST_AFTER)
        async with self._database.transaction() as session:
            await outbox.release(session, delivery.id, due_at=due_at)
        return due_at

    async def _prepare(self, delivery: Delivery) -> _Prepared | None:
        if delivery.kind == "reply":  # all it needs is in the row: no transaction
            platform, external_id = delivery.payload["to"]
            return _Prepared(Identity(_platform(platform), external_id), reply_from_payload(delivery.payload))
        async with self._database.transaction() as session:
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
        if delivery.kind == "reply":  # nothing follows from a reply: only the mark
            stranger = delivery.person_id is None  # keep nothing about them
            mark = outbox.SentMark(delivery.id, recipient.platform, message_id, now, forget_payload=stranger)
            await self._record_reply_sent(mark)
            return
        async with self._database.transaction() as session:
            await outbox.mark_sent(
                session, delivery.id, platform=recipient.platform, platform_message_id=message_id, sent_at=now
            )
            if delivery.enrolment_id is not None:
                learner = await load_learner(session, delivery.enrolment_id, self._programs)
                if learner is not None:
                    await on_delivered(session, learner, delivery, now=now)
        if delivery.person_id is not None:
            self._on_sent(delivery.person_id)  # their progress and what comes next moved

    async def _mark_replies_sent(self, marks: Sequence[outbox.SentMark]) -> list[None]:
        # Marks of different rows need no transaction around them: on PostgreSQL one statement
        # run for them all (one per shape, see mark_all_sent), a single round trip each.
        async with self._database.autocommit() as session:
            await outbox.mark_all_sent(session, marks)
        return [None] * len(marks)

    async def _failed(self, delivery: Delivery, recipient: Identity, error: SendError) -> datetime | None:
        """Record a failed send; returns when the row is due again (None: given up)."""
        assert delivery.id is not None
        now = self._clock.now()
        code = type(error).__name__
        log.warning("delivery %s to %s failed: %s", delivery.id, recipient.platform, code)
        retry_at: datetime | None = now
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
                retry_at = now + timedelta(seconds=error.retry_after or 1)
                await outbox.release(session, delivery.id, due_at=retry_at)
            elif isinstance(error, RecipientBlocked) and delivery.kind != "reply":
                await _block(session, recipient, now)
                await outbox.release(session, delivery.id, due_at=now)
            elif not error.retryable or delivery.attempts >= outbox.MAX_ATTEMPTS:  # e.g. PossiblySent
                retry_at = None
                await outbox.mark_failed(session, delivery.id, error=code, retry_at=None)
            else:
                retry_at = now + outbox.backoff(delivery.attempts)
                await outbox.mark_failed(session, delivery.id, error=code, retry_at=retry_at)
        return retry_at

    async def _give_up(self, delivery: Delivery, reason: str) -> None:
        assert delivery.id is not None
        log.warning("delivery %s given up: %s", delivery.id, reason)
        async with self._database.transaction() as session:
            await outbox.mark_failed(session, delivery.id, error=reason, retry_at=None)


_Recipient = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Hold:
    """A recipient's row `row_id` is due again later: their other rows queue up behind it,
    the last of them due at `last_due`."""

    row_id: int
    last_due: datetime


class _Run:
    """One `run_due`: claims rows, sends them in per-recipient lanes, counts what was sent."""

    def __init__(
        self,
        *,
        claim: Callable[[int], Awaitable[list[Delivery]]],
        deliver: Callable[[Delivery], Awaitable[_Outcome]],
        hold_back: Callable[[Delivery, datetime], Awaitable[datetime]],
        concurrency: int,
        batch_size: int,
    ) -> None:
        self._claim = claim
        self._deliver = deliver
        self._hold_back = hold_back
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[_Recipient, deque[Delivery]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._holds: dict[_Recipient, _Hold] = {}  # recipients waiting for a row's retry
        self._held = 0  # rows claimed and not finished
        self._finished = 0  # rows finished (sent, or due again, or given up)
        self._progress = asyncio.Event()
        self._error: Exception | None = None
        self.sent = 0

    def take(self, rows: Sequence[Delivery]) -> None:
        """Send rows claimed elsewhere (handed over), in their recipients' lanes."""
        for delivery in rows:
            self._add(delivery)

    async def until_done(self) -> int:
        """Claim and send until nothing is due; re-raise the first unexpected error at the end."""
        try:
            await self._claim_while_due()
        except asyncio.CancelledError:
            await self._stop_lanes()
            raise
        except Exception:
            await self._lanes_finished()  # a failed claim: the sends under way still complete
            raise
        await self._lanes_finished()
        if self._error is not None:
            raise self._error
        return self.sent

    async def _claim_while_due(self) -> None:
        while self._error is None:
            if not self._has_room():
                self._progress.clear()
                await self._progress.wait()
                continue
            idle = not self._lanes
            batch = await self._claim(self._batch_size)
            for delivery in batch:
                self._add(delivery)
            if len(batch) == self._batch_size:
                continue  # more may be due right now
            if idle and not batch:
                return
            if not batch:
                # Claim once more when the lanes are done (a send can make a row due: a moved
                # chat), or after `concurrency` sends while handed-over replies keep them busy,
                # so rows that fall due meanwhile wait for a few sends, not for a quiet moment.
                await self._lanes_finished_or_sent(self._concurrency)
                continue
            # Claimed all that was due: claim again once a send finished, so the replies
            # written meanwhile are claimed together rather than one claim each.
            self._progress.clear()
            await self._progress.wait()

    def _has_room(self) -> bool:
        if self._held >= self._concurrency + 2 * self._batch_size:
            return False
        return self._held < self._batch_size or len(self._lanes) < self._concurrency

    def _add(self, delivery: Delivery) -> None:
        self._held += 1
        recipient = _recipient_of(delivery)
        lane = self._lanes.get(recipient)
        if lane is not None:
            lane.append(delivery)
            return
        lane = self._lanes[recipient] = deque([delivery])
        worker = asyncio.get_running_loop().create_task(self._work(recipient, lane))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _work(self, recipient: _Recipient, lane: deque[Delivery]) -> None:
        """Send a recipient's rows one after the other; the lane closes when it runs empty
        (the check and the close happen without a pause, so no row is added in between)."""
        try:
            while lane:
                async with self._slots:
                    await self._send(recipient, lane[0])
                lane.popleft()
                self._held -= 1
                self._finished += 1
                self._progress.set()
        except Exception as error:
            # A bug or a lost database: this row and the lane's rest stay "sending" until the
            # lease returns them (sending them now could overtake this one); other lanes finish.
            log.exception("delivery %s: unexpected error", lane[0].id)
            self._error = self._error or error
        finally:
            self._held -= len(lane)
            del self._lanes[recipient]
            self._progress.set()

    async def _send(self, recipient: _Recipient, delivery: Delivery) -> None:
        hold = self._holds.pop(recipient, None)
        if hold is not None and hold.row_id != delivery.id:
            last = await self._hold_back(delivery, hold.last_due)
            self._holds[recipient] = _Hold(hold.row_id, last)
            return
        outcome = await self._deliver(delivery)  # no hold, or the row the hold waited for
        if outcome.sent:
            self.sent += 1
        elif outcome.retry_at is not None:
            assert delivery.id is not None
            self._holds[recipient] = _Hold(delivery.id, outcome.retry_at)

    async def _lanes_finished_or_sent(self, count: int) -> None:
        until = self._finished + count
        while self._lanes and self._finished < until:  # a lane is gone before its task ends
            self._progress.clear()
            await self._progress.wait()

    async def _lanes_finished(self) -> None:
        try:
            while self._workers:
                await asyncio.wait(set(self._workers))
        except asyncio.CancelledError:
            await self._stop_lanes()
            raise

    async def _stop_lanes(self) -> None:
        """Cancel every lane: rows in flight stay "sending" until the lease returns them."""
        workers = set(self._workers)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def _recipient_of(delivery: Delivery) -> _Recipient:
    """Whose lane a row joins: the person's (any of their chats), else the chat a reply answers."""
    if delivery.person_id is not None:
        return ("person", str(delivery.person_id))
    to = delivery.payload.get("to")
    if isinstance(to, list) and len(to) == 2:
        return (str(to[0]), str(to[1]))
    return ("delivery", str(delivery.id))  # nobody to order against: unrenderable, given up


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
