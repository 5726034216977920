"""The core's inbound entry point: one event, one transaction, an explicit chain.

    dedupe -> identify (the actor: a person and their roles) -> the rules, in order

Dedupe and identify are fixed; what happens next is decided by the rules of the routing table
(bot/flows/routing.py), the first that handles the event ending the chain. The replies are
written to the outbox in the same transaction as the event's effects, so a crash never loses
or doubles one, and the dispatcher is woken after the commit: replies are urgent rows, sent
before anything else that is due.

On a platform with an e-mail directory (Slack) an unknown account is identified by the address
the platform holds for it: the chain stops, the transaction is rolled back, the directory is
asked outside any transaction (a platform call must not hold SQLite's write lock), and the event
is handled again with the answer. Only an account's first message pays for this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.directory import EmailDirectory
from bot.domain.messages import Identity, Inbound, InboundAck, MembershipChange, Platform
from bot.flows import membership, onboarding
from bot.flows.actors import load_actor
from bot.flows.delivering import payload_of
from bot.flows.learners import load_learner
from bot.flows.routing import journey_rules
from bot.flows.rules import Event, Rules
from bot.flows.turn import Learner, Turn
from bot.i18n import CATALOGUES, translate
from bot.storage import events, outbox, prompts
from bot.storage.db import Database
from bot.storage.models import Person
from bot.storage.repository import (
    Session,
    current_enrolment,
    identities_of,
    identity_and_person,
    identity_of,
)
from content.model import Program
from scheduler.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Lookup:
    """What the platform's directory said about an unknown account: its address, if any."""

    email: str | None


class _EmailNeeded(Exception):
    """An unknown account on an e-mail platform: leave the transaction and ask its directory."""


@dataclass(frozen=True, slots=True)
class _Handled:
    """One event's outcome, for what happens after its transaction commits."""

    ack: InboundAck
    replied: bool = False
    changed_person: int | None = None  # a person whose home view is out of date


class Conversation:
    """Handles inbound events for every platform and every role."""

    def __init__(
        self,
        *,
        database: Database,
        programs: Mapping[str, Program],
        clock: Clock,
        rules: Rules | None = None,
        wake: Callable[[], None] = lambda: None,
        on_change: Callable[[int], None] = lambda _person_id: None,
        directories: Mapping[Platform, EmailDirectory] | None = None,
    ) -> None:
        self._database = database
        self._programs = programs
        self._clock = clock
        self.rules = rules if rules is not None else journey_rules()
        self._wake = wake
        self._on_change = on_change  # after the commit, with the person id of a changed person
        self._directories = dict(directories or {})

    async def handle(self, inbound: Inbound) -> InboundAck:
        """Handle one event in one transaction. A directory's failure (e.g. `RateLimited`) is
        raised, not answered, so the platform delivers the event again rather than a learner
        being called a stranger."""
        try:
            handled = await self._handle(inbound, lookup=None)
        except _EmailNeeded:
            directory = self._directories[inbound.identity.platform]
            email = await directory.email_of(inbound.identity.external_id)
            handled = await self._handle(inbound, lookup=_Lookup(email))
        if handled.replied:
            self._wake()
        if handled.changed_person is not None:
            self._on_change(handled.changed_person)
        return handled.ack

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
            await _write_replies(
                turn,
                key=key,
                to=identity,
                person=learner.person,
                enrolment_id=learner.enrolment_id,
                due_at=greet_at,
            )
        self._wake()
        self._on_change(person_id)  # their home now shows the started journey
        return True

    async def on_membership(self, change: MembershipChange) -> None:
        """A person blocked or unblocked the bot, or a chat moved: update the identity, once."""
        async with self._database.transaction() as session:
            applied = await membership.apply_change(session, change, now=self._clock.now())
        if applied and change.kind != "blocked":
            self._wake()  # rows that were waiting for this chat may be sendable now

    async def _handle(self, inbound: Inbound, *, lookup: _Lookup | None) -> _Handled:
        now = self._clock.now()
        platform = inbound.identity.platform
        if inbound.in_room and inbound.choice is None and inbound.reply_to is None:
            return _Handled(InboundAck(accepted=True))  # a room's own talk, not addressed to the bot
        async with self._database.transaction() as session:
            if not await events.record_event(session, platform=platform, event_id=inbound.event_id, now=now):
                log.info("duplicate event %s:%s ignored", platform, inbound.event_id)
                return _Handled(InboundAck(accepted=False))
            turn = Turn(
                session=session,
                now=now,
                language="nl",
                programs=self._programs,
                event_key=f"{platform}:{inbound.event_id}",
            )
            person = await self._identify(turn, inbound, lookup)
            event = None
            if person is not None:
                actor = await load_actor(session, person, inbound.identity, self._programs)
                event = Event(inbound, turn, actor)
                await self.rules.run(event)
            learner = event.actor.learner if event is not None else None
            enrolment_id = learner.enrolment_id if learner is not None else None
            key = f"reply:{platform}:{inbound.event_id}"
            await _write_replies(turn, key=key, to=inbound.identity, person=person, enrolment_id=enrolment_id)
        changed = event.actor.person_id if event is not None and event.changed else None
        ack = InboundAck(accepted=turn.accepted, notice=turn.notice, chosen_label=turn.chosen_label)
        return _Handled(ack, replied=bool(turn.replies) or turn.enqueued, changed_person=changed)

    async def _identify(self, turn: Turn, inbound: Inbound, lookup: _Lookup | None) -> Person | None:
        """The person behind the account, linking a new account where a roster knows it; a
        stranger is answered here, and None returned."""
        account = inbound.identity
        known = await identity_and_person(
            turn.session, platform=account.platform, external_id=account.external_id
        )
        if known is not None:
            identity, found = known
            if identity.blocked_at is not None or identity.handle != inbound.handle:
                identity.blocked_at = None  # writing to us again means they are back
                identity.handle = inbound.handle  # a changed or removed @username
                turn.session.add(identity)
            return found
        person = await self._link_new(turn, inbound, lookup)
        if person is None and inbound.in_room and inbound.choice is not None:
            # A stranger pressing a case's Claim in a coaches' room: refused in the press's
            # acknowledgement only (nobody is written to in a room they did not start).
            turn.accepted = False
            turn.notice = " / ".join(translate(language, "coach.not_yours") for language in CATALOGUES)
        # A bad invite token was answered already.
        elif person is None and not turn.replies and not inbound.in_room:
            _tell_stranger(turn, by_email=account.platform in self._directories)
        return person

    async def _link_new(self, turn: Turn, inbound: Inbound, lookup: _Lookup | None) -> Person | None:
        """An account we do not know yet: by its platform's e-mail, or by an invite token."""
        if inbound.identity.platform in self._directories:
            if lookup is None:
                raise _EmailNeeded
            return await onboarding.link_by_email(turn, inbound, email=lookup.email)
        person = await onboarding.link_by_email(turn, inbound)
        return person or await onboarding.link_by_invite(turn, inbound)

    async def _unstarted_learner(
        self, session: Session, identity: Identity, person_id: int
    ) -> Learner | None:
        taken = await identity_of(session, platform=identity.platform, external_id=identity.external_id)
        linked = any(known.platform == identity.platform for known in await identities_of(session, person_id))
        enrolment = await current_enrolment(session, person_id)
        if taken or linked or enrolment is None or enrolment.id is None or enrolment.started_at:
            return None
        return await load_learner(session, enrolment.id, self._programs)


async def _write_replies(
    turn: Turn,
    *,
    key: str,
    to: Identity,
    person: Person | None,
    enrolment_id: int | None,
    due_at: datetime | None = None,
) -> None:
    """The turn's replies as outbox rows `<key>:<n>` answering `to`, each with buttons opening
    its prompt. A stranger's rows have no person: the dispatcher empties them once sent."""
    person_id = person.id if person is not None else None
    rows: list[outbox.NewRow] = []
    for index, reply in enumerate(turn.replies):
        row_key = f"{key}:{index}"
        asked = reply
        if person_id is not None and reply.choices and not all(choice.key for choice in reply.choices):
            asked = await prompts.ask_choices(
                turn.session, person_id=person_id, delivery_key=row_key, reply=reply, now=turn.now
            )
        payload = {**payload_of(asked), "to": [to.platform, to.external_id]}
        rows.append(outbox.NewRow(row_key, person_id, enrolment_id, "reply", payload))
    await outbox.enqueue_all(turn.session, rows, now=turn.now, due_at=due_at)


def _tell_stranger(turn: Turn, *, by_email: bool) -> None:
    """Someone we do not know: explain in both languages (how to join depends on whether the
    platform identifies people by their e-mail); nothing about them is stored."""
    key = "stranger.by_email" if by_email else "stranger"
    turn.send_text("\n\n".join(translate(language, key) for language in CATALOGUES))
