"""One intervention file: front matter checked key by key, body split by type.

Checks that need the other files of the program (references, duplicates, cycles) are in
content/references.py; this module looks at one file only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from content.document import read_document
from content.fields import Fields
from content.header import ID, checked_id
from content.model import (
    INTERVENTION_TYPES,
    PEER_GROUPS,
    Intervention,
    InterventionType,
    PeerRound,
    Question,
    Statement,
)
from content.problems import FileProblems
from content.sections import Markdown, check_images, parse_assessment, parse_quiz
from content.when import AfterIntervention, Relative, When, WhenError, parse_when

INTERVENTION_KEYS = (
    "id",
    "title",
    "type",
    "when",
    "required",
    "competencies",
    "follow_up",
    "manager_prompt",
    "kickoff",
    "closing",
    "scale",
    "prompts",
    "anonymous",
    "closes",
    "group",
)
_ASSESSMENT_ONLY = ("kickoff", "closing", "scale")
_PEER_ONLY = ("prompts", "anonymous", "closes", "group")
_CLOSES = re.compile(r"^(\d+) days?$")
MAX_CLOSES_DAYS = 60
MAX_REACH_DAYS = 2 * 366


@dataclass(frozen=True, slots=True)
class Draft:
    """An intervention as read from its file. `when` is parsed but not yet resolved against
    the program's sessions; `lines` maps each key present to its line, for later problems."""

    intervention: Intervention
    lines: Mapping[str, int]

    @property
    def id(self) -> str:
        return self.intervention.id

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)


@dataclass(frozen=True, slots=True)
class _Body:
    text: str
    questions: tuple[Question, ...] = ()
    statements: tuple[Statement, ...] = ()


def read_intervention(path: Path, problems: FileProblems, *, folder: Path) -> Draft | None:
    """Read one intervention file of the program in `folder`; None when it has no front matter."""
    document = read_document(path, problems)
    if document is None:
        return None
    fields = Fields(document.front, offset=document.front_offset, line=1, problems=problems)
    if not fields.is_mapping:
        return None
    fields.allow(INTERVENTION_KEYS)
    fields.require("title", "type")
    kind = _type(fields)
    kickoff, closing = fields.flag("kickoff", default=False), fields.flag("closing", default=False)
    _check_assessment_keys(fields, kind=kind, both=kickoff and closing)
    markdown = Markdown.parse(document.body, first_line=document.body_line)
    if not document.body.strip():
        problems.add(document.body_line - 1, "empty body: write the message under the front matter")
    check_images(markdown, source=path, folder=folder, problems=problems)
    body = _body(kind, markdown, problems)
    intervention = Intervention(
        id=_id(fields, path),
        title=fields.text("title") or "",
        # A bad type is already a problem; "tip" only keeps the draft usable for cross-checks.
        type=kind or "tip",
        when=_when(fields),
        body=body.text,
        source=path,
        required=fields.flag("required", default=True),
        competencies=_competencies(fields, body.statements),
        follow_up=checked_id(fields, "follow_up"),
        manager_prompt=fields.text("manager_prompt", one_line=True),
        questions=body.questions,
        statements=body.statements,
        scale=_scale(fields, kind),
        kickoff=kickoff,
        closing=closing,
        peer=_peer(fields, kind),
    )
    return Draft(intervention=intervention, lines={entry.key: entry.line for entry in fields})


def _id(fields: Fields, path: Path) -> str:
    if "id" in fields:
        return checked_id(fields, "id") or path.stem
    if not ID.match(path.stem):
        fields.problems.add(1, f"file name `{path.stem}` is not a valid id; add an `id:` key")
    return path.stem


def _type(fields: Fields) -> InterventionType | None:
    return fields.one_of("type", INTERVENTION_TYPES, noun="type")


def _check_assessment_keys(fields: Fields, *, kind: InterventionType | None, both: bool) -> None:
    if kind == "assessment":
        if "scale" not in fields:
            fields.problems.add(1, "an assessment needs a `scale:` list of labels, lowest first")
        if both:
            fields.problems.add(
                fields.key_line("closing"), "an assessment cannot be both kickoff and closing"
            )
        return
    if kind is None:
        return  # the type itself is the problem; more noise would not help
    for key in _ASSESSMENT_ONLY:
        if key in fields:
            fields.problems.add(fields.key_line(key), f"`{key}` is only for assessments, not for a {kind}")


def _peer(fields: Fields, kind: InterventionType | None) -> PeerRound | None:
    """A peer-feedback step's round settings (prompts () means the programme's defaults)."""
    if kind != "peer-feedback":
        for key in _PEER_ONLY:
            if key in fields and kind is not None:
                fields.problems.add(
                    fields.key_line(key), f"`{key}` is only for peer-feedback, not for a {kind}"
                )
        return None
    prompts = fields.texts("prompts") or ()
    if "prompts" in fields and not prompts:
        fields.problems.add(fields.key_line("prompts"), "`prompts` needs at least one question")
    return PeerRound(
        prompts=prompts,
        anonymous=fields.flag("anonymous", default=False),
        closes_days=_closes(fields),
        group=fields.one_of("group", PEER_GROUPS, noun="group") or "pairs",
    )


def _closes(fields: Fields) -> int:
    value = fields.text("closes")
    if value is None:
        return 7
    match = _CLOSES.match(value.strip())
    days = int(match.group(1)) if match else 0
    if not 1 <= days <= MAX_CLOSES_DAYS:
        problem = f"`closes` must be a number of days from 1 to {MAX_CLOSES_DAYS}, like `7 days`"
        fields.problems.add(fields.key_line("closes"), problem)
        return 7
    return days


def _when(fields: Fields) -> When | None:
    value = fields.text("when")
    if value is None:
        return None
    try:
        when = parse_when(value)
    except WhenError as error:
        fields.problems.add(fields.key_line("when"), str(error))
        return None
    if _reach_in_days(when) > MAX_REACH_DAYS:
        fields.problems.add(fields.key_line("when"), f"`when: {value}` reaches more than two years away")
        return None
    return when


def _reach_in_days(when: When) -> float:
    """How far from its anchor an expression reaches: huge offsets would overflow the planner."""
    match when:
        case Relative(amount=amount, unit=unit):
            return amount * {"hours": 1 / 24, "days": 1, "weeks": 7}[unit]
        case AfterIntervention(days=days):
            return days
        case _:
            return 0


def _body(kind: InterventionType | None, markdown: Markdown, problems: FileProblems) -> _Body:
    if kind == "quiz":
        text, questions = parse_quiz(markdown, problems)
        return _Body(text=text, questions=questions)
    if kind == "assessment":
        text, statements = parse_assessment(markdown, problems)
        return _Body(text=text, statements=statements)
    return _Body(text=markdown.source.strip())


def _competencies(fields: Fields, statements: tuple[Statement, ...]) -> tuple[str, ...]:
    """The declared competencies; for an assessment without them, those its statements score."""
    measured = tuple(dict.fromkeys(statement.competency for statement in statements))
    declared = fields.texts("competencies")
    if declared is None:
        return measured
    for competency in measured:
        if competency not in declared:
            fields.problems.add(
                fields.key_line("competencies"),
                f"a statement scores `{competency}`, which is not in `competencies`",
            )
    return declared


def _scale(fields: Fields, kind: InterventionType | None) -> tuple[str, ...]:
    labels = fields.texts("scale")
    if labels is None:
        return ()
    if kind == "assessment" and len(labels) < 2:
        fields.problems.add(fields.key_line("scale"), "`scale` needs at least two labels, lowest first")
    return labels
