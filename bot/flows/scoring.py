"""Pure scoring of assessments: development points and the before/after comparison."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import fmean

DEVELOPMENT_POINTS = 2  # how many weakest competencies a learner is shown


@dataclass(frozen=True, slots=True)
class Comparison:
    competency: str
    before: float | None
    after: float

    @property
    def change(self) -> float | None:
        return None if self.before is None else self.after - self.before


def competency_scores(answers: Iterable[tuple[str, int]]) -> dict[str, float]:
    """Mean score per competency from (competency, score) pairs, in first-seen order."""
    collected: dict[str, list[int]] = {}
    for competency, score in answers:
        collected.setdefault(competency, []).append(score)
    return {competency: fmean(scores) for competency, scores in collected.items()}


def development_points(scores: Mapping[str, float], *, limit: int = DEVELOPMENT_POINTS) -> list[str]:
    """The lowest-scoring competencies, weakest first; ties keep the test's order."""
    return sorted(scores, key=lambda competency: scores[competency])[:limit]


def compare(before: Mapping[str, float], after: Mapping[str, float]) -> list[Comparison]:
    """Per competency of the closing test: the kick-off score (if any), the closing score."""
    return [Comparison(competency, before.get(competency), score) for competency, score in after.items()]
