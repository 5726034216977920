"""The choice menu: required parts shown as fixed, optional modules toggled on and off."""

from __future__ import annotations

from bot.domain.messages import Choice
from bot.flows import choices
from bot.flows.planning import replan
from bot.flows.turn import Learner, Turn
from bot.i18n import translate


async def show_menu(turn: Turn, learner: Learner) -> None:
    program = learner.program
    lines = [turn.text("menu.title", program=program.title), "", turn.text("menu.required")]
    lines += [
        f"- ✔ {item.title}" for item in program.interventions if item.required and item.when is not None
    ]
    options, buttons = optional_modules(learner, turn.language)
    lines += ["", turn.text("menu.optional"), *options]
    turn.send_text("\n".join(lines), buttons)


def optional_modules(learner: Learner, language: str) -> tuple[list[str], tuple[Choice, ...]]:
    """The optional modules as Markdown lines (☑ chosen, ☐ not) and an add or remove button
    each: the same buttons in /menu and on the home view, so a press means the same."""
    chosen = set(learner.enrolment.chosen)
    points = set(learner.enrolment.development_points)
    lines: list[str] = []
    buttons: list[Choice] = []
    for item in learner.program.optional:
        mark = "☑" if item.id in chosen else "☐"
        hint = translate(language, "menu.matches") if set(item.competencies) & points else ""
        lines.append(f"- {mark} {item.title}{hint}")
        key = "menu.remove" if item.id in chosen else "menu.add"
        buttons.append(Choice(translate(language, key, title=item.title), choices.toggle(item.id)))
    if not learner.program.optional:
        lines.append(translate(language, "menu.no_options"))
    return lines, tuple(buttons)


async def toggle_option(turn: Turn, learner: Learner, intervention_id: str) -> None:
    """Choosing adds a module and plans it at once; choosing it again removes and cancels it."""
    optional = {item.id: item for item in learner.program.optional}
    item = optional.get(intervention_id)
    if item is None:
        turn.decline("stale.press")
        return
    chosen = list(learner.enrolment.chosen)
    if intervention_id in chosen:
        chosen.remove(intervention_id)
        turn.say("menu.removed", title=item.title)
        turn.chosen_label = turn.text("menu.remove", title=item.title)
    else:
        chosen.append(intervention_id)
        turn.say("menu.added", title=item.title)
        turn.chosen_label = turn.text("menu.add", title=item.title)
    learner.enrolment.chosen = chosen
    turn.session.add(learner.enrolment)
    await replan(turn.session, learner, now=turn.now)
