"""The routing table: which rules the inbound chain runs, in order (see bot/flows/rules.py).

    in-room        in a coaches' room only presses and answers to a case's messages count;
                   the rest of the room's talk is left alone (bot/flows/coach_desk.py)
    typed-choice   a console user typed an open choice's number (or label): it is pressed
    start          a learner's first message starts the journey; one whose greeting waits
                   is greeted now
    coach-desk     a coach claims, answers, lists, hands on and closes cases
                   (bot/flows/coach_desk.py)
    case-text      a learner's text while their case is unfinished: its description, or a
                   message for their coach
    ask-for-coach  /coach, its buttons, and plain words asking for a person (confirmed first);
                   a learner's /cases (bot/flows/coaching.py)
    peers          a peer-feedback round's buttons and /peers [on|off] (bot/flows/peers.py)
    paused         a paused learner may use a few commands only
    press          a learner pressed a button
    command        a learner's /command
    peer-text      text answers a peer feedback's open question, or is a thank-you
    free-text      text answers the person's open text prompt (a reflection)
    roles          a coach or manager who is not a learner learns what the bot does for them
    not-enrolled   someone on a roster with no current role
    fallback       a learner's text that answers nothing gets a helpful answer, never silence

A feature adds its rule here, in its place, or a test adds one with `Rules.add(before=...)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.domain.messages import Choice
from bot.flows import answers, choices, coach_desk, coaching, menu, onboarding, peers, progress
from bot.flows.planning import replan
from bot.flows.rules import Event, Rules
from bot.flows.turn import Learner, Turn
from bot.storage import outbox, prompts
from bot.storage.models import Prompt
from content.model import LANGUAGES

# Commands a paused learner may still use.
WHILE_PAUSED = frozenset({"resume", "help", "language", "journal", "progress", "start"})
# Commands that change what a learner's home view shows (the others only answer).
CHANGES_HOME = frozenset({"start", "pause", "resume", "language"})


def journey_rules() -> Rules:
    """The chain of the learner journey, for every role."""
    return Rules(
        [
            ("in-room", coach_desk.in_room),
            ("typed-choice", typed_choice),
            ("start", start_journey),
            ("coach-desk", coach_desk.coach_desk),
            ("case-text", coaching.case_text),
            ("ask-for-coach", coaching.learner_asks),
            ("peers", peers.peer_presses),
            ("paused", paused),
            ("press", press),
            ("command", command),
            ("peer-text", peers.peer_text),
            ("free-text", free_text),
            ("roles", roles),
            ("not-enrolled", not_enrolled),
            ("fallback", fallback),
        ]
    )


async def typed_choice(event: Event) -> bool:
    """Where there are no buttons (the console), a typed key or label presses the open choice
    it names; a number that names none is answered, never taken for text."""
    typed = event.inbound.typed_key
    if typed is None or event.inbound.command is not None:
        return False
    open_ones = await prompts.open_prompts(event.turn.session, event.actor.person_id, kind=prompts.CHOICES)
    choice = prompts.find_choice(open_ones, typed.strip())
    if choice is not None:
        event.inbound = replace(event.inbound, text="", choice=choice.value)
        return False  # the press rules take it from here
    if not typed.strip().isdigit():
        return False
    keys = [key for prompt in open_ones for key in (c.key for c in prompts.choices_of(prompt))]
    event.turn.language = event.actor.language
    if keys:
        event.turn.say("choice.no_such", typed=typed.strip(), keys=", ".join(keys))
    else:
        event.turn.say("choice.none_open", typed=typed.strip())
    return True


async def start_journey(event: Event) -> bool:
    learner = event.actor.learner
    if learner is None:
        return False
    turn = event.turn
    turn.language = learner.language
    if learner.enrolment.started_at is None and (event.inbound.command or ("", ""))[0] != "start":
        await onboarding.start(turn, learner)  # any first message starts the journey
        event.changed = True
        return True
    if onboarding.greeting_may_wait(learner, turn.now) and await onboarding.greet_now(turn, learner):
        event.changed = True  # they wrote before the greeting that waited for them
        return True
    return False


async def paused(event: Event) -> bool:
    learner = event.actor.learner
    if learner is None or learner.enrolment.paused_at is None:
        return False
    command_ = event.inbound.command
    if command_ is not None and command_[0] in WHILE_PAUSED:
        return False
    event.turn.say("paused.reminder")
    return True


async def press(event: Event) -> bool:
    learner, value = event.actor.learner, event.inbound.choice
    if value is None or learner is None:
        return False
    turn = event.turn
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
    await _answered(event, value, whole=isinstance(pressed, choices.DeliveryAction | choices.Answer))
    event.changed = turn.accepted
    return True


async def _answered(event: Event, value: str, *, whole: bool) -> None:
    """The pressed choice is no longer open (a question's other answers neither)."""
    turn = event.turn
    open_ones = await prompts.open_prompts(turn.session, event.actor.person_id, kind=prompts.CHOICES)
    for prompt in prompts.answered(open_ones, value, now=turn.now, whole=whole or not turn.accepted):
        turn.session.add(prompt)


async def command(event: Event) -> bool:
    learner, command_ = event.actor.learner, event.inbound.command
    if learner is None or command_ is None:
        return False
    name, argument = command_
    turn = event.turn
    handlers: dict[str, Callable[[], Awaitable[None]]] = {
        "start": lambda: _start_again(event, learner),
        "menu": lambda: menu.show_menu(turn, learner),
        "progress": lambda: progress.show_progress(turn, learner),
        "journal": lambda: _journal(turn, learner),
        "pause": lambda: _pause(turn, learner),
        "resume": lambda: _resume(turn, learner),
        "language": lambda: _language(turn, learner, argument),
        "help": lambda: _help(turn),
    }
    handler = handlers.get(name)
    if handler is None:
        turn.say("unknown_command", command=name)
        return True
    await handler()
    event.changed = name in CHANGES_HOME
    return True


async def free_text(event: Event) -> bool:
    """Text goes to the newest open text prompt that asked for it."""
    learner, text = event.actor.learner, event.inbound.text.strip()
    if learner is None or not text or event.inbound.choice is not None:
        return False
    waiting = await prompts.open_prompts(event.turn.session, event.actor.person_id, kind=prompts.TEXT)
    for prompt in reversed(waiting):
        if await answers.reflect(event.turn, learner, text, prompt):
            event.changed = True
            return True
    return False


async def roles(event: Event) -> bool:
    """A coach or manager who is not a learner now: what the bot does for them."""
    actor = event.actor
    if actor.learner is not None or not (actor.coach_of or actor.manager_of):
        return False
    turn = event.turn
    turn.language = actor.language
    if event.inbound.choice is not None:
        turn.decline("stale.press")
        return True
    name = actor.person.name.split(" ", 1)[0]
    if actor.coach_of:
        turn.say("role.coach", name=name, cohorts=", ".join(actor.coach_of))
    if actor.manager_of:
        turn.say("role.manager", name=name, cohorts=", ".join(actor.manager_of))
    return True


async def not_enrolled(event: Event) -> bool:
    if event.actor.learner is not None:
        return False
    event.turn.language = event.actor.language
    if event.inbound.choice is not None:
        event.turn.decline("stale.press")
    else:
        event.turn.say("not_enrolled")
    return True


async def fallback(event: Event) -> bool:
    event.turn.say("fallback")
    return True


async def _start_again(event: Event, learner: Learner) -> None:
    """/start: welcome (back); a learner who started sees every open question again."""
    turn = event.turn
    started = learner.enrolment.started_at is not None
    await onboarding.start(turn, learner)
    if not started:
        return
    for prompt in await prompts.open_prompts(turn.session, event.actor.person_id):
        _ask_again(turn, prompt)


def _ask_again(turn: Turn, prompt: Prompt) -> None:
    if prompt.text:
        turn.send_text(prompt.text, prompts.choices_of(prompt))


async def _journal(turn: Turn, learner: Learner) -> None:
    await progress.show_journal(turn, learner, also=await peers.journal_entries(turn, learner))


async def _help(turn: Turn) -> None:
    turn.say("help", choices=(Choice(turn.text("help.coach"), coaching.ASK),))


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
