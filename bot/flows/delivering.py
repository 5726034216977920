"""Turning an outbox row into the message a learner sees, and what follows once it is sent.

Planned rows carry only *what* to send (an intervention id); the text is made at send time, in
the learner's language of that moment, and the state it opens (a quiz's first question, a
reflection's text prompt) starts only when the platform has accepted it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bot.domain.messages import Choice, Reply
from bot.flows import choices
from bot.flows.planning import replan_after_delivery
from bot.flows.turn import Learner
from bot.i18n import translate
from bot.storage import prompts
from bot.storage.models import Delivery, Progress
from bot.storage.repository import Session, ensure_progress, progress_of
from content.model import Intervention

_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_WITH_DONE_BUTTONS = ("tip", "practice", "peer-feedback")


def reply_from_payload(payload: dict[str, object]) -> Reply:
    """A reply row's stored message."""
    raw_choices = payload.get("choices") or []
    assert isinstance(raw_choices, list)
    images = payload.get("images") or []
    assert isinstance(images, list)
    return Reply(
        text=str(payload.get("text", "")),
        choices=tuple(Choice(*(str(part) for part in choice)) for choice in raw_choices),
        images=tuple(str(image) for image in images),
    )


def payload_of(reply: Reply) -> dict[str, object]:
    return {
        "text": reply.text,
        "choices": [[choice.label, choice.value, choice.key] for choice in reply.choices],
        "images": list(reply.images),
    }


async def render_delivery(session: Session, learner: Learner, delivery: Delivery) -> Reply:
    """The message for a planned, reminder or catch-up row."""
    if delivery.kind == "catch_up":
        return _catch_up_offer(learner, delivery)
    assert delivery.intervention_id is not None
    assert delivery.id is not None
    intervention = learner.program.intervention(delivery.intervention_id)
    progress = await ensure_progress(
        session,
        enrolment_id=learner.enrolment_id,
        intervention_id=intervention.id,
        occurrence=delivery.occurrence,
    )
    return intervention_message(learner, intervention, progress=progress, delivery_id=delivery.id)


def intervention_message(
    learner: Learner, intervention: Intervention, *, progress: Progress, delivery_id: int
) -> Reply:
    text, images = _split_images(intervention)
    language = learner.language
    parts = [f"**{intervention.title}**", text]
    buttons: tuple[Choice, ...] = ()
    if intervention.type in _WITH_DONE_BUTTONS:
        buttons = (
            Choice(translate(language, f"button.done.{intervention.type}"), choices.done(delivery_id)),
            Choice(translate(language, "button.later"), choices.later(delivery_id)),
        )
    elif intervention.type == "reflection":
        parts.append(translate(language, "reflection.prompt"))
    elif intervention.type == "quiz":
        question, buttons = quiz_question(language, intervention, progress=progress)
        parts.append(question)
    elif intervention.type == "assessment":
        statement, buttons = assessment_statement(language, intervention, progress=progress)
        parts.append(statement)
    return Reply("\n\n".join(part for part in parts if part), buttons, images)


def quiz_question(
    language: str, intervention: Intervention, *, progress: Progress
) -> tuple[str, tuple[Choice, ...]]:
    """The question the learner is at, with its options as buttons."""
    question = intervention.questions[progress.step]
    labels = tuple(option.text for option in question.options)
    return _step(
        kind="q",
        heading_key="quiz.question",
        language=language,
        total=len(intervention.questions),
        text=question.text,
        labels=labels,
        progress=progress,
    )


def assessment_statement(
    language: str, intervention: Intervention, *, progress: Progress
) -> tuple[str, tuple[Choice, ...]]:
    """The statement the learner is at, with the scale as buttons."""
    statement = intervention.statements[progress.step]
    return _step(
        kind="a",
        heading_key="assessment.statement",
        language=language,
        total=len(intervention.statements),
        text=statement.text,
        labels=intervention.scale,
        progress=progress,
    )


def _step(
    *,
    kind: str,
    heading_key: str,
    language: str,
    total: int,
    text: str,
    labels: tuple[str, ...],
    progress: Progress,
) -> tuple[str, tuple[Choice, ...]]:
    assert progress.id is not None
    heading = translate(language, heading_key, number=progress.step + 1, total=total)
    buttons = tuple(
        Choice(label, choices.answer(kind, progress.id, progress.step, index))
        for index, label in enumerate(labels)
    )
    return f"{heading} {text}", buttons


async def on_delivered(session: Session, learner: Learner, delivery: Delivery, *, now: datetime) -> None:
    """State that starts once a learner has the message: delivered-at, and for a reflection a
    text prompt (what they type next answers it)."""
    if delivery.kind not in ("intervention", "reminder") or delivery.intervention_id is None:
        return
    item = (delivery.intervention_id, delivery.occurrence)
    # One read for the item's row and, should the plan need it, the whole history.
    history = list(await progress_of(session, learner.enrolment_id))
    progress = next((row for row in history if (row.intervention_id, row.occurrence) == item), None)
    if progress is None:  # rendering made it; this only keeps the hook safe on its own
        progress = await ensure_progress(
            session, enrolment_id=learner.enrolment_id, intervention_id=item[0], occurrence=item[1]
        )
        history.append(progress)
    first_delivery = progress.delivered_at is None
    if first_delivery:
        progress.delivered_at = now
        session.add(progress)
    intervention = learner.program.intervention(delivery.intervention_id)
    if intervention.type == "reflection" and progress.done_at is None:
        assert delivery.id is not None
        assert learner.person.id is not None
        asked = intervention_message(learner, intervention, progress=progress, delivery_id=delivery.id)
        await prompts.ask_text(
            session,
            person_id=learner.person.id,
            delivery_key=delivery.key,
            text=asked.text,
            purpose=learner.reflection_purpose(intervention.id, delivery.occurrence),
            now=now,
        )
    if first_delivery:
        await replan_after_delivery(session, learner, item, history, now=now)


def _catch_up_offer(learner: Learner, delivery: Delivery) -> Reply:
    items = [str(item) for item in delivery.payload.get("items", [])]
    program = learner.program
    known = [program.intervention(item) for item in items if item in {i.id for i in program.interventions}]
    lines = [translate(learner.language, "catch_up.intro", count=len(known))]
    lines += [f"- {intervention.title}" for intervention in known]
    buttons = tuple(Choice(intervention.title, choices.catch_up(intervention.id)) for intervention in known)
    return Reply("\n".join(lines), buttons)


def _split_images(intervention: Intervention) -> tuple[str, tuple[str, ...]]:
    """The body without image links, and the images as absolute file paths."""
    folder = Path(intervention.source).parent
    images = tuple(str((folder / match.group(2)).resolve()) for match in _IMAGE.finditer(intervention.body))
    return _IMAGE.sub("", intervention.body).strip(), images
