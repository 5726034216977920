"""The program format as typed, immutable values: what the loader produces from Markdown.

Everything downstream (planner, flows, digests) reads these, never the Markdown files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Literal

from content.when import When

InterventionType = Literal["tip", "quiz", "reflection", "practice", "peer-feedback", "assessment"]
INTERVENTION_TYPES: tuple[InterventionType, ...] = (
    "tip",
    "quiz",
    "reflection",
    "practice",
    "peer-feedback",
    "assessment",
)
Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")


@dataclass(frozen=True, slots=True)
class Session:
    """A classroom session named by the program; its date comes from the cohort."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class SendWindow:
    """Learner-local hours in which planned messages may arrive (start inclusive, end exclusive)."""

    start: time = time(8, 30)
    end: time = time(17, 30)


@dataclass(frozen=True, slots=True)
class Option:
    """One answer of a quiz question."""

    text: str
    correct: bool
    feedback: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    """One assessment statement, rated on the assessment's scale, scoring one competency."""

    text: str
    competency: str


PeerGroup = Literal["pairs", "trios"]
PEER_GROUPS: tuple[PeerGroup, ...] = ("pairs", "trios")
# The questions a giver answers when a peer-feedback step names none: Situation-Behaviour-Impact
# and one suggestion, in the programme's language.
DEFAULT_PEER_PROMPTS: dict[str, tuple[str, ...]] = {
    "nl": (
        "In welke situatie zag je je partner aan het werk? (Situatie)",
        "Wat deed of zei je partner precies? (Gedrag)",
        "Wat was het effect daarvan, op jou of op anderen? (Impact)",
        "Wat zou je je partner aanraden om te houden of te proberen? (Suggestie)",
    ),
    "en": (
        "In which situation did you see your partner at work? (Situation)",
        "What exactly did your partner do or say? (Behaviour)",
        "What was its effect, on you or on others? (Impact)",
        "What would you suggest your partner keeps or tries? (Suggestion)",
    ),
}


@dataclass(frozen=True, slots=True)
class PeerRound:
    """How a `peer-feedback` step's round runs: the giver's questions, whether the giver is
    named, when the round closes, and the size of its groups."""

    prompts: tuple[str, ...]
    anonymous: bool = False
    closes_days: int = 7
    group: PeerGroup = "pairs"


@dataclass(frozen=True, slots=True)
class Intervention:
    """One step of a program. `body` is Markdown without the quiz/assessment sections."""

    id: str
    title: str
    type: InterventionType
    when: When | None  # None only for an intervention that is some other's `follow_up`
    body: str
    source: Path
    required: bool = True
    competencies: tuple[str, ...] = ()
    follow_up: str | None = None
    manager_prompt: str | None = None
    questions: tuple[Question, ...] = ()  # quiz
    statements: tuple[Statement, ...] = ()  # assessment
    scale: tuple[str, ...] = ()  # assessment labels, lowest first
    kickoff: bool = False
    closing: bool = False
    peer: PeerRound | None = None  # peer-feedback only


@dataclass(frozen=True, slots=True)
class Program:
    id: str
    title: str
    language: Language
    sessions: tuple[Session, ...]
    welcome: str
    interventions: tuple[Intervention, ...]
    source: Path
    send_window: SendWindow = field(default_factory=SendWindow)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # datetime.weekday() numbers
    max_per_day: int = 2

    def intervention(self, intervention_id: str) -> Intervention:
        """The intervention with this id; KeyError when the program has none."""
        for item in self.interventions:
            if item.id == intervention_id:
                return item
        raise KeyError(intervention_id)

    def peer_prompts(self, item: Intervention) -> tuple[str, ...]:
        """The questions a giver answers in `item`'s peer-feedback round."""
        own = item.peer.prompts if item.peer is not None else ()
        return own or DEFAULT_PEER_PROMPTS[self.language]

    @property
    def session_ids(self) -> frozenset[str]:
        return frozenset(session.id for session in self.sessions)

    @property
    def kickoff(self) -> Intervention | None:
        return next((item for item in self.interventions if item.kickoff), None)

    @property
    def closing(self) -> Intervention | None:
        return next((item for item in self.interventions if item.closing), None)

    @property
    def optional(self) -> tuple[Intervention, ...]:
        return tuple(item for item in self.interventions if not item.required)
