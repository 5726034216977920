"""Problems found in authored content, and the error that carries them.

A problem points at a file and a line so an author can jump to it: `path:line: message`,
the format compilers use and editors understand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one file; `line` is 1-based (1 for problems with the whole file)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Content that cannot be used; `problems` lists everything wrong, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(slots=True)
class FileProblems:
    """Collects the problems of one file into a shared list, so readers need not pass paths."""

    path: Path
    sink: list[Problem] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        self.sink.append(Problem(path=self.path, line=line, message=message))


def sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Problems in reading order: by file, then line; same-line problems keep their order."""
    return tuple(sorted(problems, key=lambda problem: (str(problem.path), problem.line)))
