"""`check_tree`: one test per kind of problem, asserting the exact `path:line: message` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.check import CheckResult, Problem, check_tree
from content.loader import load_programs
from content.model import DEFAULT_PEER_PROMPTS, PeerRound
from tests.content.conftest import PROGRAM_MD, Tree

INTERVENTION_KEYS = (
    "id, title, type, when, required, competencies, follow_up, manager_prompt, kickoff, closing, scale, "
    "prompts, anonymous, closes, group"
)
NO_FRONT_MATTER = "missing front matter: the file must start with a `---` line, then `key: value` lines"
MISSING_WHEN = "missing `when`; only an intervention that is another's `follow_up` may omit it"
WORKDAYS_RULE = "`workdays` must be a range like `mon-fri`, or a list like `[mon, tue, wed]`"


def write(tree: Tree, name: str, *front: str, body: str = "Body.\n") -> Path:
    """An intervention file: `---`, the front lines (from line 2), `---`, then the body."""
    return tree.write(f"demo/{name}", "---\n" + "".join(f"{line}\n" for line in front) + "---\n" + body)


def program_md(*extra: str, replace: tuple[str, str] = ("", "")) -> str:
    """The valid program.md with `extra` front lines (from line 8) and one text replaced."""
    text = PROGRAM_MD.replace("---\nWelcome", "".join(f"{line}\n" for line in extra) + "---\nWelcome")
    return text.replace(*replace) if replace[0] else text


def test_the_valid_fixture_has_no_problems(tree: Tree) -> None:
    result = check_tree(tree.root)
    assert result == CheckResult(programs=result.programs, problems=())
    assert [program.id for program in result.programs] == ["demo"]
    assert result.ok


def test_problem_reads_like_a_compiler_message() -> None:
    assert str(Problem(path=Path("a/b.md"), line=3, message="bad")) == "a/b.md:3: bad"


def test_unknown_keys(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip", "when: at s1", "requried: no", "emoji: yes")
    assert tree.problems() == [
        "programs/demo/x.md:5: unknown key `requried`; did you mean `required`?",
        f"programs/demo/x.md:6: unknown key `emoji`; known keys: {INTERVENTION_KEYS}",
    ]


def test_unknown_program_key_and_session_key(tree: Tree) -> None:
    tree.write(
        "demo/program.md",
        program_md("langauge: en", replace=("{id: s2, title: Practice day}", "{id: s2, title: P, date: x}")),
    )
    assert tree.problems() == [
        "programs/demo/program.md:7: unknown key `date`; known keys: id, title",
        "programs/demo/program.md:8: unknown key `langauge`; did you mean `language`?",
    ]


def test_unknown_type(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: poem", "when: at s1")
    assert tree.problems() == [
        "programs/demo/x.md:3: unknown type `poem`; use one of tip, quiz, reflection, practice, "
        "peer-feedback, assessment"
    ]


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("next tuesday", "cannot read `when: next tuesday`; expected `on enrol`, `at <session>`, "),
        ("1 day before s1 at 25:00", "`at 25:00` is not a time of day (use HH:MM, 00:00-23:59)"),
        ("every funday from s1 until s2", "`funday` is not a weekday (monday ... sunday, or mon ... sun)"),
        ("2 hours after tip", "`tip` is not a session; after an intervention only `<n> days` is allowed"),
        ("at s9", "unknown session `s9`; the program has s1, s2"),
        ("2 days before s9 at 10:00", "unknown session `s9`; the program has s1, s2"),
        ("every monday from s1 until s7", "unknown session `s7`; the program has s1, s2"),
        ("every monday from s2 until s1", "`from s2` comes after `until s1`"),
        ("2 days after nothing", "unknown intervention `nothing`"),
    ],
)
def test_bad_when(tree: Tree, when: str, message: str) -> None:
    write(tree, "x.md", "title: T", "type: tip", f"when: {when}")
    [problem] = tree.problems()
    assert problem.startswith(f"programs/demo/x.md:4: {message}")


def test_unknown_follow_up(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip", "when: at s1", "follow_up: nothing")
    assert tree.problems() == ["programs/demo/x.md:5: unknown intervention `nothing`"]


def test_missing_when(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip")
    assert tree.problems() == [f"programs/demo/x.md:1: {MISSING_WHEN}"]


def test_duplicate_ids_name_the_first_place(tree: Tree) -> None:
    write(tree, "x.md", "id: tip", "title: T", "type: tip", "when: at s1")
    write(tree, "a/tip.md", "title: T", "type: tip", "when: at s1")
    # Path order: a/tip.md, tip.md, x.md; the first keeps the id.
    assert tree.problems() == [
        "programs/demo/tip.md:1: duplicate id `tip`; programs/demo/a/tip.md:1 has it too",
        "programs/demo/x.md:2: duplicate id `tip`; programs/demo/a/tip.md:1 has it too",
    ]


def test_intervention_id_that_is_a_session_id(tree: Tree) -> None:
    write(tree, "s1.md", "title: T", "type: tip", "when: at s2")
    assert tree.problems() == ["programs/demo/s1.md:1: id `s1` is also a session id; rename the intervention"]


def test_invalid_ids(tree: Tree) -> None:
    write(tree, "x.md", "id: two words", "title: T", "type: tip", "when: at s1")
    write(tree, "my tip.md", "title: T", "type: tip", "when: at s1")
    assert tree.problems() == [
        "programs/demo/my tip.md:1: file name `my tip` is not a valid id; add an `id:` key",
        "programs/demo/x.md:2: `id: two words` is not a valid id; use letters, digits, `-`, `_` and `.`, "
        "starting with a letter or digit",
    ]


def test_cycle_through_when(tree: Tree) -> None:
    write(tree, "a.md", "title: A", "type: tip", "when: 1 day after b")
    write(tree, "b.md", "title: B", "type: tip", "when: 1 day after c")
    write(tree, "c.md", "title: C", "type: tip", "when: 2 days after a")
    assert tree.problems() == [
        "programs/demo/a.md:4: circular order: `a` waits for `b`, which waits for `c`, which waits for `a`"
    ]


def test_cycle_through_follow_up(tree: Tree) -> None:
    write(tree, "a.md", "title: A", "type: tip", "when: at s1", "follow_up: b")
    write(tree, "b.md", "title: B", "type: tip", "follow_up: a")
    assert tree.problems() == ["programs/demo/b.md:4: circular order: `a` waits for `b`, which waits for `a`"]


def test_cycle_mixing_follow_up_and_when(tree: Tree) -> None:
    # b is a's follow-up (b waits for a), yet a is sent 2 days after b (a waits for b).
    write(tree, "a.md", "title: A", "type: tip", "when: 2 days after b", "follow_up: b")
    write(tree, "b.md", "title: B", "type: tip")
    assert tree.problems() == ["programs/demo/a.md:4: circular order: `a` waits for `b`, which waits for `a`"]


def test_follow_up_to_itself(tree: Tree) -> None:
    write(tree, "a.md", "title: A", "type: tip", "when: at s1", "follow_up: a")
    assert tree.problems() == ["programs/demo/a.md:5: circular order: `a` waits for `a`"]


def test_a_chain_is_no_cycle(tree: Tree) -> None:
    write(tree, "a.md", "title: A", "type: tip", "when: at s1", "follow_up: b")
    write(tree, "b.md", "title: B", "type: tip", "when: 2 days after a")
    write(tree, "c.md", "title: C", "type: tip", "when: 1 day after b")
    assert tree.problems() == []


QUIZ_BODY = """\
Intro

## No right answer
- [ ] a
- [ ] b

## No options
Just text.

## Bad options
- [x] good
- plain
- [ ]

## Trailing
- [x] a
  > fine

> feedback that is not indented
"""


def test_quiz_problems(tree: Tree) -> None:
    write(tree, "q.md", "title: Q", "type: quiz", "when: at s1", body=QUIZ_BODY)
    assert tree.problems() == [
        "programs/demo/q.md:8: question `No right answer` has no correct option; mark one with `- [x]`",
        "programs/demo/q.md:12: question `No options` has no options; add `- [x] right` and `- [ ] wrong`",
        "programs/demo/q.md:17: an option must start with `[x]` (correct) or `[ ]` (wrong), "
        "like `- [x] text`",
        "programs/demo/q.md:18: an option has no text after its `[x]` or `[ ]`",
        "programs/demo/q.md:24: text after the options belongs to no question: put it before the options, "
        "indent a `> feedback` line under its option, or start a new `## ` question",
    ]


def test_quiz_without_questions(tree: Tree) -> None:
    write(tree, "q.md", "title: Q", "type: quiz", "when: at s1", body="Only an intro.\n\n### Small heading\n")
    assert tree.problems() == ["programs/demo/q.md:6: a quiz needs at least one `## ` question with options"]


def test_quiz_option_with_two_feedbacks(tree: Tree) -> None:
    body = "## Q\n- [x] a\n  > one\n\n  > two\n"
    write(tree, "q.md", "title: Q", "type: quiz", "when: at s1", body=body)
    assert tree.problems() == [
        "programs/demo/q.md:10: an option has at most one indented `> feedback` line under it, nothing else"
    ]


def test_heading_in_code_block_is_no_question(tree: Tree) -> None:
    body = "## Q\n- [x] a\n- [ ] b\n\n```\n## code, not a question\n```\n"
    write(tree, "q.md", "title: Q", "type: quiz", "when: at s1", body=body)
    assert tree.problems() == [
        "programs/demo/q.md:10: text after the options belongs to no question: put it before the options, "
        "indent a `> feedback` line under its option, or start a new `## ` question"
    ]


ASSESSMENT_BODY = """\
Intro

## Without competency

## With extra text
competency: x

More text.
"""


def test_assessment_problems(tree: Tree) -> None:
    write(tree, "a.md", "title: A", "type: assessment", "when: on enrol", body=ASSESSMENT_BODY)
    assert tree.problems() == [
        "programs/demo/a.md:1: an assessment needs a `scale:` list of labels, lowest first",
        "programs/demo/a.md:8: statement `Without competency` has no `competency: <id>` line",
        "programs/demo/a.md:13: a statement is its `## ` heading and one `competency: <id>` line, "
        "nothing else",
    ]


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ("scale: []", "`scale` needs at least two labels, lowest first"),
        ("scale: [only]", "`scale` needs at least two labels, lowest first"),
        ("scale:", "`scale` has no value"),
        ("scale: low to high", "`scale` must be a list, like `[a, b]`"),
        ("scale: [low, '']", "an item of `scale` is empty"),
    ],
)
def test_bad_scale(tree: Tree, scale: str, message: str) -> None:
    write(tree, "a.md", "title: A", "type: assessment", "when: on enrol", scale, body="## S\ncompetency: x\n")
    assert tree.problems() == [f"programs/demo/a.md:5: {message}"]


def test_assessment_without_statements(tree: Tree) -> None:
    write(tree, "a.md", "title: A", "type: assessment", "when: on enrol", "scale: [lo, hi]", body="Hi\n")
    assert tree.problems() == ["programs/demo/a.md:7: an assessment needs at least one `## ` statement"]


def test_statement_competency_must_be_declared(tree: Tree) -> None:
    front = ("title: A", "type: assessment", "when: on enrol", "scale: [lo, hi]", "competencies: [x]")
    write(tree, "a.md", *front, body="## S\ncompetency: y\n")
    assert tree.problems() == ["programs/demo/a.md:6: a statement scores `y`, which is not in `competencies`"]


def test_invalid_yaml_points_at_the_yaml_error(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip: bad", "when: at s1")
    assert tree.problems() == ["programs/demo/x.md:3: invalid YAML: mapping values are not allowed here"]


def test_duplicate_yaml_key(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip", "when: at s1", "title: U")
    assert tree.problems() == ["programs/demo/x.md:5: duplicate key `title` (first at line 2)"]


def test_missing_or_unclosed_front_matter(tree: Tree) -> None:
    tree.write("demo/a.md", "title: T\n")
    tree.write("demo/b.md", "---\ntitle: T\ntype: tip\n")
    tree.write("demo/c.md", "")
    assert tree.problems() == [
        f"programs/demo/a.md:1: {NO_FRONT_MATTER}",
        "programs/demo/b.md:1: front matter is not closed: add a `---` line after the `key: value` lines",
        f"programs/demo/c.md:1: {NO_FRONT_MATTER}",
    ]


def test_missing_required_keys(tree: Tree) -> None:
    tree.write("demo/program.md", "---\nid: demo\n---\nWelcome!\n")
    write(tree, "x.md", "when: at s1")
    assert tree.problems() == [
        "programs/demo/program.md:1: missing required key `title`",
        "programs/demo/program.md:1: missing required key `language`",
        "programs/demo/program.md:1: missing required key `sessions`",
        # Without sessions, `s1` in tip.md and x.md cannot be checked: no noise about it.
        "programs/demo/x.md:1: missing required key `title`",
        "programs/demo/x.md:1: missing required key `type`",
    ]


def test_not_utf8_names_the_line_of_the_first_bad_byte(tree: Tree) -> None:
    tree.write_bytes("demo/x.md", b"---\ntitle: T\ntype: tip\nwhen: at s1\n---\nCaf\xe9\n")
    assert tree.problems() == ["programs/demo/x.md:6: not UTF-8 text; save the file with UTF-8 encoding"]


def test_empty_bodies(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip", "when: at s1", body="\n   \n")
    tree.write("demo/program.md", PROGRAM_MD.replace("Welcome!", ""))
    assert tree.problems() == [
        "programs/demo/program.md:8: empty body: write the welcome message under the front matter",
        "programs/demo/x.md:5: empty body: write the message under the front matter",
    ]


def test_images_must_exist_inside_the_program(tree: Tree) -> None:
    tree.write_bytes("secret.png", b"")
    body = "See ![a](img/nope.png).\n\n## Q\n- [x] yes\n  > ![b](../secret.png)\n"
    write(tree, "q.md", "title: Q", "type: quiz", "when: at s1", body=body)
    tree.write("demo/program.md", PROGRAM_MD.replace("Welcome!", "Welcome!\n\n![logo](logo.png)"))
    assert tree.problems() == [
        "programs/demo/program.md:11: image `logo.png` not found (looked for programs/demo/logo.png)",
        "programs/demo/q.md:6: image `img/nope.png` not found (looked for programs/demo/img/nope.png)",
        "programs/demo/q.md:10: image `../secret.png` is outside the program folder",
    ]


def test_bad_program_settings(tree: Tree) -> None:
    tree.write(
        "demo/program.md",
        program_md(
            "send_window: 17:00-09:00",
            "workdays: fri-mon",
            "max_per_day: 0",
            replace=("language: en", "language: de"),
        ),
    )
    assert tree.problems() == [
        "programs/demo/program.md:4: unknown language `de`; use one of nl, en",
        "programs/demo/program.md:8: `send_window: 17:00-09:00` ends before it starts",
        f"programs/demo/program.md:9: {WORKDAYS_RULE}",
        "programs/demo/program.md:10: `max_per_day` must be 1 or more",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("send_window: 9-17", "`send_window: 9-17` must look like `08:30-17:30`"),
        ("send_window: 08:30-24:00", "`send_window: 08:30-24:00` must look like `08:30-17:30`"),
        ("workdays: [mon, funday]", WORKDAYS_RULE),
        ("workdays: []", WORKDAYS_RULE),
        ("max_per_day: two", "`max_per_day` must be a whole number"),
        ("max_per_day: true", "`max_per_day` must be a whole number"),
    ],
)
def test_bad_program_setting_values(tree: Tree, line: str, message: str) -> None:
    tree.write("demo/program.md", program_md(line))
    assert tree.problems() == [f"programs/demo/program.md:8: {message}"]


def test_bad_sessions(tree: Tree) -> None:
    replace = ("{id: s2, title: Practice day}", "{id: s1, title: Again}\n  - plain")
    tree.write("demo/program.md", program_md(replace=replace))
    write(tree, "x.md", "title: T", "type: tip", "when: at s2")
    assert tree.problems() == [
        "programs/demo/program.md:7: duplicate session id `s1`",
        "programs/demo/program.md:8: expected `key: value` lines here",
        "programs/demo/x.md:4: unknown session `s2`; the program has s1",
    ]


def test_empty_sessions(tree: Tree) -> None:
    tree.write("demo/program.md", "---\nid: demo\ntitle: D\nlanguage: nl\nsessions: []\n---\nHoi\n")
    tree.write("demo/tip.md", "---\ntitle: T\ntype: tip\nwhen: on enrol\n---\nBody\n")
    assert tree.problems() == ["programs/demo/program.md:5: `sessions` needs at least one session"]


def test_program_id_must_match_its_folder(tree: Tree) -> None:
    tree.write("demo/program.md", PROGRAM_MD.replace("id: demo", "id: other"))
    assert tree.problems() == [
        "programs/demo/program.md:2: program id `other` differs from its folder name `demo`"
    ]


def test_kickoff_and_closing_only_on_assessments(tree: Tree) -> None:
    write(
        tree,
        "x.md",
        "title: T",
        "type: tip",
        "when: at s1",
        "kickoff: true",
        "closing: false",
        "scale: [a, b]",
    )
    assert tree.problems() == [
        "programs/demo/x.md:5: `kickoff` is only for assessments, not for a tip",
        "programs/demo/x.md:6: `closing` is only for assessments, not for a tip",
        "programs/demo/x.md:7: `scale` is only for assessments, not for a tip",
    ]


def test_kickoff_and_closing_at_most_once(tree: Tree) -> None:
    front = ("title: A", "type: assessment", "when: on enrol", "scale: [lo, hi]")
    statement = "## S\ncompetency: x\n"
    write(tree, "k1.md", *front, "kickoff: true", body=statement)
    write(tree, "k2.md", *front, "kickoff: true", body=statement)
    write(tree, "c1.md", *front, "closing: true", body=statement)
    write(tree, "c2.md", *front, "closing: yes", body=statement)
    write(tree, "both.md", *front, "kickoff: true", "closing: true", body=statement)
    assert tree.problems() == [
        "programs/demo/both.md:7: an assessment cannot be both kickoff and closing",
        # both.md sorts first, so it counts as the first kickoff and the first closing.
        "programs/demo/c1.md:6: a second closing test; the first is programs/demo/both.md:7",
        "programs/demo/c2.md:6: a second closing test; the first is programs/demo/both.md:7",
        "programs/demo/k1.md:6: a second kickoff test; the first is programs/demo/both.md:6",
        "programs/demo/k2.md:6: a second kickoff test; the first is programs/demo/both.md:6",
    ]


def test_flag_must_be_true_or_false(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip", "when: at s1", "required: sometimes")
    assert tree.problems() == ["programs/demo/x.md:5: `required` must be `true` or `false`"]


def test_closing_must_not_score_what_the_kickoff_did_not(tree: Tree) -> None:
    front = ("title: A", "type: assessment", "when: on enrol", "scale: [lo, hi]")
    write(tree, "k.md", *front, "kickoff: true", body="## S\ncompetency: x\n")
    write(
        tree,
        "c.md",
        *front,
        "closing: true",
        body="## S\ncompetency: x\n## T\ncompetency: y\n## U\ncompetency: y\n",
    )
    assert tree.problems() == [
        "programs/demo/c.md:6: the closing test scores `y`, "
        "which the kickoff test (programs/demo/k.md) does not"
    ]


def test_closing_may_score_less_than_the_kickoff(tree: Tree) -> None:
    front = ("title: A", "type: assessment", "when: on enrol", "scale: [lo, hi]")
    write(tree, "k.md", *front, "kickoff: true", body="## S\ncompetency: x\n## T\ncompetency: y\n")
    write(tree, "c.md", *front, "closing: true", body="## S\ncompetency: x\n")
    assert tree.problems() == []


def test_manager_prompt_is_one_line(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: tip", "when: at s1", "manager_prompt: |", "  one", "  two")
    assert tree.problems() == ["programs/demo/x.md:5: `manager_prompt` must be one line"]


def test_folder_with_markdown_but_no_program_md(tree: Tree) -> None:
    tree.write("stray/deep/x.md", "anything")
    tree.write_bytes("images/logo.png", b"")  # a folder without Markdown is no program: fine
    assert tree.problems() == [
        "programs/stray/program.md:1: missing: a folder with Markdown files needs a program.md"
    ]


def test_loose_markdown_in_the_programs_folder(tree: Tree) -> None:
    tree.write("notes.md", "anything")
    assert tree.problems() == [
        "programs/notes.md:1: not inside a program folder; move it into one (a folder with a program.md)"
    ]


def test_a_program_inside_a_program(tree: Tree) -> None:
    tree.write("demo/sub/program.md", PROGRAM_MD)
    assert tree.problems() == [
        "programs/demo/sub/program.md:1: a program cannot contain another program; "
        "move this folder next to it"
    ]


def test_hidden_files_and_folders_are_ignored(tree: Tree) -> None:
    tree.write("demo/.drafts/x.md", "broken")
    tree.write("demo/.x.md", "broken")
    tree.write(".trash/x.md", "broken")
    assert tree.problems() == []


def test_root_may_be_one_program_folder(tree: Tree) -> None:
    write(tree, "x.md", "title: T", "type: poem", "when: at s1")
    result = check_tree(Path("programs/demo"))
    assert [str(problem) for problem in result.problems] == [
        "programs/demo/x.md:3: unknown type `poem`; use one of tip, quiz, reflection, practice, "
        "peer-feedback, assessment"
    ]


def test_root_that_is_no_folder(tree: Tree) -> None:
    assert [str(problem) for problem in check_tree(Path("nowhere")).problems] == ["nowhere:1: no such folder"]
    file_root = tree.root / "demo" / "tip.md"
    assert [str(problem) for problem in check_tree(file_root).problems] == [
        "programs/demo/tip.md:1: not a folder; give a program folder or a folder of them"
    ]


def test_an_empty_root_has_no_programs_and_no_problems(tmp_path: Path) -> None:
    assert check_tree(tmp_path) == CheckResult(programs=(), problems=())


def test_all_problems_of_all_files_in_one_run(tree: Tree) -> None:
    write(tree, "a.md", "title: A", "type: poem", "when: at s1")
    write(tree, "b.md", "title: B", "type: tip", "when: at s9", "follow_up: nobody")
    tree.write(
        "other/program.md", "---\nid: other\ntitle: O\nlanguage: fr\nsessions: [{id: x, title: X}]\n---\nHi\n"
    )
    tree.write("other/q.md", "---\ntitle: Q\ntype: quiz\nwhen: at x\n---\n## Q\n- [ ] no\n")
    tree.write("stray/x.md", "")

    result = check_tree(tree.root)

    assert [str(problem) for problem in result.problems] == [
        "programs/demo/a.md:3: unknown type `poem`; use one of tip, quiz, reflection, practice, "
        "peer-feedback, assessment",
        "programs/demo/b.md:4: unknown session `s9`; the program has s1, s2",
        "programs/demo/b.md:5: unknown intervention `nobody`",
        "programs/other/program.md:4: unknown language `fr`; use one of nl, en",
        "programs/other/q.md:6: question `Q` has no correct option; mark one with `- [x]`",
        "programs/stray/program.md:1: missing: a folder with Markdown files needs a program.md",
    ]
    assert result.programs == ()


def test_never_a_traceback(tree: Tree) -> None:
    """Files no author would write on purpose still give problems, not exceptions."""
    weird = {
        "garbage.md": bytes(range(256)) * 4,
        "nul.md": b"---\ntitle: \x00\n---\nBody\n",
        "list-front.md": b"---\n- a\n- b\n---\nBody\n",
        "scalar-front.md": b"---\njust text\n---\nBody\n",
        "complex-key.md": b"---\n? [a, b]\n: c\ntitle: T\ntype: tip\nwhen: at s1\n---\nBody\n",
        "only-fence.md": b"---",
        "two-docs.md": b"---\ntitle: T\n---\n---\n",
        "alias.md": b"---\ntitle: &t T\ntype: *t\nwhen: *undefined\n---\nB\n",
        "sessions-text.md": b"---\ntitle: T\ntype: tip\nwhen: {at: s1}\ncompetencies: 3\n---\nB\n",
        "crlf.md": b"---\r\ntitle: T\r\ntype: poem\r\nwhen: at s1\r\n---\r\nB\r\n",
        "bom.md": "\ufeff---\ntitle: T\ntype: poem\nwhen: at s1\n---\nB\n".encode(),
    }
    for name, data in weird.items():
        tree.write_bytes(f"demo/{name}", data)
    (tree.root / "demo" / "folder.md").mkdir()
    (tree.root / "demo" / "folder.md" / "inner.md").write_text("no front matter")
    tree.write("broken/program.md", "---\nid: broken\nsessions: oops\n---\n")

    problems = check_tree(tree.root).problems

    files = {problem.path.name for problem in problems if problem.path.parent.name == "demo"}
    assert files == set(weird)  # each weird file has a problem; the folder named folder.md has none
    assert Path("programs/demo/folder.md/inner.md") in {problem.path for problem in problems}
    assert (
        "programs/demo/crlf.md:3: unknown type `poem`; use one of tip, quiz, reflection, practice, "
        "peer-feedback, assessment" in [str(problem) for problem in problems]
    )
    assert any(
        str(problem).startswith("programs/broken/program.md:3: `sessions` must be a list")
        for problem in problems
    )


@pytest.mark.parametrize(
    ("when", "far"),
    [
        ("800 days after s1", True),
        ("105 weeks before s1", True),
        ("20000 hours after s2", True),
        ("733 days after tip", True),
        ("104 weeks after s1", False),
        ("732 days after tip", False),
    ],
)
def test_when_that_reaches_too_far(tree: Tree, when: str, far: bool) -> None:
    """Offsets that would overflow the planner's date arithmetic are stopped here."""
    write(tree, "x.md", "title: T", "type: tip", f"when: {when}")
    expected = [f"programs/demo/x.md:4: `when: {when}` reaches more than two years away"] if far else []
    assert tree.problems() == expected


def test_front_matter_that_is_no_mapping(tree: Tree) -> None:
    tree.write("demo/x.md", "---\n- a\n- b\n---\nBody\n")
    tree.write("demo/y.md", "---\nid: y\ntitle: Y\ntype: tip\nfollow_up: x\n---\nBody\n")
    # Only the real problem: no "missing key" noise, and y's follow_up of x is not "unknown".
    assert tree.problems() == [
        "programs/demo/x.md:2: expected `key: value` lines here",
        f"programs/demo/y.md:1: {MISSING_WHEN}",
    ]


def test_a_peer_feedback_steps_round_settings_are_checked(tree: Tree) -> None:
    write(
        tree,
        "p.md",
        "title: T",
        "type: peer-feedback",
        "when: at s1",
        "prompts: []",
        "anonymous: maybe",
        "closes: 100 days",
        "group: fours",
    )
    write(tree, "t.md", "title: T", "type: tip", "when: at s1", "anonymous: true")
    assert tree.problems() == [
        "programs/demo/p.md:5: `prompts` needs at least one question",
        "programs/demo/p.md:6: `anonymous` must be `true` or `false`",
        "programs/demo/p.md:7: `closes` must be a number of days from 1 to 60, like `7 days`",
        "programs/demo/p.md:8: unknown group `fours`; use one of pairs, trios",
        "programs/demo/t.md:5: `anonymous` is only for peer-feedback, not for a tip",
    ]


def test_a_peer_feedback_step_with_its_options_loads_them(tree: Tree) -> None:
    write(
        tree,
        "p.md",
        "title: T",
        "type: peer-feedback",
        "when: at s1",
        "prompts: [Wat zag je, Wat nu]",
        "anonymous: true",
        "closes: 3 days",
        "group: trios",
    )
    write(tree, "q.md", "title: Q", "type: peer-feedback", "when: at s1")
    assert tree.problems() == []
    program = load_programs(tree.root)["demo"]
    chosen, default = program.intervention("p"), program.intervention("q")
    assert chosen.peer == PeerRound(
        prompts=("Wat zag je", "Wat nu"), anonymous=True, closes_days=3, group="trios"
    )
    assert default.peer == PeerRound(prompts=())
    assert program.peer_prompts(default) == DEFAULT_PEER_PROMPTS[program.language]
