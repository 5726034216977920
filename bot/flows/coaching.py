"""Coach on demand: a learner asks for a human coach, a coach claims the case, messages are
relayed both ways through the outbox, and either side closes it.

    learner: /coach (Slack: /coach talk), the "Talk to a coach" button, or plain words
             (confirmed first)
      -> case "asking": one line about what it is about (or skip), share reflections yes/no
      -> case "open": posted to each coach of the cohort (`case_post` rows), learner told when
         to expect an answer
      (to the coaches' rooms the roster names, else to each coach; bot/flows/case_kinds.py)
    coach: presses Claim (one owner, bot/storage/cases.py) -> case "claimed", every post
           edited to "claimed by ..." (bot/flows/coach_desk.py)
      -> what the learner writes goes to the coach, what the coach writes to the learner
         (`case_relay` rows; the text lives in `case_messages` only); the coach may hand the
         case back (/unclaim) or to another coach (/handover)
    either side closes -> the learner rates it (1-5); their journey resumes without a burst

Only text is passed on: a photo or file is answered with "only text can be passed on" (its
caption, if any, is passed on).

While a case is unfinished the learner's planned nudges wait (outbox `_sendable`); closing it
resumes the journey as /resume does, so what was missed is offered once, not sent in a burst.

Button values (64 bytes at most on Telegram): `k:ask`, `k:no`, `k:skip:<case>`,
`k:share:<case>:<0|1>`, `k:claim:<case>`, `k:close:<case>`, `k:give:<case>:<coach>`,
`k:end:<case>`, `k:rate:<case>:<n>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.domain.messages import Choice
from bot.domain.text import too_long, verbatim
from bot.flows.case_kinds import (
    NOTICE,
    PREFIX,
    RELAY,
    SHARED_REFLECTIONS,
    edit_posts,
    post_case,
    rating_choices,
)
from bot.flows.coach_phrases import asks_for_a_coach
from bot.flows.expectation import expectation_text
from bot.flows.learners import load_current_learner
from bot.flows.planning import replan
from bot.flows.rules import Event
from bot.flows.turn import Learner, Turn
from bot.storage import cases, outbox, prompts
from bot.storage.models import CoachCase, Cohort, Person
from bot.storage.repository import Session
from content.model import Program
from scheduler.working_hours import add_working_hours

ASK = f"{PREFIX}ask"  # the "Talk to a coach" button
_DESCRIBE = "case-description"  # a text prompt's purpose: the case's one line


# --- rules -----------------------------------------------------------------------------------


async def learner_asks(event: Event) -> bool:
    """A learner's way to a coach: /coach, its buttons, and plain words (confirmed first)."""
    learner = event.actor.learner
    if learner is None:
        return False
    turn, inbound = event.turn, event.inbound
    command = inbound.command
    # Slack's slash command is the app's own `/coach`: there `/coach talk` asks (`/talk`).
    if command is not None and command[0] in ("coach", "talk"):
        await _coach_command_of_learner(turn, learner, command[1])
        return True
    if command is not None and command[0] == "cases":
        await show_history(turn, await cases.history_of_person(turn.session, event.actor.person_id))
        return True
    pressed = pressed_case_button(inbound.choice)
    if pressed is not None:
        await _learner_press(event, learner, pressed)
        return True
    if command is None and inbound.choice is None and asks_for_a_coach(inbound.text):
        await _confirm(event, learner)
        return True
    return False


async def case_text(event: Event) -> bool:
    """A learner's text while a case is unfinished: its description, or a message to the coach.
    A photo or file is not passed on (its caption is)."""
    learner, inbound, text = event.actor.learner, event.inbound, event.inbound.text.strip()
    if learner is None or inbound.command is not None or inbound.choice is not None:
        return False
    if not text and not inbound.attachment:
        return False
    case = await cases.current_case(event.turn.session, event.actor.person_id)
    if case is None:
        return False
    turn = event.turn
    if inbound.attachment:
        turn.say("coach.text_only")
        if not text:
            return True
    if case.status == cases.ASKING:
        await _describe(turn, learner, case, text)
        return True
    if case.status == cases.CLAIMED:
        await relay(turn, case, author=learner.person, role="learner", text=text)
        return True
    turn.say("coach.waiting")  # open: nobody has it yet; what they write would reach nobody
    return True


# --- the learner's side ----------------------------------------------------------------------


async def _coach_command_of_learner(turn: Turn, learner: Learner, argument: str) -> None:
    if argument.strip().lower() in ("end", "stop", "klaar"):
        case = await cases.current_case(turn.session, learner.person_id)
        if case is None:
            turn.say("coach.none_open")
        else:
            await close_case(turn, case, by="learner")
        return
    await ask_for_coach(turn, learner)


async def ask_for_coach(turn: Turn, learner: Learner) -> None:
    """Start a case, or point at the one that is open."""
    session = turn.session
    case = await cases.current_case(session, learner.person_id)
    if case is not None:
        turn.say(f"coach.already.{case.status}")
        return
    case = await cases.start_case(
        session, cohort_id=learner.cohort.id, person_id=learner.person_id, now=turn.now
    )
    assert case.id is not None
    turn.say("coach.describe", choices=(Choice(turn.text("coach.skip"), f"{PREFIX}skip:{case.id}"),))
    await prompts.ask_text(
        session,
        person_id=learner.person_id,
        delivery_key=f"case:{case.id}:describe",
        text=turn.text("coach.describe"),
        purpose={_DESCRIBE: case.id},
        now=turn.now,
    )


async def _confirm(event: Event, learner: Learner) -> None:
    """Plain words that sound like asking for a coach: ask first, never open a case by itself."""
    turn = event.turn
    yes, no = Choice(turn.text("coach.yes"), ASK), Choice(turn.text("coach.no"), f"{PREFIX}no")
    turn.say("coach.confirm", choices=(yes, no))


async def _learner_press(event: Event, learner: Learner, pressed: tuple[str, ...]) -> None:
    turn, action = event.turn, pressed[0]
    await close_pressed(event)
    if action == "ask":
        await ask_for_coach(turn, learner)
        return
    if action == "no":
        turn.say("coach.not_now")
        return
    case = await _own_case(turn, learner, number(pressed, 1))
    if case is None:
        turn.decline("stale.press")
    elif action == "skip" and case.status == cases.ASKING:
        await _describe(turn, learner, case, "")
    elif action == "share" and case.status == cases.ASKING:
        await _open(turn, learner, case, shares=number(pressed, 2) == 1)
    elif action == "end" and case.status in cases.UNFINISHED:
        await close_case(turn, case, by="learner")
    elif action == "rate" and case.status == cases.CLOSED and case.rating is None:
        case.rating = min(max(number(pressed, 2), 1), 5)
        turn.session.add(case)
        turn.say("coach.rated")
    else:
        turn.decline("stale.press")


async def _describe(turn: Turn, learner: Learner, case: CoachCase, text: str) -> None:
    if too_long(text):
        turn.say("coach.too_long")
        return
    case.description = text
    turn.session.add(case)
    await _close_description_prompt(turn, case)
    yes = Choice(turn.text("coach.share.yes"), f"{PREFIX}share:{case.id}:1")
    no = Choice(turn.text("coach.share.no"), f"{PREFIX}share:{case.id}:0")
    turn.say("coach.share", count=SHARED_REFLECTIONS, choices=(no, yes))


async def _open(turn: Turn, learner: Learner, case: CoachCase, *, shares: bool) -> None:
    """Post the case to the coaches and tell the learner when to expect an answer."""
    session = turn.session
    case.shares_reflections, case.status, case.opened_at = shares, cases.OPEN, turn.now
    session.add(case)
    if not await cases.coaches_of(session, case.cohort_id):
        # Nobody to ask (a room without coaches on the roster is nobody too): closed at once,
        # or the learner's nudges would wait for ever.
        case.status, case.closed_at, case.closed_by = cases.CLOSED, turn.now, "nobody"
        turn.say("coach.no_coaches")
        return
    turn.enqueued = bool(await post_case(session, case, learner.cohort, now=turn.now))
    deadline = add_working_hours(
        turn.now, learner.cohort.coach_response_hours, timezone=learner.cohort.timezone
    )
    turn.say("coach.opened")
    turn.send_text(
        expectation_text(
            now=turn.now,
            deadline=deadline,
            hours=learner.cohort.coach_response_hours,
            timezone=learner.cohort.timezone,
            language=turn.language,
        )
    )


# --- both sides ------------------------------------------------------------------------------


async def relay(turn: Turn, case: CoachCase, *, author: Person, role: str, text: str) -> None:
    """Store what one side wrote and send it to the other through the outbox."""
    if too_long(text):
        turn.say("coach.too_long")
        return
    message = await cases.add_message(turn.session, case, author=author, role=role, text=text, now=turn.now)
    recipient_id = case.coach_id if role == "learner" else case.person_id
    if recipient_id is None:
        turn.say("coach.nobody")
        return
    key = f"case:{case.id}:message:{message.id}"
    await enqueue(turn, key, recipient_id, RELAY, case=case_id(case), message=message.id)


async def close_case(turn: Turn, case: CoachCase, *, by: str) -> None:
    """Close the case; the learner is asked to rate it and their journey resumes."""
    session = turn.session
    case.status, case.closed_at, case.closed_by = cases.CLOSED, turn.now, by
    session.add(case)
    if by == "coach":
        turn.say("coach.closed_by_you", case=case.id)
        key = f"case:{case.id}:closed"
        await enqueue(turn, key, case.person_id, NOTICE, case=case_id(case), say="coach.closed", rate=True)
    elif case.coach_id is None:  # withdrawn before anyone took it: nothing to rate
        turn.say("coach.withdrawn")
    else:
        turn.say("coach.ended", choices=rating_choices(case_id(case)))
        key = f"case:{case.id}:ended"
        await enqueue(turn, key, case.coach_id, NOTICE, case=case_id(case), say="coach.ended_by_learner")
    await _resume_journey(session, case, now=turn.now, programs=turn.programs)
    await edit_all_posts(turn, case)


async def edit_all_posts(turn: Turn, case: CoachCase) -> None:
    """Every post of the case shows what became of it (claimed by whom, open again, closed)."""
    cohort = await turn.session.get(Cohort, case.cohort_id)
    if cohort is not None and await edit_posts(
        turn.session, case, cohort, now=turn.now, because=turn.event_key
    ):
        turn.enqueued = True


async def show_history(turn: Turn, shown: list[CoachCase]) -> None:
    """Cases with their conversations, as the learner or the coach of each may see them."""
    if not shown:
        turn.say("coach.history.none")
        return
    parts = [turn.text("coach.history.title")]
    for case in shown:
        coach = await turn.session.get(Person, case.coach_id) if case.coach_id is not None else None
        learner = await turn.session.get(Person, case.person_id)
        status = turn.text(f"coach.history.status.{case.status}")
        parts.append(
            turn.text(
                "coach.history.case",
                case=case.id,
                date=case.opened_at.strftime("%Y-%m-%d"),
                learner=verbatim(learner.name) if learner else "?",
                coach=verbatim(coach.name) if coach else "-",
                status=status,
            )
        )
        if case.description:
            parts.append(turn.text("coach.post.about", about=verbatim(case.description)))
        for message in await cases.messages_of(turn.session, case_id(case)):
            role = turn.text(f"coach.role.{message.author_role}")
            parts.append(f"{role}: {verbatim(message.text)}")
    turn.send_text("\n\n".join(parts))


async def _resume_journey(
    session: Session, case: CoachCase, *, now: datetime, programs: Mapping[str, Program]
) -> None:
    """Nudges waited while the case was open; like /resume, what was missed is offered once."""
    learner = await load_current_learner(session, case.person_id, programs)
    if learner is None or learner.enrolment.paused_at is not None:
        return
    learner.enrolment.active_since = now
    session.add(learner.enrolment)
    await replan(session, learner, now=now)


# --- small helpers ---------------------------------------------------------------------------


async def enqueue(turn: Turn, key: str, recipient_id: int, kind: str, **payload: object) -> None:
    """A case row for someone other than the one who wrote (their message goes out now)."""
    await outbox.enqueue(
        turn.session,
        key=key,
        person_id=recipient_id,
        kind=kind,
        due_at=turn.now,
        payload=payload,
        now=turn.now,
    )
    turn.enqueued = True


async def _own_case(turn: Turn, learner: Learner, case_id: int) -> CoachCase | None:
    case = await turn.session.get(CoachCase, case_id)
    return case if case is not None and case.person_id == learner.person.id else None


async def _close_description_prompt(turn: Turn, case: CoachCase) -> None:
    """The one line is given (or skipped): neither its text prompt nor its Skip button is open."""
    for prompt in await prompts.open_prompts(turn.session, case.person_id, kind=prompts.TEXT):
        if prompt.purpose.get(_DESCRIBE) == case.id:
            prompts.close(prompt, now=turn.now)
            turn.session.add(prompt)
    buttons = await prompts.open_prompts(turn.session, case.person_id, kind=prompts.CHOICES)
    for prompt in prompts.answered(buttons, f"{PREFIX}skip:{case.id}", now=turn.now, whole=True):
        turn.session.add(prompt)


async def close_pressed(event: Event) -> None:
    """The pressed button's prompt is answered: its message asks nothing any more."""
    value = event.inbound.choice
    if value is None:
        return
    open_ones = await prompts.open_prompts(event.turn.session, event.actor.person_id, kind=prompts.CHOICES)
    for prompt in prompts.answered(open_ones, value, now=event.turn.now, whole=True):
        event.turn.session.add(prompt)


def pressed_case_button(value: str | None) -> tuple[str, ...] | None:
    """A case button's action and arguments (`("claim", "5")`), None for any other value."""
    if value is None or not value.startswith(PREFIX):
        return None
    return tuple(value[len(PREFIX) :].split(":"))


def number(pressed: tuple[str, ...], index: int) -> int:
    try:
        return int(pressed[index])
    except (IndexError, ValueError):
        return -1


def case_id(case: CoachCase) -> int:
    assert case.id is not None
    return case.id
