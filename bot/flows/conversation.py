"""The core's inbound entry point: an explicit chain of rules per event, in a transaction.

    dedupe -> identify -> learner -> paused -> handle

Each rule may answer and stop the chain. The replies are written to the outbox in the same
transaction as the event's effects, so a crash never loses or doubles one. Events that arrive
while others are being handled share one transaction (a group commit, `_handle_group`): its
fixed cost and the senders' lookups are paid once per group; an event that fails is handled
again alone, so its failure stays its own. On SQLite, the dispatcher's marks of sent replies
join the group too (`record_sent`), rather than each batch of them waiting for a transaction of
its own (on PostgreSQL the dispatcher writes them beside the group: bot/app.py).
With a `hand_over` (the app's dispatcher) the replies are written already claimed and handed to
it after the commit, which sends them at once without a claim transaction; otherwise the
dispatcher is woken to claim them. Either way replies stay instant.

On a platform with an e-mail directory (Slack) an unknown account is identified by the address
the platform holds for it: the chain stops, the transaction is rolled back, the directory is
asked outside any transaction (a platform call must not hold SQLite's write lock), and the event
is handled again with the answer. Only an account's first message pays for this.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.directory import EmailDirectory
from bot.domain.messages import Identity, Inbound, InboundAck, MembershipChange, Platform
from bot.flows import answers, choices, membership, menu, onboarding, progress
from bot.flows.batching import Batcher
from bot.flows.delivering import payload_of
from bot.flows.learners import load_learner
from bot.flows.planning import replan
from bot.flows.turn import Learner, Turn
from bot.i18n import CATALOGUES, translate
from bot.storage import events, outbox
from bot.storage.db import Database
from bot.storage.models import Delivery, Person
from bot.storage.repository import (
    Senders,
    Session,
    current_enrolment,
    current_enrolment_and_cohort,
    identities_of,
    identity_and_person,
    identity_of,
)
from content.model import LANGUAGES, Program
from scheduler.clock import Clock

log = logging.getLogger(__name__)

# Commands a paused learner may still use.
WHILE_PAUSED = frozenset({"resume", "help", "language", "journal", "progress", "start"})
# Commands that change what a learner's home view shows (the others only answer).
CHANGES_HOME = frozenset({"start", "pause", "resume", "language"})
# Events handled in one transaction at most: a Telegram getUpdates answer holds up to 100.
GROUP_SIZE = 100


@dataclass(frozen=True, slots=True)
class _Lookup:
    """What the platform's directory said about an unknown account: its address, if any."""

    email: str | None


@dataclass(slots=True)
class _Event:
    inbound: Inbound
    turn: Turn
    senders: Senders  # what the group's one query found about the senders
    lookup: _Lookup | None = None
    person: Person | None = None
    learner: Learner | None = None
    changed: bool = False  # the learner's state changed: their home view is out of date


class _EmailNeeded(Exception):
    """An unknown account on an e-mail platform: leave the transaction and ask its directory."""


@dataclass(frozen=True, slots=True)
class _Turned:
    """One event's effects done, in a transaction not yet committed; its replies not yet written."""

    ack: InboundAck
    rows: Sequence[outbox.NewRow] = ()
    changed_person: int | None = None


@dataclass(frozen=True, slots=True)
class _Handled:
    """One event's outcome, for what happens after its transaction commits."""

    ack: InboundAck
    claimed: Sequence[Delivery] = ()  # replies written claimed, for the dispatcher
    replied: bool = False  # replies were written (claimed or not)
    changed_person: int | None = None  # a learner whose home view is out of date


class Conversation:
    """Handles inbound events for every platform."""

    def __init__(
        self,
        *,
        database: Database,
        programs: Mapping[str, Program],
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        hand_over: Callable[[Sequence[Delivery]], None] | None = None,
        on_change: Callable[[int], None] = lambda _person_id: None,
        directories: Mapping[Platform, EmailDirectory] | None = None,
    ) -> None:
        self._database = database
        self._programs = programs
        self._clock = clock
        self._wake = wake
        self._hand_over = hand_over  # sends rows claimed for it; None: replies wait for a claim
        self._on_change = on_change  # after the commit, with the person id of a changed learner
        self._directories = dict(directories or {})
        self._group: Batcher[Inbound | outbox.SentMark, _Handled | None] = Batcher(
            self._handle_group, max_size=GROUP_SIZE, abandoned=self._after_abandoned
        )

    async def handle(self, inbound: Inbound) -> InboundAck:
        """Handle one event. Events that arrive while others are being handled are handled
        together, in one transaction (`_handle_group`). A directory's failure (e.g.
        `RateLimited`) is raised, not answered, so the platform delivers the event again rather
        than a learner being called a stranger."""
        outcome = await self._group.submit(inbound)
        assert outcome is not None  # an event's outcome; only a mark has none
        # Here, not in the group's task: the caller's own flow goes on right after, as when it
        # committed the event itself (a console run sends the replies it just handed over).
        return self._after_commit(outcome)

    async def welcome(self, identity: Identity, person_id: int) -> bool:
        """Link an account found by e-mail to a roster learner who has not started, and start
        their journey as a first message would: the welcome, then the kick-off. The learner did
        not open this conversation, so both wait for the programme's send window (a sweep runs
        at any hour); a first message is answered at once.

        False, changing nothing, when the account or the person is already linked on this
        platform, or the person is not an enrolled learner who has yet to start."""
        now = self._clock.now()
        async with self._database.transaction() as session:
            learner = await self._unstarted_learner(session, identity, person_id)
            if learner is None:
                return False
            greet_at = learner.next_sendable(now)
            turn = Turn(session=session, now=now, language=learner.language)
            onboarding.link(turn, learner.person, identity)
            await onboarding.start(turn, learner, active_from=greet_at)
            key = onboarding.greeting_key(identity.platform, learner.enrolment_id)
            rows = _reply_rows(turn, key=key, to=identity, person=learner.person, learner=learner)
            await outbox.enqueue_all(session, rows, now=now, due_at=greet_at)
        self._wake()
        self._on_change(person_id)  # their home now shows the started journey
        return True

    async def record_sent(self, mark: outbox.SentMark) -> None:
        """Mark a sent reply as sent (the dispatcher's `record_reply_sent`), in one transaction
        with the events being handled meanwhile: under load, marks otherwise took as many
        transactions of their own as the events did."""
        await self._group.submit(mark)

    async def _handle_group(
        self, items: Sequence[Inbound | outbox.SentMark]
    ) -> Sequence[_Handled | Exception | None]:
        """Events that arrived together, in order, and the sent marks that came with them, in
        one transaction: its fixed cost and the senders' lookups are paid once for all. If any
        event fails, or an unknown account needs its platform's directory, that transaction is
        rolled back: the marks are written on their own and each event is handled alone, so an
        event's failure stays its own."""
        inbounds = [item for item in items if isinstance(item, Inbound)]
        marks = [item for item in items if isinstance(item, outbox.SentMark)]
        outcomes: Sequence[_Handled | Exception] | None = None
        if len(items) > 1:
            try:
                outcomes = await self._in_one_transaction(inbounds, marks=marks)
            except Exception as error:
                log.info("%d events handled one by one (%s)", len(inbounds), type(error).__name__)
        marked: Exception | None = None
        if outcomes is None:
            marked = await self._marks_alone(marks)
            outcomes = [await self._alone(inbound) for inbound in inbounds]
        handled = iter(outcomes)
        return [marked if isinstance(item, outbox.SentMark) else next(handled) for item in items]

    async def _marks_alone(self, marks: Sequence[outbox.SentMark]) -> Exception | None:
        """The marks in a transaction of their own; its error is returned, for their callers."""
        if not marks:
            return None
        try:
            async with self._database.transaction() as session:
                await outbox.mark_all_sent(session, marks)
        except Exception as error:
            return error
        return None

    async def _in_one_transaction(
        self,
        inbounds: Sequence[Inbound],
        *,
        marks: Sequence[outbox.SentMark] = (),
        lookup: _Lookup | None = None,
    ) -> list[_Handled]:
        """The events' effects and replies, and the marks, in one transaction (`lookup`: what
        the directory said about the sender of a lone event)."""
        now = self._clock.now()
        accounts = {(inbound.identity.platform, inbound.identity.external_id) for inbound in inbounds}
        keys = [(inbound.identity.platform, inbound.event_id) for inbound in inbounds]
        async with self._database.transaction() as session:
            senders = await Senders.load(session, accounts)
            fresh = await events.record_events(session, keys, now=now)
            turns = [
                await self._turn(session, inbound, now=now, fresh=fresh, senders=senders, lookup=lookup)
                for inbound in inbounds
            ]
            await outbox.mark_all_sent(session, marks)
            return await self._write_replies(session, turns, now=now)

    async def _alone(self, inbound: Inbound) -> _Handled | Exception:
        """One event in its own transaction; its error is returned, for its caller to raise."""
        try:
            try:
                return await self._handle(inbound, lookup=None)
            except _EmailNeeded:
                directory = self._directories[inbound.identity.platform]
                email = await directory.email_of(inbound.identity.external_id)
                return await self._handle(inbound, lookup=_Lookup(email))
        except Exception as error:
            return error

    async def _handle(self, inbound: Inbound, *, lookup: _Lookup | None) -> _Handled:
        (handled,) = await self._in_one_transaction([inbound], lookup=lookup)
        return handled

    async def _turn(
        self,
        session: Session,
        inbound: Inbound,
        *,
        now: datetime,
        fresh: set[tuple[str, str]],
        senders: Senders,
        lookup: _Lookup | None = None,
    ) -> _Turned:
        """One event's effects, in the caller's transaction, and the reply rows to write. The
        event was recorded (deduped) already: it goes on if it is in `fresh`, which it leaves,
        so the same event twice in a group has one effect."""
        platform = inbound.identity.platform
        if (platform, inbound.event_id) not in fresh:
            log.info("duplicate event %s:%s ignored", platform, inbound.event_id)
            return _Turned(InboundAck(accepted=False))
        fresh.discard((platform, inbound.event_id))
        turn = Turn(session=session, now=now, language="nl")
        event = _Event(inbound, turn, senders, lookup=lookup)
        await self._chain(event)
        key = f"reply:{platform}:{inbound.event_id}"
        rows = _reply_rows(turn, key=key, to=inbound.identity, person=event.person, learner=event.learner)
        changed = event.person.id if event.changed and event.person is not None else None
        ack = InboundAck(accepted=turn.accepted, notice=turn.notice, chosen_label=turn.chosen_label)
        return _Turned(ack, rows=rows, changed_person=changed)

    async def _write_replies(
        self, session: Session, turns: Sequence[_Turned], *, now: datetime
    ) -> list[_Handled]:
        """The turns' reply rows, in one statement: claimed, for the dispatcher to be handed
        after the commit, or (without a dispatcher to hand them to) planned."""
        rows = [row for turn in turns for row in turn.rows]
        if self._hand_over is None:
            await outbox.enqueue_all(session, rows, now=now)
            written: dict[str, Delivery] = {}
        else:
            written = await outbox.enqueue_all_claimed(session, rows, now=now)
        return [
            _Handled(
                turn.ack,
                claimed=[written[row.key] for row in turn.rows if row.key in written],
                replied=bool(turn.rows),
                changed_person=turn.changed_person,
            )
            for turn in turns
        ]

    def _after_abandoned(self, outcome: _Handled | None) -> None:
        """An event handled for a caller that stopped waiting (a request its client closed):
        its replies are sent all the same, not left claimed until their lease runs out."""
        if outcome is not None:
            self._after_commit(outcome)

    def _after_commit(self, outcome: _Handled) -> InboundAck:
        """Send the replies (hand them over, or wake the dispatcher) and report a changed home."""
        if outcome.claimed and self._hand_over is not None:
            self._hand_over(outcome.claimed)
        elif outcome.replied:
            self._wake()
        if outcome.changed_person is not None:
            self._on_change(outcome.changed_person)
        return outcome.ack

    async def _unstarted_learner(
        self, session: Session, identity: Identity, person_id: int
    ) -> Learner | None:
        taken = await identity_of(session, platform=identity.platform, external_id=identity.external_id)
        linked = any(known.platform == identity.platform for known in await identities_of(session, person_id))
        enrolment = await current_enrolment(session, person_id)
        if taken or linked or enrolment is None or enrolment.id is None or enrolment.started_at:
            return None
        return await load_learner(session, enrolment.id, self._programs)

    async def on_membership(self, change: MembershipChange) -> None:
        """A person blocked or unblocked the bot, or a chat moved: update the identity, once."""
        async with self._database.transaction() as session:
            applied = await membership.apply_change(session, change, now=self._clock.now())
        if applied and change.kind != "blocked":
            self._wake()  # rows that were waiting for this chat may be sendable now

    async def _chain(self, event: _Event) -> None:
        rules: tuple[Callable[[_Event], Awaitable[bool]], ...] = (
            self._identify,
            self._find_learner,
            self._paused,
            self._dispatch,
        )
        for rule in rules:
            if not await rule(event):
                return

    async def _identify(self, event: _Event) -> bool:
        session, inbound = event.turn.session, event.inbound
        account = (inbound.identity.platform, inbound.identity.external_id)
        known = event.senders.people.get(account)
        if known is None:  # e.g. linked by an earlier event of the group
            known = await identity_and_person(session, platform=account[0], external_id=account[1])
        if known is not None:
            identity, event.person = known
            if identity.blocked_at is not None:
                identity.blocked_at = None  # writing to us again means they are back
                session.add(identity)
        else:
            event.person = await self._link_new(event)
        if event.person is None:
            if not event.turn.replies:  # a bad invite token was answered already
                _tell_stranger(event.turn, by_email=inbound.identity.platform in self._directories)
            return False
        return True

    async def _link_new(self, event: _Event) -> Person | None:
        """An account we do not know yet: by its platform's e-mail, or by an invite token."""
        turn, inbound = event.turn, event.inbound
        if inbound.identity.platform in self._directories:
            if event.lookup is None:
                raise _EmailNeeded
            return await onboarding.link_by_email(turn, inbound, email=event.lookup.email)
        person = await onboarding.link_by_email(turn, inbound)
        return person or await onboarding.link_by_invite(turn, inbound)

    async def _find_learner(self, event: _Event) -> bool:
        assert event.person is not None
        assert event.person.id is not None
        session = event.turn.session
        enrolled = event.senders.enrolments.get(event.person.id)
        if enrolled is None:
            enrolled = await current_enrolment_and_cohort(session, event.person.id)
        enrolment, cohort = enrolled if enrolled is not None else (None, None)
        program = self._programs.get(cohort.program_id) if cohort is not None else None
        if enrolment is None or cohort is None or program is None:
            event.turn.language = event.person.language or "nl"
            event.turn.say("not_enrolled")
            return False
        event.learner = Learner(person=event.person, enrolment=enrolment, cohort=cohort, program=program)
        event.turn.language = event.learner.language
        if enrolment.started_at is None and (event.inbound.command or ("", ""))[0] != "start":
            await onboarding.start(event.turn, event.learner)  # any first message starts the journey
            event.changed = True
            return False
        learner, turn = event.learner, event.turn
        if onboarding.greeting_may_wait(learner, turn.now) and await onboarding.greet_now(turn, learner):
            event.changed = True  # they wrote before the greeting that waited for them
            return False
        return True

    async def _paused(self, event: _Event) -> bool:
        assert event.learner is not None
        if event.learner.enrolment.paused_at is None:
            return True
        command = event.inbound.command
        if command is not None and command[0] in WHILE_PAUSED:
            return True
        event.turn.say("paused.reminder")
        return False

    async def _dispatch(self, event: _Event) -> bool:
        assert event.learner is not None
        turn, learner, inbound = event.turn, event.learner, event.inbound
        if inbound.choice is not None:
            await _press(turn, learner, inbound.choice)
            event.changed = turn.accepted
        elif inbound.command is not None:
            name, argument = inbound.command
            await _command(turn, learner, name, argument)
            event.changed = name in CHANGES_HOME
        elif await answers.reflect(turn, learner, inbound.text.strip()):
            event.changed = True
        else:
            turn.say("fallback")
        return True


def _reply_rows(
    turn: Turn, *, key: str, to: Identity, person: Person | None, learner: Learner | None
) -> list[outbox.NewRow]:
    """The turn's replies as outbox rows `<key>:<n>` addressed to `to`. A stranger's rows have
    no person: the dispatcher empties them once sent."""
    rows: list[outbox.NewRow] = []
    for index, reply in enumerate(turn.replies):
        payload = payload_of(reply)
        payload["to"] = [to.platform, to.external_id]
        person_id = person.id if person else None
        enrolment_id = learner.enrolment_id if learner else None
        rows.append(outbox.NewRow(f"{key}:{index}", person_id, enrolment_id, "reply", payload))
    return rows


async def _press(turn: Turn, learner: Learner, value: str) -> None:
    pressed = choices.parse(value)
    match pressed:
        case choices.DeliveryAction():
            await answers.press_delivery(turn, learner, pressed)
        case choices.Answer():
            await answers.answer(turn, learner, pressed)
        case choices.MenuToggle(intervention_id=item):
            await menu.toggle_option(turn, learner, item)
        case choices.CatchUp(intervention_id=item):
            await _take_catch_up(turn, learner, item)
        case None:
            turn.decline("stale.press")


async def _command(turn: Turn, learner: Learner, name: str, argument: str) -> None:
    handlers: dict[str, Callable[[], Awaitable[None]]] = {
        "start": lambda: onboarding.start(turn, learner),
        "menu": lambda: menu.show_menu(turn, learner),
        "progress": lambda: progress.show_progress(turn, learner),
        "journal": lambda: progress.show_journal(turn, learner),
        "pause": lambda: _pause(turn, learner),
        "resume": lambda: _resume(turn, learner),
        "language": lambda: _language(turn, learner, argument),
        "help": lambda: _help(turn),
    }
    handler = handlers.get(name)
    if handler is None:
        turn.say("unknown_command", command=name)
        return
    await handler()


async def _help(turn: Turn) -> None:
    turn.say("help")


async def _pause(turn: Turn, learner: Learner) -> None:
    if learner.enrolment.paused_at is not None:
        turn.say("pause.already")
        return
    learner.enrolment.paused_at = turn.now
    turn.session.add(learner.enrolment)
    await replan(turn.session, learner, now=turn.now)
    turn.say("pause.done")


async def _resume(turn: Turn, learner: Learner) -> None:
    if learner.enrolment.paused_at is None:
        turn.say("resume.not_paused")
        return
    learner.enrolment.paused_at = None
    learner.enrolment.active_since = turn.now
    turn.session.add(learner.enrolment)
    turn.say("resume.done")
    await replan(turn.session, learner, now=turn.now)


async def _language(turn: Turn, learner: Learner, argument: str) -> None:
    language = argument.strip().lower()
    if language not in LANGUAGES:
        turn.say("language.usage")
        return
    learner.person.language = language
    turn.session.add(learner.person)
    turn.language = language
    turn.say("language.done")


async def _take_catch_up(turn: Turn, learner: Learner, intervention_id: str) -> None:
    ids = {item.id for item in learner.program.interventions}
    if intervention_id not in ids:
        turn.decline("stale.press")
        return
    assert learner.person.id is not None
    added = await outbox.enqueue(
        turn.session,
        key=f"catchup-item:{learner.enrolment_id}:{intervention_id}",
        person_id=learner.person.id,
        kind="reminder",
        due_at=turn.now,
        enrolment_id=learner.enrolment_id,
        intervention_id=intervention_id,
    )
    if not added:
        turn.decline("stale.already_done")
        return
    turn.chosen_label = learner.program.intervention(intervention_id).title
    turn.say("catch_up.coming")


def _tell_stranger(turn: Turn, *, by_email: bool) -> None:
    """Someone we do not know: explain in both languages (how to join depends on whether the
    platform identifies people by their e-mail); nothing about them is stored."""
    key = "stranger.by_email" if by_email else "stranger"
    turn.send_text("\n\n".join(translate(language, key) for language in CATALOGUES))
