"""A coach case's messages: posts to the coaches, relayed messages and notices, as outbox rows
of three delivery kinds (all urgent: a person waits).

Posts go to the coaches' rooms the roster names (`coach_room`, one post per platform), else to
each coach of the cohort in a direct message. A post is rendered from the case's state when it
is sent, and when that state changes (claimed, handed back or on, closed) every post the
platforms have is edited to show it: a row of the same kind that `replaces` the posted message.
So a coach who sees a post sees who has the case, on every platform.

A room post keeps no prompt: its Claim button is answered by its value from whoever presses it
(bot/flows/coaching.py checks that they coach the cohort).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from bot.domain.messages import Choice, Reply
from bot.domain.text import questions_and_answers, verbatim
from bot.flows.asking import with_prompt
from bot.flows.learners import load_current_learner
from bot.flows.progress import summarize
from bot.i18n import translate
from bot.kinds import DeliveryKind
from bot.storage import cases, outbox
from bot.storage.models import CaseMessage, CoachCase, Cohort, Delivery, PeerFeedback, PeerRound, Person
from bot.storage.repository import Session, identities_of, responses_of
from content.model import Program

PREFIX: Final = "k:"  # the case buttons' values: bot/flows/coaching.py
POST: Final = "case_post"
RELAY: Final = "case_relay"
NOTICE: Final = "case_notice"
KINDS: Final = (POST, RELAY, NOTICE)
SHARED_REFLECTIONS: Final = 3  # the learner's latest reflections a coach sees, when shared


def rating_choices(case_id: int) -> tuple[Choice, ...]:
    # Stars, not digits: in the console a typed number is a button's key, and a label "4"
    # beside the key [9] would invite the wrong press.
    return tuple(Choice("★" * n, f"{PREFIX}rate:{case_id}:{n}") for n in range(1, 6))


async def post_case(session: Session, case: CoachCase, cohort: Cohort, *, now: datetime) -> int:
    """Post a newly opened case to the coaches' rooms, or to each coach; the number of posts."""
    assert case.id is not None
    rows = [
        outbox.NewRow(
            f"case:{case.id}:post:room:{platform}",
            None,
            None,
            POST,
            {"case": case.id, "to": [platform, room]},
        )
        for platform, room in sorted(cohort.coach_room.items())
    ]
    if not rows:
        coaches = await cases.coaches_of(session, cohort.id)
        rows = [
            outbox.NewRow(f"case:{case.id}:post:{coach.id}", coach.id, None, POST, {"case": case.id})
            for coach, _ in coaches
        ]
    await outbox.enqueue_all(session, rows, now=now)
    return len(rows)


async def edit_posts(
    session: Session, case: CoachCase, cohort: Cohort, *, now: datetime, because: str
) -> int:
    """Show the case's state now in every post a platform has; the number of edits written.
    `because` names the event that changed it (a case claimed, handed back and claimed again
    edits its posts each time)."""
    assert case.id is not None
    rows = []
    for post in await cases.sent_posts(session, case.id, kind=POST):
        chat = await _chat_of(session, post, cohort)
        if chat is None or post.platform is None:
            continue  # the room was renamed away, or the coach left that platform: nothing to edit
        payload = {"case": case.id, "replaces": post.platform_message_id, "to": [post.platform, chat]}
        rows.append(
            outbox.NewRow(f"case:{case.id}:edit:{post.id}:{because}", post.person_id, None, POST, payload)
        )
    await outbox.enqueue_all(session, rows, now=now)
    return len(rows)


async def _chat_of(session: Session, post: Delivery, cohort: Cohort) -> str | None:
    """Where a sent post is: the room of its platform, or its coach's chat there."""
    if post.person_id is None:
        return cohort.coach_room.get(post.platform or "")
    for identity in await identities_of(session, post.person_id):
        if identity.platform == post.platform:
            return identity.external_id
    return None


def coaching_kinds(programs: Mapping[str, Program]) -> list[DeliveryKind]:
    """The case's rows: posts to coaches, relayed messages, notices."""

    async def render_post(session: Session, delivery: Delivery) -> Reply | None:
        case = await session.get(CoachCase, delivery.payload.get("case"))
        if case is None:
            return None
        language = await language_of(session, delivery.person_id, case, programs)
        title, text = await _post_text(session, case, language, programs)
        replaces = delivery.payload.get("replaces")
        if case.status == cases.OPEN:
            claim = Choice(translate(language, "coach.claim"), f"{PREFIX}claim:{case.id}")
            reply = Reply(text, (claim,), replaces=replaces)
        else:  # taken: the others see by whom, and nobody but its coach sees the details any more
            reply = Reply(f"{title}\n\n{await _state_line(session, case, language)}", replaces=replaces)
        if delivery.person_id is None:
            return reply
        return await with_prompt(session, delivery, reply, shown_again=title)

    async def render_relay(session: Session, delivery: Delivery) -> Reply | None:
        message = await session.get(CaseMessage, delivery.payload.get("message"))
        if message is None or delivery.person_id is None:
            return None
        case = await session.get(CoachCase, message.case_id)
        if case is None:
            return None
        author = await session.get(Person, message.author_id) if message.author_id is not None else None
        language = await language_of(session, delivery.person_id, case, programs)
        role = translate(language, f"coach.role.{message.author_role}")
        name = author.name if author is not None else "?"
        return Reply(f"**{verbatim(name)}** ({role}, #{message.case_id}):\n\n{verbatim(message.text)}")

    async def render_notice(session: Session, delivery: Delivery) -> Reply | None:
        case = await session.get(CoachCase, delivery.payload.get("case"))
        if case is None or delivery.person_id is None:
            return None
        language = await language_of(session, delivery.person_id, case, programs)
        coach = await session.get(Person, case.coach_id) if case.coach_id is not None else None
        learner = await session.get(Person, case.person_id)
        by = await session.get(Person, delivery.payload["by"]) if "by" in delivery.payload else None
        text = translate(
            language,
            str(delivery.payload.get("say")),
            case=case.id,
            coach=verbatim(coach.name) if coach else "?",
            learner=verbatim(learner.name) if learner else "?",
            by=verbatim(by.name) if by else "?",
        )
        assert case.id is not None
        choices = rating_choices(case.id) if delivery.payload.get("rate") else ()
        return await with_prompt(session, delivery, Reply(text, choices))

    return [
        DeliveryKind(POST, render_post, urgent=True),
        DeliveryKind(RELAY, render_relay, urgent=True),
        DeliveryKind(NOTICE, render_notice, urgent=True),
    ]


async def _state_line(session: Session, case: CoachCase, language: str) -> str:
    if case.status == cases.CLAIMED:
        coach = await session.get(Person, case.coach_id) if case.coach_id is not None else None
        return translate(language, "coach.post.claimed_by", coach=verbatim(coach.name) if coach else "?")
    return translate(language, "coach.post.closed")


async def _post_text(
    session: Session, case: CoachCase, language: str, programs: Mapping[str, Program]
) -> tuple[str, str]:
    """What a coach sees of a new case: its title line, and the whole post (who, where they
    are in the programme, what it is about, the reflections they chose to share)."""
    learner = await session.get(Person, case.person_id)
    name = verbatim(learner.name if learner else "?")
    title = translate(language, "coach.post.title", case=case.id, learner=name)
    lines = [title]
    loaded = await load_current_learner(session, case.person_id, programs)
    responses = list(await responses_of(session, loaded.enrolment_id)) if loaded is not None else []
    if loaded is not None:
        summary = await summarize(session, loaded, now=case.opened_at)
        last = max((r.created_at for r in responses), default=None)
        when = last.astimezone(ZoneInfo(loaded.timezone)).strftime("%Y-%m-%d") if last else "-"
        values = {"program": loaded.program.title, "done": summary.done, "total": summary.total, "last": when}
        lines.append(translate(language, "coach.post.progress", **values))
    no_description = translate(language, "coach.post.no_description")
    lines.append(translate(language, "coach.post.about", about=verbatim(case.description) or no_description))
    lines += await _reported_feedback(session, case, language, programs)
    reflections = [r.text for r in responses if r.kind == "reflection" and r.text][-SHARED_REFLECTIONS:]
    if case.shares_reflections and reflections:
        lines.append(translate(language, "coach.post.reflections"))
        # Each in its own paragraph: inside a list, Slack would still read the writer's * and _.
        lines += [verbatim(text) for text in reflections]
    return title, "\n\n".join(lines)


async def _reported_feedback(
    session: Session, case: CoachCase, language: str, programs: Mapping[str, Program]
) -> list[str]:
    """A report of peer feedback: who gave it and its words, for the cohort's coaches only."""
    if case.peer_feedback_id is None:
        return []
    feedback = await session.get(PeerFeedback, case.peer_feedback_id)
    formed = await session.get(PeerRound, feedback.round_id) if feedback is not None else None
    cohort = await session.get(Cohort, case.cohort_id)
    program = programs.get(cohort.program_id) if cohort is not None else None
    if feedback is None or formed is None or program is None:
        return []
    giver = await session.get(Person, feedback.giver_id)
    questions = program.peer_prompts(program.intervention(formed.intervention_id))
    heading = translate(language, "peer.report.post", giver=verbatim(giver.name) if giver else "?")
    return [heading, questions_and_answers(questions, feedback.answers)]


async def language_of(
    session: Session, person_id: int | None, case: CoachCase, programs: Mapping[str, Program]
) -> str:
    """The recipient's own language, else the language of the case's programme (a coach of an
    English cohort has no language on the roster, a room has none)."""
    person = await session.get(Person, person_id) if person_id is not None else None
    if person is not None and person.language:
        return person.language
    cohort = await session.get(Cohort, case.cohort_id)
    program = programs.get(cohort.program_id) if cohort is not None else None
    return program.language if program is not None else "nl"
