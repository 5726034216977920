"""`coachbot content check`: every problem of every program file in one run, never a traceback.

This module is the one-stop import for callers: it re-exports the loader's public names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from content.loader import load_program, load_programs, read_tree
from content.model import Program
from content.problems import ContentError, Problem

__all__ = [
    "CheckResult",
    "ContentError",
    "Problem",
    "check_tree",
    "load_program",
    "load_programs",
    "summary_line",
]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The programs that are valid, and the problems of all files (sorted by path and line)."""

    programs: tuple[Program, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_tree(root: Path) -> CheckResult:
    """Check `root`: a program folder (it holds program.md) or a folder of program folders.

    Problem paths are built onto `root` as given, so they read as the user typed the folder.
    """
    programs, problems = read_tree(root)
    return CheckResult(programs=programs, problems=problems)


def summary_line(program: Program) -> str:
    """One line describing a valid program, for `coachbot content check` and logs."""
    sessions = _count(len(program.sessions), "session")
    interventions = _count(len(program.interventions), "intervention")
    return (
        f"{program.id}: '{program.title}' ({program.language}), {sessions}, "
        f"{interventions} ({len(program.optional)} optional)"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
