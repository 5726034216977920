"""Peer-feedback rounds: colleagues in pairs (or trios) give each other feedback, safely.

    a learner's `peer-feedback` step is sent (their planned row, so the send window and daily
    cap hold) -> the cohort's round is formed once, by the first such row rendered: its active
    learners grouped by bot/flows/pairing.py (seeded by the round's key, so a crash and a
    re-run give the same groups) -> the row becomes the learner's introduction: who their
    partner is (or "a colleague from your group"), the task, the deadline, Give feedback
    giver: Give feedback -> the round's prompts one by one (text prompts, durable) -> the whole
    feedback shown: send, or write again -> sent: a `peer_feedback` row to the receiver
    receiver: rates it (1-5), may thank the giver (a `peer_notice` row to them), may Report it
    (a coach case with the feedback attached; the giver is never told)
    the scheduler (`run_rounds`): halfway, one reminder to whoever has not given; at the
    deadline the round closes, and a learner whose partner gave nothing is told kindly and
    offered a short reflection instead. Feedback given late is still delivered.

A learner not in a round (joined later, opted out with /peers off, or alone) gets the step as a
task for themselves, with its Done button: nothing says why.

Button values: `p:give:<feedback>`, `p:send:<feedback>`, `p:redo:<feedback>`,
`p:rate:<feedback>:<n>`, `p:thank:<feedback>`, `p:report:<feedback>`. The texts live in
`peer_feedback` only (answers, thanks); rows and logs carry ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.domain.mentions import person_link
from bot.domain.messages import Choice, Reply
from bot.domain.text import questions_and_answers, too_long, verbatim
from bot.flows.asking import with_prompt
from bot.flows.case_kinds import post_case
from bot.flows.learners import load_current_learner
from bot.flows.pairing import Candidate, pair
from bot.flows.planning import free_slot, replan
from bot.flows.rules import Event
from bot.flows.turn import Learner, Turn
from bot.i18n import translate
from bot.kinds import DeliveryKind
from bot.storage import cases, outbox, peers, prompts
from bot.storage.models import CoachCase, Delivery, Identity, PeerFeedback, PeerRound, Person, Prompt
from bot.storage.repository import Session, ensure_progress, identities_of
from content.model import Intervention, Program

PREFIX: Final = "p:"
FEEDBACK: Final = peers.FEEDBACK_KIND  # the giver's feedback, to the receiver
NOTICE: Final = peers.NOTICE_KIND  # a thank-you, a reminder, a round closed without feedback
_ANSWER: Final = "peer"  # a text prompt's purpose: the next answer of a feedback
_THANKS: Final = "peer-thanks"  # a text prompt's purpose: the receiver's thank-you
MAX_THANKS: Final = 500


# --- the introduction ------------------------------------------------------------------------


async def introduction(
    session: Session, learner: Learner, item: Intervention, *, now: datetime
) -> Reply | None:
    """The learner's introduction to `item`'s round (formed now if it is not yet), or None
    when they are not in it: then the step is theirs alone, as any task."""
    formed = await _round_for(session, learner, item, now=now)
    given = await peers.given_by(session, _id(formed), learner.person_id)
    if given is None:
        return None
    language = learner.language
    receiver = await _name(session, given.receiver_id, formed, language, mention=True)
    received = await peers.received_by(session, _id(formed), learner.person_id)
    giver = await _name(session, received.giver_id, formed, language, mention=True) if received else receiver
    parts = [f"**{item.title}**"]
    if received is not None and received.giver_id == given.receiver_id:  # a pair: each other
        parts.append(translate(language, "peer.intro.pair", partner=receiver))
    else:
        parts.append(translate(language, "peer.intro.trio", partner=receiver, giver=giver))
    parts.append(item.body)
    deadline = _date(formed.closes_at, learner.timezone)
    count = len(learner.program.peer_prompts(item))
    parts.append(translate(language, "peer.intro.deadline", deadline=deadline, count=count))
    give = Choice(translate(language, "peer.give"), f"{PREFIX}give:{given.id}")
    return Reply("\n\n".join(parts), (give,))


async def nobody_else(session: Session, learner: Learner, item: Intervention) -> bool:
    """Whether `item`'s round of the learner's cohort formed with nobody in it (a cohort of one
    active learner): they get a kind word with the step, never a partner."""
    formed = await peers.round_of(session, f"{learner.cohort.id}:{item.id}")
    return formed is not None and not await peers.feedback_of_round(session, _id(formed))


async def _round_for(session: Session, learner: Learner, item: Intervention, *, now: datetime) -> PeerRound:
    key = f"{learner.cohort.id}:{item.id}"
    formed = await peers.round_of(session, key)
    if formed is not None:
        return formed
    settings = item.peer
    assert settings is not None, "a peer-feedback step always has its round settings"
    enrolments = await peers.active_learners(session, learner.cohort.id)
    candidates = [Candidate(e.person_id, manager_id=e.manager_id, team=e.team) for e in enrolments]
    history = await peers.history(session, [c.person_id for c in candidates])
    grouped = pair(candidates, history=history, group=settings.group, seed=key)
    return await peers.form_round(
        session,
        key=key,
        cohort_id=learner.cohort.id,
        intervention_id=item.id,
        anonymous=settings.anonymous,
        groups=grouped.groups,
        now=now,
        closes_at=now + timedelta(days=settings.closes_days),
    )


# --- rules -----------------------------------------------------------------------------------


async def peer_presses(event: Event) -> bool:
    """The round's buttons, and /peers [on|off]."""
    learner, inbound, turn = event.actor.learner, event.inbound, event.turn
    if learner is None:
        return False
    command = inbound.command
    if command is not None and command[0] == "peers":
        _opt(turn, learner, command[1].strip().lower())
        event.changed = True
        return True
    value = inbound.choice
    if value is None or not value.startswith(PREFIX):
        return False
    action, _, rest = value[len(PREFIX) :].partition(":")
    number, _, stars = rest.partition(":")
    feedback = await turn.session.get(PeerFeedback, int(number)) if number.isdigit() else None
    await _close_pressed(turn, learner, value)
    if feedback is None or learner.person_id not in (feedback.giver_id, feedback.receiver_id):
        turn.decline("stale.press")
        return True
    await _press(turn, learner, feedback, action, stars)
    return True


async def peer_text(event: Event) -> bool:
    """Text that answers a feedback's open question, or a thank-you."""
    learner, text = event.actor.learner, event.inbound.text.strip()
    if learner is None or not text or event.inbound.command is not None or event.inbound.choice is not None:
        return False
    waiting = await prompts.open_prompts(event.turn.session, learner.person_id, kind=prompts.TEXT)
    for prompt in reversed(waiting):
        if _ANSWER in prompt.purpose or _THANKS in prompt.purpose:
            await _answered(event.turn, learner, prompt, text)
            return True
    return False


def _opt(turn: Turn, learner: Learner, argument: str) -> None:
    if argument in ("on", "aan"):
        learner.enrolment.peers_off = False
    elif argument in ("off", "uit"):
        learner.enrolment.peers_off = True
    turn.session.add(learner.enrolment)
    state = "off" if learner.enrolment.peers_off else "on"
    turn.say(
        f"peer.status.{state}" if argument not in ("on", "aan", "off", "uit") else f"peer.turned.{state}"
    )


async def _press(turn: Turn, learner: Learner, feedback: PeerFeedback, action: str, stars: str) -> None:
    gives = feedback.giver_id == learner.person_id
    if gives and action in ("give", "redo") and feedback.status != peers.GIVEN:
        await _start_writing(turn, learner, feedback)
    elif gives and action == "send" and feedback.status == peers.CONFIRMING:
        await _send(turn, learner, feedback)
    elif gives and action in ("give", "redo", "send"):
        turn.decline("peer.already_given")
    elif not gives and action == "rate" and stars.isdigit() and feedback.rating is None:
        feedback.rating = min(max(int(stars), 1), 5)
        turn.session.add(feedback)
        turn.say("peer.rated")
    elif not gives and action == "thank" and feedback.thanks is None:
        giver = await _name(turn.session, feedback.giver_id, await _round(turn, feedback), turn.language)
        await prompts.ask_text(
            turn.session,
            person_id=learner.person_id,
            delivery_key=f"peer:{feedback.id}:thanks",
            text=turn.text("peer.thank.ask", giver=giver),
            purpose={_THANKS: feedback.id},
            now=turn.now,
        )
        turn.say("peer.thank.ask", giver=giver)
    elif not gives and action == "report" and feedback.reported_at is None:
        await _report(turn, learner, feedback)
    else:
        turn.decline("stale.press")


# --- giving ----------------------------------------------------------------------------------


async def _start_writing(turn: Turn, learner: Learner, feedback: PeerFeedback) -> None:
    """From the first question (again): a question asked before waits for nothing now."""
    for prompt in await prompts.open_prompts(turn.session, learner.person_id, kind=prompts.TEXT):
        if prompt.purpose.get(_ANSWER) == feedback.id:
            prompts.close(prompt, now=turn.now)
            turn.session.add(prompt)
    feedback.status, feedback.answers = peers.WRITING, []
    turn.session.add(feedback)
    await _ask_next(turn, learner, feedback)


async def _ask_next(turn: Turn, learner: Learner, feedback: PeerFeedback) -> None:
    """The next prompt of the round, or the whole feedback to confirm."""
    questions = await _questions(turn, learner, feedback)
    step = len(feedback.answers)
    if step < len(questions):
        text = turn.text("peer.question", step=step + 1, count=len(questions), question=questions[step])
        await prompts.ask_text(
            turn.session,
            person_id=learner.person_id,
            delivery_key=f"peer:{feedback.id}:ask:{step}:{len(feedback.answers)}:{turn.event_key}",
            text=text,
            purpose={_ANSWER: feedback.id, "step": step},
            now=turn.now,
        )
        turn.send_text(text)
        return
    feedback.status = peers.CONFIRMING
    turn.session.add(feedback)
    receiver = await _name(turn.session, feedback.receiver_id, await _round(turn, feedback), turn.language)
    whole = "\n\n".join(
        [turn.text("peer.confirm", partner=receiver), questions_and_answers(questions, feedback.answers)]
    )
    send = Choice(turn.text("peer.send"), f"{PREFIX}send:{feedback.id}")
    redo = Choice(turn.text("peer.redo"), f"{PREFIX}redo:{feedback.id}")
    turn.send_text(whole, (send, redo))


async def _answered(turn: Turn, learner: Learner, prompt: Prompt, text: str) -> None:
    thanks = _THANKS in prompt.purpose
    # Too long: the question stays open, so a shorter answer still answers it.
    if thanks and len(text) > MAX_THANKS:
        turn.say("peer.thank.too_long", limit=MAX_THANKS)
        return
    if too_long(text):
        turn.say("coach.too_long")
        return
    prompts.close(prompt, now=turn.now)
    turn.session.add(prompt)
    if thanks:
        await _thank(turn, int(prompt.purpose[_THANKS]), text)
        return
    feedback = await turn.session.get(PeerFeedback, int(prompt.purpose[_ANSWER]))
    if feedback is None or feedback.status != peers.WRITING:
        return
    feedback.answers = [*feedback.answers, text]
    turn.session.add(feedback)
    await _ask_next(turn, learner, feedback)


async def _send(turn: Turn, learner: Learner, feedback: PeerFeedback) -> None:
    """Deliver the feedback to its receiver (in their send window), and mark the step done."""
    feedback.status, feedback.given_at = peers.GIVEN, turn.now
    turn.session.add(feedback)
    formed = await _round(turn, feedback)
    receiver = await _name(turn.session, feedback.receiver_id, formed, turn.language)
    turn.chosen_label = turn.text("peer.send")
    turn.say("peer.sent", partner=receiver)
    key, payload = f"peer:{feedback.id}:given", {"feedback": feedback.id}
    await _peer_message(turn.session, feedback.receiver_id, key, FEEDBACK, payload, turn.now, turn.programs)
    turn.enqueued = True
    progress = await ensure_progress(
        turn.session, enrolment_id=learner.enrolment_id, intervention_id=formed.intervention_id, occurrence=""
    )
    if progress.done_at is None:
        progress.done_at = turn.now
        turn.session.add(progress)


# --- receiving -------------------------------------------------------------------------------


async def _thank(turn: Turn, feedback_id: int, text: str) -> None:
    feedback = await turn.session.get(PeerFeedback, feedback_id)
    if feedback is None or feedback.thanks is not None:
        return
    feedback.thanks = text
    turn.session.add(feedback)
    turn.say("peer.thank.sent")
    key, payload = f"peer:{feedback.id}:thanks", {"feedback": feedback.id, "say": "peer.thanks"}
    await _peer_message(turn.session, feedback.giver_id, key, NOTICE, payload, turn.now, turn.programs)
    turn.enqueued = True


async def _report(turn: Turn, learner: Learner, feedback: PeerFeedback) -> None:
    """A coach case of the kind "report", with the feedback for the cohort's coaches. The
    receiver keeps the feedback; the giver is told nothing."""
    session = turn.session
    feedback.reported_at = turn.now
    session.add(feedback)
    case = CoachCase(
        cohort_id=learner.cohort.id,
        person_id=learner.person_id,
        status=cases.OPEN if await cases.coaches_of(session, learner.cohort.id) else cases.CLOSED,
        description=turn.text("peer.report.description"),
        opened_at=turn.now,
        peer_feedback_id=feedback.id,
    )
    if case.status == cases.CLOSED:
        case.closed_at, case.closed_by = turn.now, "nobody"
    session.add(case)
    await session.flush()
    if case.status == cases.OPEN:
        turn.enqueued = bool(await post_case(session, case, learner.cohort, now=turn.now))
    turn.say("peer.reported")


# --- the scheduler's part --------------------------------------------------------------------


async def run_rounds(session: Session, *, now: datetime, programs: Mapping[str, Program]) -> int:
    """Halfway reminders and closing at the deadline, each once (the round's `reminded_at` and
    `closed_at`, and the rows' keys); the messages written."""
    written = 0
    for formed in await peers.open_rounds(session):
        halfway = formed.started_at + (formed.closes_at - formed.started_at) / 2
        waiting = [f for f in await peers.feedback_of_round(session, _id(formed)) if f.status != peers.GIVEN]
        if formed.reminded_at is None and now >= halfway:
            formed.reminded_at = now
            for feedback in waiting:
                written += await _notice(session, feedback.giver_id, feedback, "peer.reminder", now, programs)
        if now >= formed.closes_at:
            formed.closed_at = now
            for feedback in waiting:
                written += await _notice(
                    session, feedback.receiver_id, feedback, "peer.no_show", now, programs
                )
        session.add(formed)
    return written


async def _notice(
    session: Session,
    person_id: int,
    feedback: PeerFeedback,
    say: str,
    now: datetime,
    programs: Mapping[str, Program],
) -> int:
    payload = {"feedback": feedback.id, "say": say}
    return int(
        await _peer_message(session, person_id, f"peer:{feedback.id}:{say}", NOTICE, payload, now, programs)
    )


async def _peer_message(
    session: Session,
    person_id: int,
    key: str,
    kind: str,
    payload: Mapping[str, object],
    now: datetime,
    programs: Mapping[str, Program],
) -> bool:
    """A round's message to a member, due at their next moment in the send window on a day with
    room under their daily cap (their nudges that day move on); False if its key was written
    before."""
    learner = await load_current_learner(session, person_id, programs)
    due = await free_slot(session, learner, now) if learner is not None else now
    written = await outbox.enqueue(
        session, key=key, person_id=person_id, kind=kind, due_at=due, payload=dict(payload), now=now
    )
    if written and learner is not None:
        await replan(session, learner, now=now)
    return written


# --- delivery kinds --------------------------------------------------------------------------


def peer_kinds(programs: Mapping[str, Program]) -> list[DeliveryKind]:
    """The feedback itself (to its receiver) and the round's notices; both keep to the send
    window and take a place under the daily cap (`_peer_message`)."""

    async def render_feedback(session: Session, delivery: Delivery) -> Reply | None:
        found = await _feedback_and_learner(session, delivery, programs)
        if found is None:
            return None
        feedback, learner, formed = found
        language = learner.language
        giver = await _name(session, feedback.giver_id, formed, language)
        item = learner.program.intervention(formed.intervention_id)
        written = questions_and_answers(learner.program.peer_prompts(item), feedback.answers)
        text = "\n\n".join(
            [
                translate(language, "peer.received", giver=giver),
                written,
                translate(language, "peer.received.ask"),
            ]
        )
        stars = tuple(Choice("★" * n, f"{PREFIX}rate:{feedback.id}:{n}") for n in range(1, 6))
        extra = (
            Choice(translate(language, "peer.thank"), f"{PREFIX}thank:{feedback.id}"),
            Choice(translate(language, "peer.report"), f"{PREFIX}report:{feedback.id}"),
        )
        return await with_prompt(
            session,
            delivery,
            Reply(text, (*stars, *extra)),
            shown_again=translate(language, "peer.received", giver=giver),
        )

    async def render_notice(session: Session, delivery: Delivery) -> Reply | None:
        found = await _feedback_and_learner(session, delivery, programs)
        if found is None:
            return None
        feedback, learner, formed = found
        language, say = learner.language, str(delivery.payload.get("say"))
        receiver = await _name(session, feedback.receiver_id, formed, language, known=True)
        partner = await _name(session, feedback.receiver_id, formed, language)
        text = translate(
            language,
            say,
            partner=partner,
            receiver=receiver,
            deadline=_date(formed.closes_at, learner.timezone),
            text=verbatim(feedback.thanks or ""),
        )
        if say == "peer.no_show":  # a short reflection instead: its answer is a reflection
            await prompts.ask_text(
                session,
                person_id=learner.person_id,
                delivery_key=delivery.key,
                text=text,
                purpose=learner.reflection_purpose(formed.intervention_id),
                now=delivery.claimed_at or delivery.due_at,
            )
        return Reply(text)

    return [DeliveryKind(FEEDBACK, render_feedback), DeliveryKind(NOTICE, render_notice)]


async def _feedback_and_learner(
    session: Session, delivery: Delivery, programs: Mapping[str, Program]
) -> tuple[PeerFeedback, Learner, PeerRound] | None:
    """The row's feedback, its recipient as a learner, and the round."""
    feedback = await session.get(PeerFeedback, delivery.payload.get("feedback"))
    if feedback is None or delivery.person_id is None:
        return None
    learner = await load_current_learner(session, delivery.person_id, programs)
    formed = await session.get(PeerRound, feedback.round_id)
    if learner is None or formed is None:
        return None
    return feedback, learner, formed


# --- the journal ------------------------------------------------------------------------------


async def journal_entries(turn: Turn, learner: Learner) -> list[str]:
    """Feedback the learner received and gave, for their /journal (theirs alone)."""
    entries = []
    for feedback in await peers.feedback_of_person(turn.session, learner.person_id):
        formed = await turn.session.get(PeerRound, feedback.round_id)
        if formed is None or feedback.given_at is None:
            continue
        item = next((i for i in learner.program.interventions if i.id == formed.intervention_id), None)
        questions = learner.program.peer_prompts(item) if item is not None else ()
        date = _date(feedback.given_at, learner.timezone)
        if feedback.receiver_id == learner.person_id:
            giver = await _name(turn.session, feedback.giver_id, formed, turn.language)
            heading = turn.text("journal.peer.received", date=date, giver=giver)
        else:
            receiver = await _name(turn.session, feedback.receiver_id, formed, turn.language, known=True)
            heading = turn.text("journal.peer.given", date=date, receiver=receiver)
        entries.append(f"{heading}\n{questions_and_answers(questions, feedback.answers)}")
    return entries


# --- small helpers ---------------------------------------------------------------------------


async def _name(
    session: Session,
    person_id: int,
    formed: PeerRound,
    language: str,
    *,
    known: bool = False,
    mention: bool = False,
) -> str:
    """A member as others in the round see them: their name, or, in an anonymous round, "a
    colleague from your group" (`known`: the giver knows whom they gave to). `mention`: a link
    each platform shows its own way (a Slack mention, a Telegram @username)."""
    if formed.anonymous and not known:
        return translate(language, "peer.anonymous")
    person = await session.get(Person, person_id)
    if person is None:
        return "?"
    if not mention:
        return verbatim(person.name)
    return person_link(person.name, _accounts(await identities_of(session, person_id)))


def _accounts(identities: Sequence[Identity]) -> dict[str, str]:
    """Where a person can be pointed at: their Slack user id, their Telegram @username."""
    reachable = [identity for identity in identities if identity.blocked_at is None]
    accounts = {i.platform: i.external_id for i in reachable if i.platform == "slack"}
    accounts |= {i.platform: i.handle for i in reachable if i.platform == "telegram" and i.handle}
    return accounts


async def _questions(turn: Turn, learner: Learner, feedback: PeerFeedback) -> tuple[str, ...]:
    formed = await _round(turn, feedback)
    return learner.program.peer_prompts(learner.program.intervention(formed.intervention_id))


async def _round(turn: Turn, feedback: PeerFeedback) -> PeerRound:
    formed = await turn.session.get(PeerRound, feedback.round_id)
    assert formed is not None
    return formed


async def _close_pressed(turn: Turn, learner: Learner, value: str) -> None:
    open_ones = await prompts.open_prompts(turn.session, learner.person_id, kind=prompts.CHOICES)
    for prompt in prompts.answered(open_ones, value, now=turn.now, whole=True):
        turn.session.add(prompt)


def _date(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")


def _id(formed: PeerRound) -> int:
    assert formed.id is not None
    return formed.id
