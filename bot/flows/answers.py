"""What a learner's presses and free text do to their interventions."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.messages import Choice
from bot.flows import choices
from bot.flows.delivering import assessment_statement, quiz_question
from bot.flows.planning import replan
from bot.flows.scoring import compare, competency_scores, development_points
from bot.flows.turn import Learner, Turn
from bot.storage import outbox, prompts
from bot.storage.models import Delivery, Progress, Prompt, Response
from bot.storage.repository import assessment_answers, ensure_progress
from content.model import Intervention

REMIND_AFTER = timedelta(hours=3)


async def press_delivery(turn: Turn, learner: Learner, action: choices.DeliveryAction) -> None:
    """ "Done" or "later" on a tip, practice or peer-feedback message."""
    delivery = await turn.session.get(Delivery, action.delivery_id)
    if delivery is None or delivery.enrolment_id != learner.enrolment_id or delivery.intervention_id is None:
        turn.decline("stale.press")
        return
    progress = await ensure_progress(
        turn.session,
        enrolment_id=learner.enrolment_id,
        intervention_id=delivery.intervention_id,
        occurrence=delivery.occurrence,
    )
    if progress.done_at is not None:
        turn.decline("stale.already_done")
        return
    intervention = learner.program.intervention(delivery.intervention_id)
    if action.action == "done":
        await _complete(turn, learner, intervention, progress)
        return
    await _remind_later(turn, learner, delivery_id=action.delivery_id, progress=progress)


async def answer(turn: Turn, learner: Learner, pressed: choices.Answer) -> None:
    """A quiz option or an assessment score."""
    progress = await turn.session.get(Progress, pressed.progress_id)
    if progress is None or progress.enrolment_id != learner.enrolment_id:
        turn.decline("stale.press")
        return
    if progress.done_at is not None or progress.step != pressed.step:
        turn.decline("stale.already_answered")
        return
    intervention = learner.program.intervention(progress.intervention_id)
    if pressed.kind == "q":
        await _answer_quiz(turn, learner, intervention, progress, pressed.option)
    else:
        await _answer_assessment(turn, learner, intervention, progress, pressed.option)


async def reflect(turn: Turn, learner: Learner, text: str, prompt: Prompt) -> bool:
    """Store free text as the answer to the reflection `prompt` asked for; False if that prompt
    asks for something else (not a reflection of this enrolment)."""
    purpose = prompt.purpose
    if purpose.get("enrolment") != learner.enrolment_id or "reflection" not in purpose:
        return False
    intervention = learner.program.intervention(str(purpose["reflection"]))
    progress = await ensure_progress(
        turn.session,
        enrolment_id=learner.enrolment_id,
        intervention_id=intervention.id,
        occurrence=str(purpose.get("occurrence", "")),
    )
    turn.session.add(
        Response(
            enrolment_id=learner.enrolment_id,
            intervention_id=intervention.id,
            kind="reflection",
            text=text,
            created_at=turn.now,
        )
    )
    prompts.close(prompt, now=turn.now)
    turn.session.add(prompt)
    turn.say("reflection.thanks")
    if progress.done_at is None:
        await _mark_done(turn, learner, progress)
    return True


async def _complete(turn: Turn, learner: Learner, intervention: Intervention, progress: Progress) -> None:
    turn.session.add(
        Response(
            enrolment_id=learner.enrolment_id,
            intervention_id=intervention.id,
            kind=intervention.type,
            value="done",
            created_at=turn.now,
        )
    )
    turn.chosen_label = turn.text(f"button.done.{intervention.type}")
    turn.say(f"done.{intervention.type}")
    await _mark_done(turn, learner, progress)


async def _mark_done(turn: Turn, learner: Learner, progress: Progress) -> None:
    progress.done_at = turn.now
    turn.session.add(progress)
    await replan(turn.session, learner, now=turn.now)


async def _remind_later(turn: Turn, learner: Learner, *, delivery_id: int, progress: Progress) -> None:
    due = learner.next_sendable(turn.now + REMIND_AFTER)
    assert learner.person.id is not None
    added = await outbox.enqueue(
        turn.session,
        key=f"later:{delivery_id}",
        person_id=learner.person.id,
        kind="reminder",
        due_at=due,
        enrolment_id=learner.enrolment_id,
        intervention_id=progress.intervention_id,
        occurrence=progress.occurrence,
    )
    if not added:
        turn.decline("stale.already_later")
        return
    turn.chosen_label = turn.text("button.later")
    turn.say("later.ok")


async def _answer_quiz(
    turn: Turn, learner: Learner, intervention: Intervention, progress: Progress, option_index: int
) -> None:
    question = intervention.questions[progress.step]
    if not 0 <= option_index < len(question.options):
        turn.decline("stale.press")
        return
    option = question.options[option_index]
    turn.session.add(
        Response(
            enrolment_id=learner.enrolment_id,
            intervention_id=intervention.id,
            kind="quiz",
            step=progress.step,
            value=str(option_index),
            created_at=turn.now,
        )
    )
    turn.chosen_label = option.text
    verdict = turn.text("quiz.correct" if option.correct else "quiz.incorrect")
    lines = [verdict, option.feedback or ""]
    if not option.correct:
        right = ", ".join(f"“{o.text}”" for o in question.options if o.correct)
        lines.append(turn.text("quiz.right_answer", answer=right))
    progress.state = {**progress.state, "correct": int(progress.state.get("correct", 0)) + option.correct}
    progress.step += 1
    turn.session.add(progress)
    turn.send_text("\n\n".join(line for line in lines if line))
    if progress.step < len(intervention.questions):
        text, buttons = quiz_question(learner.language, intervention, progress=progress)
        turn.send_text(text, buttons)
        return
    score = int(progress.state["correct"])
    turn.say("quiz.finished", correct=score, total=len(intervention.questions))
    await _mark_done(turn, learner, progress)


async def _answer_assessment(
    turn: Turn, learner: Learner, intervention: Intervention, progress: Progress, score: int
) -> None:
    if not 0 <= score < len(intervention.scale):
        turn.decline("stale.press")
        return
    statement = intervention.statements[progress.step]
    turn.session.add(
        Response(
            enrolment_id=learner.enrolment_id,
            intervention_id=intervention.id,
            kind="assessment",
            step=progress.step,
            value=str(score + 1),
            competency=statement.competency,
            created_at=turn.now,
        )
    )
    turn.chosen_label = intervention.scale[score]
    progress.step += 1
    turn.session.add(progress)
    if progress.step < len(intervention.statements):
        text, buttons = assessment_statement(learner.language, intervention, progress=progress)
        turn.send_text(text, buttons)
        return
    await turn.session.flush()
    if intervention.closing:
        await _show_comparison(turn, learner, intervention)
    else:
        await _show_development_points(turn, learner, intervention)
    await _mark_done(turn, learner, progress)


async def scores_of(turn: Turn, learner: Learner, intervention: Intervention) -> dict[str, float]:
    answers = await assessment_answers(
        turn.session, enrolment_id=learner.enrolment_id, intervention_id=intervention.id
    )
    return competency_scores((a.competency or "", int(a.value or 0)) for a in answers)


async def _show_development_points(turn: Turn, learner: Learner, intervention: Intervention) -> None:
    scores = await scores_of(turn, learner, intervention)
    points = development_points(scores)
    learner.enrolment.development_points = points
    turn.session.add(learner.enrolment)
    lines = [turn.text("kickoff.result")]
    lines += [f"- {competency}: {scores[competency]:.1f}/{len(intervention.scale)}" for competency in points]
    matching = [
        item
        for item in learner.program.optional
        if set(item.competencies) & set(points) and item.id not in learner.enrolment.chosen
    ]
    buttons: tuple[Choice, ...] = ()
    if matching:
        lines.append(turn.text("kickoff.suggestions"))
        lines += [f"- {item.title}" for item in matching]
        buttons = tuple(
            Choice(turn.text("menu.add", title=item.title), choices.toggle(item.id)) for item in matching
        )
    lines.append(turn.text("kickoff.menu_hint"))
    turn.send_text("\n".join(lines), buttons)


async def _show_comparison(turn: Turn, learner: Learner, closing: Intervention) -> None:
    kickoff = learner.program.kickoff
    before = await scores_of(turn, learner, kickoff) if kickoff is not None else {}
    after = await scores_of(turn, learner, closing)
    lines = [turn.text("closing.result")]
    for row in compare(before, after):
        if row.before is None or row.change is None:
            lines.append(turn.text("closing.row_new", competency=row.competency, after=f"{row.after:.1f}"))
            continue
        lines.append(
            turn.text(
                "closing.row",
                competency=row.competency,
                before=f"{row.before:.1f}",
                after=f"{row.after:.1f}",
                change=f"{row.change:+.1f}",
            )
        )
    turn.send_text("\n".join(lines))
