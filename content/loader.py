"""Loading programs: a folder of Markdown becomes a validated, immutable `Program`.

A program is a folder with `program.md` (front matter and welcome message) and one `.md`
file per intervention, in any subfolder. Files and folders whose names start with `.` are
ignored. Interventions keep the order of their paths, so `01-...`, `02-...` prefixes order them.

Only `load_program` and `load_programs` raise (`ContentError`, carrying every problem found);
`read_program` and `read_tree` return problems, as `content.check.check_tree` reports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from content.header import PROGRAM_FILE, Header, read_header
from content.intervention import Draft, read_intervention
from content.model import Intervention, Program
from content.problems import ContentError, FileProblems, Problem, sorted_problems
from content.references import check_references

__all__ = [
    "PROGRAM_FILE",
    "ContentError",
    "Problem",
    "load_program",
    "load_programs",
    "read_program",
    "read_tree",
]


def load_program(folder: Path) -> Program:
    """The program in `folder`; raises `ContentError` listing every problem when invalid."""
    program, problems = read_program(folder)
    if program is None:
        raise ContentError(problems)
    return program


def load_programs(root: Path) -> dict[str, Program]:
    """All programs under `root` (a program folder or a folder of them), by id; raises
    `ContentError` listing every problem of every file when anything is invalid."""
    programs, problems = read_tree(root)
    if problems:
        raise ContentError(problems)
    return {program.id: program for program in programs}


def read_tree(root: Path) -> tuple[tuple[Program, ...], tuple[Problem, ...]]:
    """The valid programs under `root` and the problems of all files, without raising."""
    sink: list[Problem] = []
    programs = []
    for folder in _program_folders(root, sink):
        program, problems = read_program(folder)
        sink.extend(problems)
        if program is not None:
            programs.append(program)
    return tuple(programs), sorted_problems(sink)


def read_program(folder: Path) -> tuple[Program | None, tuple[Problem, ...]]:
    """The program in `folder` (None when anything is wrong) and every problem found."""
    sink: list[Problem] = []
    path = folder / PROGRAM_FILE
    header = read_header(path, FileProblems(path=path, sink=sink))
    drafts, unreadable = _read_interventions(folder, sink)
    interventions = check_references(
        drafts,
        sessions=_session_ids(header),
        unreadable=unreadable,
        sink=sink,
    )
    program = _program(header, interventions) if header is not None and not sink else None
    return program, sorted_problems(sink)


def _session_ids(header: Header | None) -> tuple[str, ...] | None:
    if header is None or header.sessions is None:
        return None
    return tuple(session.id for session in header.sessions)


def _read_interventions(folder: Path, sink: list[Problem]) -> tuple[list[Draft], frozenset[str]]:
    drafts, unreadable = [], set()
    for path in _intervention_files(folder):
        problems = FileProblems(path=path, sink=sink)
        if path.name == PROGRAM_FILE:
            problems.add(1, "a program cannot contain another program; move this folder next to it")
            continue
        draft = read_intervention(path, problems, folder=folder)
        if draft is None:
            unreadable.add(path.stem)
        else:
            drafts.append(draft)
    return drafts, frozenset(unreadable)


def _intervention_files(folder: Path) -> list[Path]:
    return [path for path in _markdown_files(folder) if path != folder / PROGRAM_FILE]


def _markdown_files(folder: Path) -> Iterator[Path]:
    """The visible `.md` files under `folder`, in path order. A folder named `x.md` is a folder."""
    for path in sorted(folder.rglob("*.md")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if path.is_file() and not hidden:
            yield path


def _program_folders(root: Path, sink: list[Problem]) -> list[Path]:
    """`root` itself when it is a program, else its subfolders that are; strays are problems."""
    if not root.is_dir():
        message = (
            "not a folder; give a program folder or a folder of them" if root.exists() else "no such folder"
        )
        sink.append(Problem(path=root, line=1, message=message))
        return []
    if (root / PROGRAM_FILE).is_file():
        return [root]
    folders = []
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir() and (child / PROGRAM_FILE).is_file():
            folders.append(child)
        elif child.is_dir() and next(_markdown_files(child), None) is not None:
            message = "missing: a folder with Markdown files needs a program.md"
            sink.append(Problem(path=child / PROGRAM_FILE, line=1, message=message))
        elif child.is_file() and child.suffix == ".md":
            message = "not inside a program folder; move it into one (a folder with a program.md)"
            sink.append(Problem(path=child, line=1, message=message))
    return folders


def _program(header: Header, interventions: tuple[Intervention, ...]) -> Program | None:
    # read_header leaves None only where it recorded a problem, so this is a type guard only.
    if header.id is None or header.title is None or header.language is None or header.sessions is None:
        return None
    return Program(
        id=header.id,
        title=header.title,
        language=header.language,
        sessions=header.sessions,
        welcome=header.welcome,
        interventions=interventions,
        source=header.path,
        send_window=header.send_window,
        workdays=header.workdays,
        max_per_day=header.max_per_day,
    )
