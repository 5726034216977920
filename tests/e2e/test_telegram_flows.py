"""The learner's everyday flows in Telegram, end to end: a quiz, a reflection, the menu, and a
pause. The real App and TelegramAdapter against the fake Bot API; time moves on a FrozenClock."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from bot.i18n import translate
from content.model import Program
from tests.e2e.telegram_chat import Button, TelegramChat

ANNA = "anna@acme.example"  # feedback-geven, Dutch
ALEX = "demo.en@coachbot.example"  # delegation, English
REFLECTION = "I want to hand the weekly report to Sam and stop rewriting it myself."


async def _due_at(chat: TelegramChat, intervention_id: str) -> datetime:
    """When the intervention's (first) planned row falls due."""
    rows = [row for row in await chat.deliveries(intervention_id) if row.status == "planned"]
    assert rows, f"{intervention_id} is not planned"
    return min(row.due_at for row in rows)


def _keyboard(chat: TelegramChat) -> tuple[int, list[Button]]:
    """The newest message with buttons: its id and its buttons."""
    keyboard = chat.keyboard()
    assert keyboard is not None, "no message with buttons"
    return keyboard


async def test_a_quiz_gives_feedback_and_an_old_keyboard_changes_nothing(
    telegram: TelegramChat, programs: dict[str, Program]
) -> None:
    quiz = programs["feedback-geven"].intervention("quiz-waarnemen")
    first, second, third = quiz.questions
    await telegram.join(ANNA, first_name="Anna")
    arrived = await telegram.live_until(await _due_at(telegram, "quiz-waarnemen"))
    assert arrived[-1].startswith(f"{quiz.title}\n\n")
    assert f"Vraag 1/{len(quiz.questions)}: {first.text}" in arrived[-1]
    question_one, first_buttons = _keyboard(telegram)
    assert [button.label for button in first_buttons] == [option.text for option in first.options]

    right = next(i for i, option in enumerate(first.options) if option.correct)
    said = await telegram.press(question_one, first_buttons[right].value, replies=2)
    assert said[0] == f"✅ Juist!\n\n{first.options[right].feedback}"
    assert said[1].startswith(f"Vraag 2/{len(quiz.questions)}: {second.text}")
    pressed = telegram.message(question_one)
    assert (pressed.text or "").endswith(f"\n\n✓ {first.options[right].text}")
    assert pressed.reply_markup is None

    question_two, buttons = _keyboard(telegram)
    wrong = next(i for i, option in enumerate(second.options) if not option.correct)
    said = await telegram.press(question_two, buttons[wrong].value, replies=2)
    right_answer = next(option.text for option in second.options if option.correct)
    assert said[0] == (
        f"❌ Niet helemaal.\n\n{second.options[wrong].feedback}\n\nHet goede antwoord: “{right_answer}”"
    )
    assert said[1].startswith(f"Vraag 3/{len(quiz.questions)}: {third.text}")
    assert len(await telegram.responses(quiz.id)) == 2

    # The first question's button again: a second tap, or a client that missed the edit.
    shown = telegram.texts()
    said = await telegram.press(question_one, first_buttons[right].value, replies=1, edited=False)
    assert said == ["Die had je al beantwoord."]
    assert telegram.callback_notices()[-1] == "Die had je al beantwoord."
    assert telegram.texts()[: len(shown)] == shown  # nothing was edited
    assert [(row.step, row.value) for row in await telegram.responses(quiz.id)] == [
        (0, str(right)),
        (1, str(wrong)),
    ]

    # The quiz goes on where it was: the last answer closes it with the score.
    question_three, buttons = _keyboard(telegram)
    right = next(i for i, option in enumerate(third.options) if option.correct)
    said = await telegram.press(question_three, buttons[right].value, replies=2)
    assert said == [
        f"✅ Juist!\n\n{third.options[right].feedback}",
        f"Dat was de quiz: 2 van de {len(quiz.questions)} goed. Goed gedaan!",
    ]
    assert len(await telegram.responses(quiz.id)) == 3


async def test_a_reflection_is_stored_privately_and_acknowledged(
    telegram_en: TelegramChat, programs: dict[str, Program], caplog: pytest.LogCaptureFixture
) -> None:
    # Logging as `coachbot run` sets it up at its most talkative: Coachbot's own loggers at
    # DEBUG, the libraries (whose debug output carries request bodies) at WARNING.
    caplog.set_level(logging.WARNING)
    for ours in ("bot", "scheduler"):
        caplog.set_level(logging.DEBUG, logger=ours)
    goal = programs["delegation"].intervention("your-goal")
    await telegram_en.join(ALEX, first_name="Alex")
    await telegram_en.finish_kickoff()  # the goal question follows the finished insight test
    arrived = await telegram_en.live_until(await _due_at(telegram_en, goal.id))
    assert arrived[-1].startswith(f"{goal.title}\n\n")
    assert arrived[-1].endswith("Type your answer as a message. Only you can read it back, with /journal.")

    said = await telegram_en.say(REFLECTION)
    assert said == [translate("en", "reflection.thanks")]
    stored = await telegram_en.responses(goal.id)
    assert [(row.kind, row.text) for row in stored] == [("reflection", REFLECTION)]

    journal = await telegram_en.say("/journal")
    assert journal[0].startswith("Your journal (only you can see this)")
    assert REFLECTION in journal[0]
    assert REFLECTION not in caplog.text  # personal text never reaches a log

    # The reflection was answered: more text is not stored as a second answer.
    said = await telegram_en.say("And one more thing.")
    assert said == [translate("en", "fallback")]
    assert len(await telegram_en.responses(goal.id)) == 1


async def test_the_menu_plans_a_chosen_module_and_cancels_it_when_removed(
    telegram_en: TelegramChat, programs: dict[str, Program]
) -> None:
    program = programs["delegation"]
    await telegram_en.join(ALEX, first_name="Alex")
    menu = await telegram_en.say("/menu")
    assert menu[0].startswith(f"Your path in {program.title}")
    message_id, buttons = _keyboard(telegram_en)
    assert [button.value for button in buttons] == [f"m:{item.id}" for item in program.optional]
    assert [button.label for button in buttons] == [f"Add: {item.title}" for item in program.optional]
    module = program.optional[0]
    assert await telegram_en.deliveries(module.id) == []

    said = await telegram_en.press(message_id, buttons[0].value, replies=1)
    assert said == [f"Added “{module.title}” to your path. I'll send it at the right moment."]
    assert telegram_en.edits()[-1].endswith(f"\n\n✓ Add: {module.title}")
    planned = await telegram_en.deliveries(module.id)
    assert [row.status for row in planned] == ["planned"]

    await telegram_en.say("/menu")
    message_id, buttons = _keyboard(telegram_en)
    assert buttons[0].label == f"Remove: {module.title}"
    said = await telegram_en.press(message_id, buttons[0].value, replies=1)
    assert said == [f"Removed “{module.title}” from your path."]
    assert [(row.key, row.status) for row in await telegram_en.deliveries(module.id)] == [
        (planned[0].key, "cancelled")
    ]
    # Its day comes and goes without it.
    arrived = await telegram_en.live_until(planned[0].due_at)
    assert arrived
    assert all(module.title not in text for text in arrived)


async def test_nothing_arrives_while_paused_and_resume_offers_what_was_missed(
    telegram: TelegramChat, programs: dict[str, Program]
) -> None:
    program = programs["feedback-geven"]
    await telegram.join(ANNA, first_name="Anna")
    sends_before = len(telegram.api.calls_to("sendMessage"))
    assert await telegram.say("/pause") == [translate("nl", "pause.done")]

    after_the_quiz = await _due_at(telegram, "quiz-waarnemen") + timedelta(hours=1)
    assert await telegram.live_until(after_the_quiz) == []
    to_anna = [
        call for call in telegram.api.calls_to("sendMessage")[sends_before:] if call.chat_id == telegram.chat
    ]
    assert [call.params["text"] for call in to_anna] == [translate("nl", "pause.done")]

    said = await telegram.say("/resume", replies=2)
    assert said[0] == translate("nl", "resume.done")
    message_id, buttons = _keyboard(telegram)
    missed = [program.intervention(button.value.removeprefix("c:")) for button in buttons]
    # ("leerdoel" follows the kick-off test once finished: Anna paused before finishing it)
    assert [item.id for item in missed] == ["voorbereiding-s1", "sbi-model", "quiz-waarnemen"]
    assert all(item.required for item in missed)
    intro = translate("nl", "catch_up.intro", count=len(missed))
    assert said[1] == intro + "\n\n" + "\n".join(f"• {item.title}" for item in missed)

    said = await telegram.press(message_id, buttons[2].value, replies=2)
    assert said[0] == translate("nl", "catch_up.coming")
    assert said[1].startswith(f"{missed[2].title}\n\n")

    # What comes after the pause arrives at its time.
    practice = program.intervention("oefening-positieve-feedback")
    arrived = await telegram.live_until(await _due_at(telegram, practice.id))
    assert [text.split("\n", 1)[0] for text in arrived] == [practice.title]
