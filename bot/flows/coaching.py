"""Coach on demand: a learner asks for a human coach, a coach claims the case, messages are
relayed both ways through the outbox, and either side closes it.

    learner: /coach (Slack: /coach talk), the "Talk to a coach" button, or plain words
             (confirmed first)
      -> case "asking": one line about what it is about (or skip), share reflections yes/no
      -> case "open": posted to each coach of the cohort (`case_post` rows), learner told when
         to expect an answer
    coach: presses Claim (one owner, bot/storage/cases.py) -> case "claimed"
      -> what the learner writes goes to the coach, what the coach writes to the learner
         (`case_relay` rows; the text lives in `case_messages` only)
    either side closes -> the learner rates it (1-5); their journey resumes without a burst

While a case is unfinished the learner's planned nudges wait (outbox `_sendable`); closing it
resumes the journey as /resume does, so what was missed is offered once, not sent in a burst.

Button values (64 bytes at most on Telegram): `k:ask`, `k:no`, `k:skip:<case>`,
`k:share:<case>:<0|1>`, `k:claim:<case>`, `k:close:<case>`, `k:end:<case>`, `k:rate:<case>:<n>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.messages import Choice, Reply
from bot.domain.text import too_long, verbatim
from bot.flows.actors import Actor
from bot.flows.coach_phrases import asks_for_a_coach
from bot.flows.expectation import expectation_text
from bot.flows.kinds import with_prompt
from bot.flows.learners import load_learner
from bot.flows.planning import replan
from bot.flows.progress import summarize
from bot.flows.rules import Event
from bot.flows.turn import Learner, Turn
from bot.i18n import translate
from bot.kinds import DeliveryKind
from bot.storage import cases, outbox, prompts
from bot.storage.models import CaseMessage, CoachCase, Cohort, Delivery, Person
from bot.storage.repository import Session, current_enrolment, responses_of
from content.model import Program
from scheduler.working_hours import add_working_hours

PREFIX = "k:"
ASK = f"{PREFIX}ask"  # the "Talk to a coach" button
SHARED_REFLECTIONS = 3  # the learner's latest reflections a coach sees, when shared
_DESCRIBE = "case-description"  # a text prompt's purpose: the case's one line


# --- rules -----------------------------------------------------------------------------------


async def coach_desk(event: Event) -> bool:
    """A coach's commands, presses and messages for their cases."""
    actor, turn, inbound = event.actor, event.turn, event.inbound
    pressed = _pressed(inbound.choice)
    if pressed is not None and pressed[0] == "claim":  # from anyone: a forwarded button too
        turn.language = actor.language
        await _close_pressed(event)
        await _claim(turn, actor, _number(pressed, 1))
        return True
    if not actor.coach_of:
        return False
    turn.language = actor.language
    if pressed is not None and pressed[0] == "close":
        await _close_pressed(event)
        await _close_by_coach(turn, actor, _number(pressed, 1))
        return True
    command = inbound.command
    if command is not None and command[0] in ("cases", "reply", "close"):
        await _coach_command(turn, actor, command)
        return True
    text = inbound.text.strip()
    if command is None and inbound.choice is None and text:
        current = await _current_case_of_coach(turn.session, actor.person_id)
        if current is not None:
            await _relay(turn, current, author=actor.person, role="coach", text=text)
            return True
    return False


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
    pressed = _pressed(inbound.choice)
    if pressed is not None:
        await _learner_press(event, learner, pressed)
        return True
    if command is None and inbound.choice is None and asks_for_a_coach(inbound.text):
        await _confirm(event, learner)
        return True
    return False


async def case_text(event: Event) -> bool:
    """A learner's text while a case is unfinished: its description, or a message to the coach."""
    learner, text = event.actor.learner, event.inbound.text.strip()
    if learner is None or not text or event.inbound.command is not None or event.inbound.choice is not None:
        return False
    case = await cases.current_case(event.turn.session, event.actor.person_id)
    if case is None:
        return False
    turn = event.turn
    if case.status == cases.ASKING:
        await _describe(turn, learner, case, text)
        return True
    if case.status == cases.CLAIMED:
        await _relay(turn, case, author=learner.person, role="learner", text=text)
        return True
    turn.say("coach.waiting")  # open: nobody has it yet; what they write would reach nobody
    return True


# --- the learner's side ----------------------------------------------------------------------


async def _coach_command_of_learner(turn: Turn, learner: Learner, argument: str) -> None:
    if argument.strip().lower() in ("end", "stop", "klaar"):
        case = await cases.current_case(turn.session, _id(learner.person))
        if case is None:
            turn.say("coach.none_open")
        else:
            await _close(turn, case, by="learner")
        return
    await ask_for_coach(turn, learner)


async def ask_for_coach(turn: Turn, learner: Learner) -> None:
    """Start a case, or point at the one that is open."""
    session = turn.session
    case = await cases.current_case(session, _id(learner.person))
    if case is not None:
        turn.say(f"coach.already.{case.status}")
        return
    case = await cases.start_case(
        session, cohort_id=learner.cohort.id, person_id=_id(learner.person), now=turn.now
    )
    assert case.id is not None
    turn.say("coach.describe", choices=(Choice(turn.text("coach.skip"), f"{PREFIX}skip:{case.id}"),))
    await prompts.ask_text(
        session,
        person_id=_id(learner.person),
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
    await _close_pressed(event)
    if action == "ask":
        await ask_for_coach(turn, learner)
        return
    if action == "no":
        turn.say("coach.not_now")
        return
    case = await _own_case(turn, learner, _number(pressed, 1))
    if case is None:
        turn.decline("stale.press")
    elif action == "skip" and case.status == cases.ASKING:
        await _describe(turn, learner, case, "")
    elif action == "share" and case.status == cases.ASKING:
        await _open(turn, learner, case, shares=_number(pressed, 2) == 1)
    elif action == "end" and case.status in cases.UNFINISHED:
        await _close(turn, case, by="learner")
    elif action == "rate" and case.status == cases.CLOSED and case.rating is None:
        case.rating = min(max(_number(pressed, 2), 1), 5)
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
    assert case.id is not None
    coaches = await cases.coaches_of(session, case.cohort_id)
    for coach, _lead in coaches:
        await _enqueue(turn, f"case:{case.id}:post:{coach.id}", coach, "case_post", case=case.id)
    if not coaches:  # nobody to ask: closed at once, or the learner's nudges would wait for ever
        case.status, case.closed_at, case.closed_by = cases.CLOSED, turn.now, "nobody"
        turn.say("coach.no_coaches")
        return
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


# --- the coach's side ------------------------------------------------------------------------


async def _claim(turn: Turn, coach: Actor, case_id: int) -> None:
    session = turn.session
    case = await session.get(CoachCase, case_id)
    if case is None or case.cohort_id not in coach.coach_of:
        turn.decline("coach.not_yours")
        return
    if not await cases.claim(session, case_id, coach_id=coach.person_id, now=turn.now):
        await session.refresh(case)
        holder = await session.get(Person, case.coach_id) if case.coach_id is not None else None
        turn.accepted = False
        turn.say("coach.taken", coach=holder.name if holder else "?")
        return
    await session.refresh(case)
    learner = await session.get(Person, case.person_id)
    turn.chosen_label = turn.text("coach.claimed_label")
    turn.say("coach.claimed_by_you", case=case_id, learner=learner.name if learner else "?")
    if learner is not None:
        await _enqueue(
            turn, f"case:{case_id}:claimed", learner, "case_notice", case=case_id, say="coach.claimed"
        )
    for other, _lead in await cases.coaches_of(session, case.cohort_id):
        if other.id != coach.person_id:
            key = f"case:{case_id}:taken:{other.id}"
            await _enqueue(turn, key, other, "case_notice", case=case_id, say="coach.claimed_by_other")


async def _coach_command(turn: Turn, coach: Actor, command: tuple[str, str]) -> None:
    name, argument = command
    mine = await cases.cases_of_coach(turn.session, coach.person_id)
    if name == "cases":
        await _list_cases(turn, mine)
        return
    number, _, text = argument.strip().partition(" ")
    by_id = {case.id: case for case in mine}
    if name == "close":
        case = (
            by_id.get(int(number))
            if number.isdigit()
            else await _current_case_of_coach(turn.session, coach.person_id)
        )
        if case is None:
            turn.say("coach.no_such_case")
        else:
            await _close(turn, case, by="coach")
        return
    case = by_id.get(int(number)) if number.isdigit() else None
    if case is None or not text.strip():
        turn.say("coach.reply_usage")
        return
    await _relay(turn, case, author=coach.person, role="coach", text=text.strip())


async def _close_by_coach(turn: Turn, coach: Actor, case_id: int) -> None:
    case = await turn.session.get(CoachCase, case_id)
    if case is None or case.coach_id != coach.person_id or case.status != cases.CLAIMED:
        turn.decline("stale.press")
        return
    await _close(turn, case, by="coach")


async def _list_cases(turn: Turn, mine: list[CoachCase]) -> None:
    if not mine:
        turn.say("coach.cases.none")
        return
    lines = []
    for case in mine:
        learner = await turn.session.get(Person, case.person_id)
        lines.append(turn.text("coach.cases.line", case=case.id, learner=learner.name if learner else "?"))
    turn.send_text("\n".join([turn.text("coach.cases.title"), *lines]))


# --- both sides ------------------------------------------------------------------------------


async def _relay(turn: Turn, case: CoachCase, *, author: Person, role: str, text: str) -> None:
    """Store what one side wrote and send it to the other through the outbox."""
    if too_long(text):
        turn.say("coach.too_long")
        return
    message = await cases.add_message(turn.session, case, author=author, role=role, text=text, now=turn.now)
    recipient_id = case.coach_id if role == "learner" else case.person_id
    recipient = await turn.session.get(Person, recipient_id) if recipient_id is not None else None
    if recipient is None:
        turn.say("coach.nobody")
        return
    await _enqueue(
        turn,
        f"case:{case.id}:message:{message.id}",
        recipient,
        "case_relay",
        case=_id(case),
        message=message.id,
    )


async def _close(turn: Turn, case: CoachCase, *, by: str) -> None:
    """Close the case; the learner is asked to rate it and their journey resumes."""
    session = turn.session
    case.status, case.closed_at, case.closed_by = cases.CLOSED, turn.now, by
    session.add(case)
    learner = await session.get(Person, case.person_id)
    coach = await session.get(Person, case.coach_id) if case.coach_id is not None else None
    if by == "coach":
        turn.say("coach.closed_by_you", case=case.id)
        if learner is not None:
            await _enqueue(
                turn,
                f"case:{case.id}:closed",
                learner,
                "case_notice",
                case=_id(case),
                say="coach.closed",
                rate=True,
            )
    elif coach is None:  # withdrawn before anyone took it: nothing to rate
        turn.say("coach.withdrawn")
    else:
        turn.say("coach.ended", choices=_rating_choices(_id(case)))
        await _enqueue(
            turn, f"case:{case.id}:ended", coach, "case_notice", case=_id(case), say="coach.ended_by_learner"
        )
    await _resume_journey(session, case, now=turn.now, programs=turn.programs)


async def _resume_journey(
    session: Session, case: CoachCase, *, now: datetime, programs: Mapping[str, Program]
) -> None:
    """Nudges waited while the case was open; like /resume, what was missed is offered once."""
    enrolment = await current_enrolment(session, case.person_id)
    if enrolment is None or enrolment.id is None:
        return
    learner = await load_learner(session, enrolment.id, programs)
    if learner is None or learner.enrolment.paused_at is not None:
        return
    learner.enrolment.active_since = now
    session.add(learner.enrolment)
    await replan(session, learner, now=now)


def _rating_choices(case_id: int) -> tuple[Choice, ...]:
    # Stars, not digits: in the console a typed number is a button's key, and a label "4"
    # beside the key [9] would invite the wrong press.
    return tuple(Choice("★" * n, f"{PREFIX}rate:{case_id}:{n}") for n in range(1, 6))


# --- chasing ---------------------------------------------------------------------------------

WORKING_DAY_HOURS = 8.0  # a claimed case whose learner waits this long for their coach: a reminder


async def chase_cases(session: Session, *, now: datetime) -> int:
    """Remind whoever a waiting learner depends on, each reminder once (the case's *_chased_at
    and *_told_at moments, and the rows' unique keys, hold across restarts and instances).

    Nobody claimed within the cohort's `coach_response_hours` (working hours of its timezone):
    the coaches are reminded and the learner told it takes longer; after twice that, the lead
    coach is told. A claimed case whose learner waits a working day for an answer: its coach is
    reminded. Returns the number of reminders written."""
    written = 0
    for case in await cases.all_cases(session, unfinished_only=True):
        cohort = await session.get(Cohort, case.cohort_id)
        if cohort is None or case.status == cases.ASKING:
            continue
        written += await _chase(session, case, cohort, now=now)
    return written


async def _chase(session: Session, case: CoachCase, cohort: Cohort, *, now: datetime) -> int:
    hours, zone = cohort.coach_response_hours, cohort.timezone
    coaches = await cases.coaches_of(session, cohort.id)
    notices: list[tuple[str, int, str]] = []  # (key, person id, i18n key)
    if (
        case.status == cases.OPEN
        and case.coaches_chased_at is None
        and now >= add_working_hours(case.opened_at, hours, timezone=zone)
    ):
        case.coaches_chased_at = now
        notices += [(f"case:{case.id}:chase:{coach.id}", _id(coach), "coach.chase") for coach, _ in coaches]
        notices.append((f"case:{case.id}:slow", case.person_id, "coach.slow"))
    if (
        case.status == cases.OPEN
        and case.lead_told_at is None
        and now >= add_working_hours(case.opened_at, 2 * hours, timezone=zone)
    ):
        case.lead_told_at = now
        lead = next((coach for coach, is_lead in coaches if is_lead), coaches[0][0] if coaches else None)
        if lead is not None:
            notices.append((f"case:{case.id}:lead", _id(lead), "coach.lead"))
    waiting_since = await _learner_waiting_since(session, case)
    if (
        case.status == cases.CLAIMED
        and case.coach_id is not None
        and case.coach_chased_at is None
        and waiting_since is not None
        and now >= add_working_hours(waiting_since, WORKING_DAY_HOURS, timezone=zone)
    ):
        case.coach_chased_at = now
        notices.append((f"case:{case.id}:nudge-coach", case.coach_id, "coach.chase_claimed"))
    session.add(case)
    for key, person_id, say in notices:
        payload = {"case": case.id, "say": say}
        await outbox.enqueue(
            session, key=key, person_id=person_id, kind="case_notice", due_at=now, payload=payload, now=now
        )
    return len(notices)


async def _learner_waiting_since(session: Session, case: CoachCase) -> datetime | None:
    """Since when the learner waits for their coach: the claim or the learner's first message
    after the coach's last one; None when the coach spoke last."""
    messages = await cases.messages_of(session, _id(case))
    last_coach = max((m.written_at for m in messages if m.author_role == "coach"), default=None)
    if last_coach is None:
        return case.claimed_at
    after = [m.written_at for m in messages if m.author_role == "learner" and m.written_at > last_coach]
    return min(after, default=None)


# --- delivery kinds --------------------------------------------------------------------------


def coaching_kinds(programs: Mapping[str, Program]) -> list[DeliveryKind]:
    """The case's rows: posts to coaches, relayed messages, notices; all urgent (a person waits)."""

    async def render_post(session: Session, delivery: Delivery) -> Reply | None:
        case = await session.get(CoachCase, delivery.payload.get("case"))
        if case is None or delivery.person_id is None:
            return None
        language = await _language_of(session, delivery.person_id, case, programs)
        title, text = await _post_text(session, case, language, programs)
        claim = Choice(translate(language, "coach.claim"), f"{PREFIX}claim:{case.id}")
        return await with_prompt(session, delivery, Reply(text, (claim,)), shown_again=title)

    async def render_relay(session: Session, delivery: Delivery) -> Reply | None:
        message = await session.get(CaseMessage, delivery.payload.get("message"))
        if message is None or delivery.person_id is None:
            return None
        case = await session.get(CoachCase, message.case_id)
        if case is None:
            return None
        author = await session.get(Person, message.author_id) if message.author_id is not None else None
        language = await _language_of(session, delivery.person_id, case, programs)
        role = translate(language, f"coach.role.{message.author_role}")
        name = author.name if author is not None else "?"
        return Reply(f"**{verbatim(name)}** ({role}, #{message.case_id}):\n\n{verbatim(message.text)}")

    async def render_notice(session: Session, delivery: Delivery) -> Reply | None:
        case = await session.get(CoachCase, delivery.payload.get("case"))
        if case is None or delivery.person_id is None:
            return None
        language = await _language_of(session, delivery.person_id, case, programs)
        coach = await session.get(Person, case.coach_id) if case.coach_id is not None else None
        learner = await session.get(Person, case.person_id)
        text = translate(
            language,
            str(delivery.payload.get("say")),
            case=case.id,
            coach=verbatim(coach.name) if coach else "?",
            learner=verbatim(learner.name) if learner else "?",
        )
        choices = _rating_choices(_id(case)) if delivery.payload.get("rate") else ()
        return await with_prompt(session, delivery, Reply(text, choices))

    return [
        DeliveryKind("case_post", render_post, urgent=True),
        DeliveryKind("case_relay", render_relay, urgent=True),
        DeliveryKind("case_notice", render_notice, urgent=True),
    ]


async def _post_text(
    session: Session, case: CoachCase, language: str, programs: Mapping[str, Program]
) -> tuple[str, str]:
    """What a coach sees of a new case: its title line, and the whole post (who, where they
    are in the programme, what it is about, the reflections they chose to share)."""
    learner = await session.get(Person, case.person_id)
    name = verbatim(learner.name if learner else "?")
    title = translate(language, "coach.post.title", case=case.id, learner=name)
    lines = [title]
    enrolment = await current_enrolment(session, case.person_id)
    loaded = await load_learner(session, enrolment.id, programs) if enrolment and enrolment.id else None
    responses = list(await responses_of(session, loaded.enrolment_id)) if loaded is not None else []
    if loaded is not None:
        summary = await summarize(session, loaded, now=case.opened_at)
        last = max((r.created_at for r in responses), default=None)
        when = last.astimezone(ZoneInfo(loaded.timezone)).strftime("%Y-%m-%d") if last else "-"
        values = {"program": loaded.program.title, "done": summary.done, "total": summary.total, "last": when}
        lines.append(translate(language, "coach.post.progress", **values))
    no_description = translate(language, "coach.post.no_description")
    lines.append(translate(language, "coach.post.about", about=verbatim(case.description) or no_description))
    reflections = [r.text for r in responses if r.kind == "reflection" and r.text][-SHARED_REFLECTIONS:]
    if case.shares_reflections and reflections:
        lines.append(translate(language, "coach.post.reflections"))
        # Each in its own paragraph: inside a list, Slack would still read the writer's * and _.
        lines += [verbatim(text) for text in reflections]
    return title, "\n\n".join(lines)


async def _language_of(
    session: Session, person_id: int, case: CoachCase, programs: Mapping[str, Program]
) -> str:
    """The recipient's own language, else the language of the case's programme (a coach of an
    English cohort has no language on the roster)."""
    person = await session.get(Person, person_id)
    if person is not None and person.language:
        return person.language
    cohort = await session.get(Cohort, case.cohort_id)
    program = programs.get(cohort.program_id) if cohort is not None else None
    return program.language if program is not None else "nl"


# --- small helpers ---------------------------------------------------------------------------


async def _enqueue(turn: Turn, key: str, recipient: Person, kind: str, **payload: object) -> None:
    await outbox.enqueue(
        turn.session,
        key=key,
        person_id=_id(recipient),
        kind=kind,
        due_at=turn.now,
        payload=dict(payload),
        now=turn.now,
    )
    turn.enqueued = True


async def _own_case(turn: Turn, learner: Learner, case_id: int) -> CoachCase | None:
    case = await turn.session.get(CoachCase, case_id)
    return case if case is not None and case.person_id == learner.person.id else None


async def _current_case_of_coach(session: Session, coach_id: int) -> CoachCase | None:
    """The case a coach's plain text goes to: the one they claimed last."""
    mine = await cases.cases_of_coach(session, coach_id)
    return mine[-1] if mine else None


async def _close_description_prompt(turn: Turn, case: CoachCase) -> None:
    """The one line is given (or skipped): neither its text prompt nor its Skip button is open."""
    for prompt in await prompts.open_prompts(turn.session, case.person_id, kind=prompts.TEXT):
        if prompt.purpose.get(_DESCRIBE) == case.id:
            prompts.close(prompt, now=turn.now)
            turn.session.add(prompt)
    buttons = await prompts.open_prompts(turn.session, case.person_id, kind=prompts.CHOICES)
    for prompt in prompts.answered(buttons, f"{PREFIX}skip:{case.id}", now=turn.now, whole=True):
        turn.session.add(prompt)


async def _close_pressed(event: Event) -> None:
    value = event.inbound.choice
    if value is None:
        return
    open_ones = await prompts.open_prompts(event.turn.session, event.actor.person_id, kind=prompts.CHOICES)
    for prompt in prompts.answered(open_ones, value, now=event.turn.now, whole=True):
        event.turn.session.add(prompt)


def _pressed(value: str | None) -> tuple[str, ...] | None:
    if value is None or not value.startswith(PREFIX):
        return None
    return tuple(value[len(PREFIX) :].split(":"))


def _number(pressed: tuple[str, ...], index: int) -> int:
    try:
        return int(pressed[index])
    except (IndexError, ValueError):
        return -1


def _id(row: Person | CoachCase) -> int:
    assert row.id is not None
    return row.id
