"""The core's inbound entry point: one event, one transaction, an explicit chain of rules.

    dedupe -> identify -> learner -> paused -> handle

Each rule may answer and stop the chain. The replies are written to the outbox in the same
transaction as the event's effects, then the dispatcher is woken, so replies stay instant and a
crash never loses or doubles one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.domain.messages import Inbound, InboundAck, MembershipChange
from bot.flows import answers, choices, membership, menu, onboarding, progress
from bot.flows.delivering import payload_of
from bot.flows.planning import replan
from bot.flows.turn import Learner, Turn
from bot.i18n import CATALOGUES, translate
from bot.storage import events, outbox
from bot.storage.db import Database
from bot.storage.models import Person
from bot.storage.repository import current_enrolment_and_cohort, identity_and_person
from content.model import LANGUAGES, Program
from scheduler.clock import Clock

log = logging.getLogger(__name__)

# Commands a paused learner may still use.
WHILE_PAUSED = frozenset({"resume", "help", "language", "journal", "progress", "start"})


@dataclass(slots=True)
class _Event:
    inbound: Inbound
    turn: Turn
    person: Person | None = None
    learner: Learner | None = None


class Conversation:
    """Handles inbound events for every platform."""

    def __init__(
        self,
        *,
        database: Database,
        programs: Mapping[str, Program],
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._programs = programs
        self._clock = clock
        self._wake = wake

    async def handle(self, inbound: Inbound) -> InboundAck:
        now = self._clock.now()
        async with self._database.transaction() as session:
            fresh = await events.record_event(
                session, platform=inbound.identity.platform, event_id=inbound.event_id, now=now
            )
            if not fresh:
                log.info("duplicate event %s:%s ignored", inbound.identity.platform, inbound.event_id)
                return InboundAck(accepted=False)
            event = _Event(inbound, Turn(session=session, now=now, language="nl"))
            await self._chain(event)
            await self._enqueue_replies(event)
        if event.turn.replies:
            self._wake()
        turn = event.turn
        return InboundAck(accepted=turn.accepted, notice=turn.notice, chosen_label=turn.chosen_label)

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
        known = await identity_and_person(
            session, platform=inbound.identity.platform, external_id=inbound.identity.external_id
        )
        if known is not None:
            identity, event.person = known
            if identity.blocked_at is not None:
                identity.blocked_at = None  # writing to us again means they are back
                session.add(identity)
        else:
            event.person = await onboarding.link_by_email(event.turn, inbound)
            event.person = event.person or await onboarding.link_by_invite(event.turn, inbound)
        if event.person is None:
            if not event.turn.replies:  # a bad invite token was answered already
                _tell_stranger(event.turn)
            return False
        return True

    async def _find_learner(self, event: _Event) -> bool:
        assert event.person is not None
        assert event.person.id is not None
        session = event.turn.session
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
        elif inbound.command is not None:
            name, argument = inbound.command
            await _command(turn, learner, name, argument)
        elif not await answers.reflect(turn, learner, inbound.text.strip()):
            turn.say("fallback")
        return True

    async def _enqueue_replies(self, event: _Event) -> None:
        inbound = event.inbound
        person_id = event.person.id if event.person else None
        for index, reply in enumerate(event.turn.replies):
            payload = payload_of(reply)
            payload["to"] = [inbound.identity.platform, inbound.identity.external_id]
            await outbox.enqueue(
                event.turn.session,
                key=f"reply:{inbound.identity.platform}:{inbound.event_id}:{index}",
                person_id=person_id,
                kind="reply",
                due_at=event.turn.now,
                payload=payload,
                enrolment_id=event.learner.enrolment_id if event.learner else None,
            )


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


def _tell_stranger(turn: Turn) -> None:
    """Someone we do not know: explain in both languages; nothing about them is stored."""
    turn.send_text("\n\n".join(translate(language, "stranger") for language in CATALOGUES))
