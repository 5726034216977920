"""A valid program loads to the expected values; invalid content raises with every problem."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from content.check import summary_line
from content.loader import ContentError, load_program, load_programs
from content.model import Option, Program, Question, SendWindow, Session, Statement
from content.when import AfterIntervention, Every, OnEnrol, Relative
from tests.content.conftest import Tree

QUIZ_MD = """\
---
title: Check yourself
type: quiz
when: 2 days after s1
competencies: [listening]
---
Two questions about listening.

## Question 1: what helps?

Pick the best one.

- [ ] Interrupting
  > That stops the other person.
- [x] Asking *open* questions
  > Yes: they invite more.
- [X] Summarising

## What do you do first?
- [x] Listen
- [ ] Talk
"""

KICKOFF_MD = """\
---
title: Where do you stand?
type: assessment
when: on enrol
kickoff: true
scale: [never, sometimes, often]
---
Rate yourself honestly.

## I let others finish their sentences.
competency: listening

## I say what I saw, not what I think of it.

competency: observing
"""

CLOSING_MD = """\
---
title: Where do you stand now?
type: assessment
when: 1 week after s2
closing: true
scale: [never, sometimes, often]
---
Once more.

## I let others finish their sentences.
competency: listening
"""


@pytest.fixture
def full(tree: Tree) -> Tree:
    tree.write(
        "demo/program.md",
        """\
        ---
        id: demo
        title: Demo
        language: nl
        sessions:
          - {id: s1, title: Kick-off}
          - {id: s2, title: Practice day}
        send_window: 09:00-17:00
        workdays: [mon, wed, fri]
        max_per_day: 3
        ---
        Welkom bij **Demo**!
        """,
    )
    tree.write(
        "demo/tip.md",
        """\
        ---
        title: Listen first
        type: tip
        when: 1 day after s1 at 09:00
        follow_up: reflect
        manager_prompt: Ask how listening went.
        ---
        Listen before you answer.

        ## Why

        Because.
        """,
    )
    tree.write(
        "demo/reflect.md",
        """\
        ---
        title: How did it go?
        type: reflection
        ---
        What did you notice when you listened first?
        """,
    )
    tree.write("demo/quiz.md", QUIZ_MD)
    tree.write("demo/tests/kickoff.md", KICKOFF_MD)
    tree.write("demo/tests/closing.md", CLOSING_MD)
    tree.write(
        "demo/zz-optional/weekly.md",
        """\
        ---
        id: weekly-practice
        title: Weekly practice
        type: practice
        required: false
        when: every monday at 10:00 from s1 until s2
        ---
        Try one open question in every meeting this week.
        """,
    )
    tree.write(
        "demo/zz-optional/later.md",
        """\
        ---
        title: Later
        type: peer-feedback
        required: no
        when: 3 days after weekly-practice
        ---
        Ask a colleague what they noticed.
        """,
    )
    return tree


def test_a_valid_program_loads_to_its_values(full: Tree) -> None:
    program = load_program(full.root / "demo")

    assert (program.id, program.title, program.language) == ("demo", "Demo", "nl")
    assert program.sessions == (Session("s1", "Kick-off"), Session("s2", "Practice day"))
    assert program.welcome == "Welkom bij **Demo**!"
    assert program.source == full.root / "demo" / "program.md"
    assert program.send_window == SendWindow(start=time(9, 0), end=time(17, 0))
    assert program.workdays == frozenset({0, 2, 4})
    assert program.max_per_day == 3
    # Path order, folder by folder: authors order interventions with name prefixes.
    assert [item.id for item in program.interventions] == [
        "quiz",
        "reflect",
        "closing",
        "kickoff",
        "tip",
        "later",
        "weekly-practice",
    ]


def test_intervention_fields_and_resolved_when(full: Tree) -> None:
    program = load_program(full.root / "demo")

    tip = program.intervention("tip")
    assert tip.when == Relative(amount=1, unit="days", direction="after", session="s1", at=time(9, 0))
    assert tip.follow_up == "reflect"
    assert tip.manager_prompt == "Ask how listening went."
    assert tip.body == "Listen before you answer.\n\n## Why\n\nBecause."  # not a quiz: all of it
    assert tip.source == full.root / "demo" / "tip.md"
    assert program.intervention("reflect").when is None
    assert program.intervention("weekly-practice").when == Every(
        weekday=0, start_session="s1", end_session="s2", at=time(10, 0)
    )
    assert program.intervention("later").when == AfterIntervention(days=3, intervention="weekly-practice")
    assert [item.id for item in program.optional] == ["later", "weekly-practice"]


def test_quiz_questions_options_and_feedback(full: Tree) -> None:
    quiz = load_program(full.root / "demo").intervention("quiz")

    assert quiz.body == "Two questions about listening."
    assert quiz.competencies == ("listening",)
    assert quiz.questions == (
        Question(
            text="Question 1: what helps?\n\nPick the best one.",
            options=(
                Option(text="Interrupting", correct=False, feedback="That stops the other person."),
                Option(text="Asking *open* questions", correct=True, feedback="Yes: they invite more."),
                Option(text="Summarising", correct=True),
            ),
        ),
        Question(
            text="What do you do first?",
            options=(Option(text="Listen", correct=True), Option(text="Talk", correct=False)),
        ),
    )


def test_assessments_statements_scale_and_tests(full: Tree) -> None:
    program = load_program(full.root / "demo")
    kickoff = program.intervention("kickoff")

    assert kickoff.when == OnEnrol()
    assert kickoff.body == "Rate yourself honestly."
    assert kickoff.scale == ("never", "sometimes", "often")
    assert kickoff.statements == (
        Statement(text="I let others finish their sentences.", competency="listening"),
        Statement(text="I say what I saw, not what I think of it.", competency="observing"),
    )
    assert kickoff.competencies == ("listening", "observing")  # from the statements
    assert (kickoff.kickoff, kickoff.closing) == (True, False)
    assert program.kickoff == kickoff
    assert program.closing == program.intervention("closing")


def test_defaults(tree: Tree) -> None:
    program = load_program(tree.root / "demo")
    tip = program.intervention("tip")

    assert program.send_window == SendWindow(start=time(8, 30), end=time(17, 30))
    assert program.workdays == frozenset({0, 1, 2, 3, 4})
    assert program.max_per_day == 2
    assert (tip.id, tip.required, tip.competencies, tip.follow_up, tip.manager_prompt) == (
        "tip",
        True,
        (),
        None,
        None,
    )
    assert (tip.questions, tip.statements, tip.scale, tip.kickoff, tip.closing) == ((), (), (), False, False)


def test_yaml_typing_does_not_change_texts(tree: Tree) -> None:
    tree.write(
        "demo/tip.md",
        """\
        ---
        title: 2024
        type: tip
        when: on enrol
        ---
        Yes.
        """,
    )
    assert load_program(tree.root / "demo").intervention("tip").title == "2024"


@pytest.mark.parametrize(
    ("workdays", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("tue-thu", {1, 2, 3}),
        ("mon, wed", {0, 2}),
        ("[monday, sun]", {0, 6}),
        ("sat", {5}),
    ],
)
def test_workdays_forms(tree: Tree, workdays: str, expected: set[int]) -> None:
    text = (
        (tree.root / "demo/program.md")
        .read_text()
        .replace("---\nWelcome", f"workdays: {workdays}\n---\nWelcome")
    )
    tree.write("demo/program.md", text)
    assert load_program(tree.root / "demo").workdays == expected


def test_images_that_exist_are_fine(tree: Tree) -> None:
    tree.write_bytes("demo/img/model.png", b"\x89PNG")
    tree.write(
        "demo/sub/tip2.md",
        """\
        ---
        title: Picture
        type: tip
        when: at s2
        ---
        ![the model](../img/model.png) and ![web](https://example.org/x.png)
        """,
    )
    assert load_program(tree.root / "demo").intervention("tip2").body.startswith("![the model]")


def test_load_program_raises_with_every_problem(tree: Tree) -> None:
    tree.write("demo/a.md", "no front matter\n")
    tree.write("demo/b.md", "---\ntitle: B\ntype: poem\nwhen: on enrol\n---\nBody\n")

    with pytest.raises(ContentError) as caught:
        load_program(tree.root / "demo")

    assert [str(problem) for problem in caught.value.problems] == [
        "programs/demo/a.md:1: missing front matter: the file must start with a `---` line, "
        "then `key: value` lines",
        "programs/demo/b.md:3: unknown type `poem`; use one of tip, quiz, reflection, practice, "
        "peer-feedback, assessment",
    ]
    assert str(caught.value).splitlines() == [str(problem) for problem in caught.value.problems]


def test_load_programs_by_id(tree: Tree) -> None:
    tree.write(
        "other/program.md",
        "---\nid: other\ntitle: O\nlanguage: nl\nsessions: [{id: x, title: X}]\n---\nHoi\n",
    )

    programs = load_programs(tree.root)

    assert sorted(programs) == ["demo", "other"]
    assert all(isinstance(program, Program) for program in programs.values())


def test_load_programs_raises_when_any_program_is_invalid(tree: Tree) -> None:
    tree.write("other/program.md", "---\nid: other\n---\nHoi\n")

    with pytest.raises(ContentError) as caught:
        load_programs(tree.root)

    assert {problem.path for problem in caught.value.problems} == {tree.root / "other/program.md"}


def test_summary_line(full: Tree) -> None:
    program = load_program(full.root / "demo")
    assert summary_line(program) == "demo: 'Demo' (nl), 2 sessions, 7 interventions (2 optional)"


def test_summary_line_singular(tree: Tree) -> None:
    tree.write(
        "demo/program.md",
        tree.root.joinpath("demo/program.md").read_text().replace("  - {id: s2, title: Practice day}\n", ""),
    )
    program = load_program(tree.root / "demo")
    assert summary_line(program) == "demo: 'Demo' (en), 1 session, 1 intervention (0 optional)"


def test_bundled_programs_are_valid() -> None:
    programs = load_programs(Path(__file__).parents[2] / "content" / "programs")
    assert programs, "content/programs holds no program"
