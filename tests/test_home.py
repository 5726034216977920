"""The home view: the pure builder (`learner_home` from `HomeFacts`), and `home_for` reading a
learner's real state after the kick-off, through the App on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.home import HomeSection, HomeView
from bot.domain.messages import Identity
from bot.flows import choices
from bot.flows.home import HomeFacts, Upcoming, home_for, learner_home, stranger_home, when_text
from bot.flows.progress import ProgressSummary
from bot.flows.turn import Learner
from bot.i18n import translate
from bot.storage.models import Cohort, Enrolment, Person
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import demo_app
from tests.fakes.memory_adapter import MemoryAdapter

STARTED = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def learner(
    program: Program,
    *,
    language: str = "nl",
    timezone: str = "Europe/Amsterdam",
    chosen: tuple[str, ...] = (),
    started: bool = True,
    paused: bool = False,
) -> Learner:
    return Learner(
        person=Person(id=1, email="anna@acme.example", name="Anna", language=language, timezone=timezone),
        enrolment=Enrolment(
            id=1,
            cohort_id="c",
            person_id=1,
            chosen=list(chosen),
            development_points=["timing"],
            started_at=STARTED if started else None,
            paused_at=STARTED if paused else None,
        ),
        cohort=Cohort(id="c", program_id=program.id, timezone="Europe/Amsterdam", sessions={}),
        program=program,
    )


def facts(who: Learner, **extra: object) -> HomeFacts:
    values: dict[str, object] = {
        "progress": ProgressSummary(done=0, open=0, total=20, streak=0),
        "upcoming": (),
    }
    values.update(extra)
    return HomeFacts(learner=who, **values)  # type: ignore[arg-type]


def section(view: HomeView, heading: str) -> HomeSection:
    return next(part for part in view.sections if part.heading == heading)


@pytest.fixture
def feedback(programs: dict[str, Program]) -> Program:
    return programs["feedback-geven"]


def test_progress_names_what_is_done_and_the_streak(feedback: Program) -> None:
    sbi, quiz = feedback.interventions[3], feedback.interventions[4]
    summary = ProgressSummary(done=5, open=2, total=24, streak=3, recently_done=(quiz.id, sbi.id))

    view = learner_home(facts(learner(feedback), progress=summary))

    assert view.title == feedback.title
    assert section(view, "Je voortgang").lines == (
        "Gedaan: 5 van de 24 onderdelen van je leerpad",
        "Wacht op jou: 2",
        f"Onlangs gedaan: {quiz.title}, {sbi.title}",
        "Reeks: 3 actieve week/weken op rij",
    )


def test_a_finished_path_is_congratulated(feedback: Program) -> None:
    summary = ProgressSummary(done=24, open=0, total=24, streak=1)

    view = learner_home(facts(learner(feedback, language="en"), progress=summary))

    assert translate("en", "progress.complete") in section(view, "Your progress").lines


def test_kick_off_scores_alone_then_before_and_after_once_the_closing_test_is_done(feedback: Program) -> None:
    kickoff = {"timing": 2.5, "doorvragen": 4.0}
    closing = {"timing": 3.5, "doorvragen": 4.0, "feedforward": 3.0}

    after_kickoff = learner_home(facts(learner(feedback), kickoff_scores=kickoff))
    after_closing = learner_home(facts(learner(feedback), kickoff_scores=kickoff, closing_scores=closing))

    assert section(after_kickoff, "Je voortgang").lines[-3:] == (
        translate("nl", "home.scores.kickoff"),
        "- timing: 2.5",
        "- doorvragen: 4.0",
    )
    assert section(after_closing, "Je voortgang").lines[-4:] == (
        translate("nl", "home.scores.compare"),
        "- timing: 2.5 → 3.5 (+1.0)",
        "- doorvragen: 4.0 → 4.0 (+0.0)",
        "- feedforward: 3.0",
    )


def test_no_scores_before_the_kick_off_test_is_done(feedback: Program) -> None:
    view = learner_home(facts(learner(feedback)))

    assert not any("→" in line or "scores" in line for line in section(view, "Je voortgang").lines)


def test_what_comes_next_has_titles_and_local_times_in_the_learners_language(feedback: Program) -> None:
    sbi, quiz = feedback.interventions[3], feedback.interventions[4]
    coming = (
        Upcoming(sbi.id, datetime(2027, 1, 12, 8, 0, tzinfo=UTC)),
        Upcoming(quiz.id, datetime(2027, 7, 1, 12, 30, tzinfo=UTC)),  # summer time
    )

    dutch = learner_home(facts(learner(feedback), upcoming=coming))
    english = learner_home(facts(learner(feedback, language="en", timezone="Europe/London"), upcoming=coming))

    assert section(dutch, "Hierna").lines == (
        f"- di 12 jan, 09:00: {sbi.title}",
        f"- do 1 jul, 14:30: {quiz.title}",
    )
    assert section(english, "Coming up").lines == (
        f"- Tue 12 Jan, 08:00: {sbi.title}",
        f"- Thu 1 Jul, 13:30: {quiz.title}",
    )


def test_nothing_coming_says_so(feedback: Program) -> None:
    view = learner_home(facts(learner(feedback, language="en")))

    assert section(view, "Coming up").lines == (translate("en", "home.next.none"),)


def test_the_menu_has_an_add_or_remove_button_per_optional_module_with_the_menus_values(
    feedback: Program,
) -> None:
    first, second = feedback.optional[0], feedback.optional[1]

    view = learner_home(facts(learner(feedback, chosen=(first.id,))))

    menu = section(view, "Je keuzemodules")
    assert len(menu.choices) == len(feedback.optional)
    assert menu.choices[0].value == choices.toggle(first.id)
    assert menu.choices[0].label == translate("nl", "menu.remove", title=first.title)
    assert menu.choices[1].label == translate("nl", "menu.add", title=second.title)
    assert menu.lines[0].startswith(f"- ☑ {first.title}")
    assert menu.lines[1].startswith(f"- ☐ {second.title}")
    assert view.choices == menu.choices  # the menu's are the only buttons


def test_a_paused_learner_sees_the_pause_and_no_buttons(feedback: Program) -> None:
    coming = (Upcoming(feedback.interventions[3].id, datetime(2027, 1, 12, 8, 0, tzinfo=UTC)),)

    view = learner_home(facts(learner(feedback, paused=True), upcoming=coming))

    assert section(view, "Hierna").lines == (translate("nl", "home.paused"),)
    assert view.choices == ()
    assert section(view, "Je keuzemodules").lines[-1] == translate("nl", "home.menu.later")


def test_a_learner_who_has_not_started_is_told_how_to_begin(feedback: Program) -> None:
    view = learner_home(facts(learner(feedback, started=False)))

    assert section(view, "Hierna").lines[0] == translate("nl", "home.not_started")
    assert view.choices == ()


def test_a_stranger_is_told_how_to_join_in_both_languages() -> None:
    view = stranger_home()

    assert [part.lines for part in view.sections] == [
        (translate("nl", "home.stranger"),),
        (translate("en", "home.stranger"),),
    ]
    assert view.choices == ()


def test_when_text_uses_the_timezone_and_language() -> None:
    moment = datetime(2027, 3, 28, 9, 15, tzinfo=UTC)  # the day summer time starts in Europe

    assert when_text(moment, language="nl", timezone="Europe/Amsterdam") == "zo 28 mrt, 11:15"
    assert when_text(moment, language="en", timezone="America/New_York") == "Sun 28 Mar, 05:15"


async def test_home_for_reads_the_learners_progress_and_kick_off_scores(
    tmp_path: Path, programs: dict[str, Program], clock: FrozenClock
) -> None:
    adapter = MemoryAdapter()
    async with demo_app(tmp_path, programs, clock, adapter) as app:
        assert app.home is None  # no adapter here shows a home: nothing is refreshed
        await adapter.say("anna@acme.example", "hallo", at=clock.now())
        await app.dispatcher.run_due()
        while (buttons := adapter.sent[-1].choices) and buttons[0].value.startswith("a:"):
            await adapter.say("anna@acme.example", "", at=clock.now(), choice=buttons[1].value)
            await app.dispatcher.run_due()
        async with app.database.transaction() as session:
            view = await home_for(
                session, Identity("console", "anna@acme.example"), programs, now=clock.now()
            )
            unknown = await home_for(
                session, Identity("console", "nobody@acme.example"), programs, now=clock.now()
            )

    progress = section(view, "Je voortgang").lines
    kickoff = programs["feedback-geven"].kickoff
    assert kickoff is not None
    assert progress[0] == "Gedaan: 1 van de 24 onderdelen van je leerpad"
    assert progress[1] == f"Onlangs gedaan: {kickoff.title}"
    assert progress[2] == "Reeks: 1 actieve week/weken op rij"
    assert translate("nl", "home.scores.kickoff") in progress
    competencies = set(kickoff.competencies)
    score_rows = progress[progress.index(translate("nl", "home.scores.kickoff")) + 1 :]
    assert {row.removeprefix("- ").split(":")[0] for row in score_rows} == competencies
    assert all(row.endswith(": 2.0") for row in score_rows)  # every statement answered with the 2nd score
    assert unknown == stranger_home()
