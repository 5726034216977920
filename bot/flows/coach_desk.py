"""The coach's side of a case: claim it, answer, hand it back or on, close it, read it again.

A coach answers where they read: plain text in their chat with the bot goes to their current
case (the one they claimed last), an answer to one of the case's messages (a reply in the
post's Slack thread, a Telegram reply to the post or a relayed message) to that case, and
`/reply N text` to case N. In a coaches' room the bot takes only presses and such answers: the
rest of the room's talk is not for it.

    /cases           the coach's open cases        /cases N     case N's conversation so far
    /reply N text    answer case N                 /close [N]   close it (or the button)
    /unclaim [N]     hand it back to all coaches   /handover N  give it to another coach
"""

from __future__ import annotations

from bot.domain.messages import Choice, Inbound
from bot.domain.text import verbatim
from bot.flows.actors import Actor
from bot.flows.case_kinds import KINDS, NOTICE, PREFIX
from bot.flows.coaching import (
    case_id,
    close_case,
    close_pressed,
    edit_all_posts,
    enqueue,
    number,
    pressed_case_button,
    relay,
    show_history,
)
from bot.flows.rules import Event
from bot.flows.turn import Turn
from bot.storage import cases
from bot.storage.models import CoachCase, Person
from bot.storage.repository import Session

COMMANDS = frozenset({"cases", "reply", "close", "unclaim", "handover"})


# --- rules -----------------------------------------------------------------------------------


async def in_room(event: Event) -> bool:
    """A coaches' room: a press goes on down the chain (a Claim); an answer to a case's message
    goes to that case; anything else said in the room is left alone, unanswered."""
    inbound = event.inbound
    if not inbound.in_room or inbound.choice is not None:
        return False
    answered = await _answered_case(event.turn.session, inbound)
    if answered is not None:
        event.turn.language = event.actor.language
        await _answer(event, answered)
    return True


async def coach_desk(event: Event) -> bool:
    """A coach's commands, presses and messages for their cases."""
    actor, turn, inbound = event.actor, event.turn, event.inbound
    pressed = pressed_case_button(inbound.choice)
    if pressed is not None and pressed[0] == "claim":  # from anyone: a forwarded button too
        turn.language = actor.language
        await close_pressed(event)
        await _claim(turn, actor, number(pressed, 1))
        return True
    if not actor.coach_of:
        return False
    turn.language = actor.language
    if pressed is not None and pressed[0] in ("close", "give"):
        await close_pressed(event)
        await _coach_press(turn, actor, pressed)
        return True
    command = inbound.command
    if command is not None and command[0] in COMMANDS:
        await _coach_command(turn, actor, command)
        return True
    if command is not None or inbound.choice is not None or not (inbound.text.strip() or inbound.attachment):
        return False
    case = await _answered_case(turn.session, inbound) or await _current_case(turn.session, actor.person_id)
    if case is None:
        return False
    await _answer(event, case)
    return True


# --- claiming and handing on -----------------------------------------------------------------


async def _claim(turn: Turn, coach: Actor, claimed: int) -> None:
    session = turn.session
    case = await session.get(CoachCase, claimed)
    if case is None or case.cohort_id not in coach.coach_of:
        turn.decline("coach.not_yours")
        return
    if not await cases.claim(session, claimed, coach_id=coach.person_id, now=turn.now):
        await session.refresh(case)
        holder = await session.get(Person, case.coach_id) if case.coach_id is not None else None
        turn.accepted = False
        turn.say("coach.taken", coach=verbatim(holder.name) if holder else "?")
        return
    await session.refresh(case)
    learner = await session.get(Person, case.person_id)
    turn.chosen_label = turn.text("coach.claimed_label")
    turn.say("coach.claimed_by_you", case=claimed, learner=verbatim(learner.name) if learner else "?")
    # Keyed by the event too: a case handed back may be claimed again.
    key = f"case:{claimed}:claimed:{turn.event_key}"
    await enqueue(turn, key, case.person_id, NOTICE, case=claimed, say="coach.claimed")
    await edit_all_posts(turn, case)


async def _unclaim(turn: Turn, coach: Actor, case: CoachCase) -> None:
    if not await cases.unclaim(turn.session, case_id(case), coach_id=coach.person_id):
        turn.say("coach.no_such_case")
        return
    await turn.session.refresh(case)
    turn.say("coach.unclaimed_by_you", case=case.id)
    key = f"case:{case.id}:back:{turn.event_key}"
    await enqueue(
        turn, key, case.person_id, NOTICE, case=case_id(case), say="coach.handed_back", by=coach.person_id
    )
    await edit_all_posts(turn, case)


async def _offer_handover(turn: Turn, coach: Actor, case: CoachCase) -> None:
    others = [
        other
        for other, _ in await cases.coaches_of(turn.session, case.cohort_id)
        if other.id != coach.person_id
    ]
    if not others:
        turn.say("coach.handover.nobody", case=case.id)
        return
    choices = tuple(Choice(verbatim(other.name), f"{PREFIX}give:{case.id}:{other.id}") for other in others)
    turn.say("coach.handover.pick", case=case.id, choices=choices)


async def _hand_over(turn: Turn, coach: Actor, given: int, to: int) -> None:
    session = turn.session
    case = await session.get(CoachCase, given)
    coaches = {other.id for other, _ in await cases.coaches_of(session, case.cohort_id)} if case else set()
    if case is None or to not in coaches or to == coach.person_id:
        turn.decline("stale.press")
        return
    if not await cases.hand_over(session, given, coach_id=coach.person_id, to=to, now=turn.now):
        turn.decline("stale.press")
        return
    await session.refresh(case)
    receiver = await session.get(Person, to)
    turn.chosen_label = receiver.name if receiver else None
    turn.say("coach.handed_over_by_you", case=given, coach=verbatim(receiver.name) if receiver else "?")
    stamp = turn.event_key
    payload = {"case": given, "by": coach.person_id}
    await enqueue(
        turn, f"case:{given}:on:{to}:{stamp}", case.person_id, NOTICE, say="coach.handed_on", **payload
    )
    await enqueue(turn, f"case:{given}:to:{to}:{stamp}", to, NOTICE, say="coach.handed_to_you", **payload)
    await edit_all_posts(turn, case)


# --- commands and presses --------------------------------------------------------------------


async def _coach_command(turn: Turn, coach: Actor, command: tuple[str, str]) -> None:
    name, argument = command
    session = turn.session
    first, _, text = argument.strip().partition(" ")
    named = int(first) if first.isdigit() else None
    if name == "cases" and named is None:
        await _list_cases(turn, await cases.cases_of_coach(session, coach.person_id))
        return
    if name == "cases":
        chosen = [
            c for c in await cases.cases_of_coach(session, coach.person_id, closed_too=True) if c.id == named
        ]
        if chosen:
            await show_history(turn, chosen)
        else:
            turn.say("coach.no_such_case")
        return
    mine = await cases.cases_of_coach(session, coach.person_id)
    case = next((c for c in mine if c.id == named), None) if named is not None else None
    if name == "reply":
        if case is None or not text.strip():
            turn.say("coach.reply_usage")
        else:
            await relay(turn, case, author=coach.person, role="coach", text=text.strip())
        return
    if named is None and name != "handover":
        case = mine[-1] if mine else None  # the current case
    if case is None:
        turn.say("coach.handover.usage" if name == "handover" else "coach.no_such_case")
    elif name == "close":
        await close_case(turn, case, by="coach")
    elif name == "unclaim":
        await _unclaim(turn, coach, case)
    else:
        await _offer_handover(turn, coach, case)


async def _coach_press(turn: Turn, coach: Actor, pressed: tuple[str, ...]) -> None:
    if pressed[0] == "give":
        await _hand_over(turn, coach, number(pressed, 1), number(pressed, 2))
        return
    case = await turn.session.get(CoachCase, number(pressed, 1))
    if case is None or case.coach_id != coach.person_id or case.status != cases.CLAIMED:
        turn.decline("stale.press")
        return
    await close_case(turn, case, by="coach")


async def _list_cases(turn: Turn, mine: list[CoachCase]) -> None:
    if not mine:
        turn.say("coach.cases.none")
        return
    lines = []
    for case in mine:
        learner = await turn.session.get(Person, case.person_id)
        lines.append(
            turn.text("coach.cases.line", case=case.id, learner=verbatim(learner.name) if learner else "?")
        )
    turn.send_text("\n".join([turn.text("coach.cases.title"), *lines, "", turn.text("coach.cases.hint")]))


# --- answering -------------------------------------------------------------------------------


async def _answer(event: Event, case: CoachCase) -> None:
    """A coach's words for `case`: relayed when it is theirs, else they are told why not."""
    actor, turn, inbound = event.actor, event.turn, event.inbound
    if case.status != cases.CLAIMED or case.coach_id != actor.person_id:
        mine = case.cohort_id in actor.coach_of and case.status == cases.OPEN
        turn.say("coach.claim_first" if mine else "coach.not_your_case", case=case.id)
        return
    text = inbound.text.strip()
    if inbound.attachment:
        turn.say("coach.text_only")
    if text:
        await relay(turn, case, author=actor.person, role="coach", text=text)


async def _answered_case(session: Session, inbound: Inbound) -> CoachCase | None:
    """The case whose message (a post, a relay, a notice) this inbound answers, if any."""
    if inbound.reply_to is None:
        return None
    found = await cases.case_of_message(
        session, platform=inbound.identity.platform, message_id=inbound.reply_to, kinds=KINDS
    )
    return await session.get(CoachCase, found) if found is not None else None


async def _current_case(session: Session, coach_id: int) -> CoachCase | None:
    """The case a coach's plain text goes to: the one they claimed last."""
    mine = await cases.cases_of_coach(session, coach_id)
    return mine[-1] if mine else None
