"""Reading one content file: bytes -> UTF-8 text -> YAML front matter and Markdown body.

Line numbers stay those of the file, so every problem can point at the line an author sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from content.problems import FileProblems

FENCE = "---"


@dataclass(frozen=True, slots=True)
class Document:
    """A content file split in two. `front` is None when the front matter is empty."""

    path: Path
    front: yaml.Node | None
    front_offset: int  # add to a YAML mark's 0-based line to get the file's 1-based line
    body: str
    body_line: int  # the file line of the body's first line


def read_text(path: Path, problems: FileProblems) -> str | None:
    """The file as text with `\\n` line ends, or None after recording why it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        problems.add(1, f"cannot read the file: {error.strerror or error}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problems.add(line, "not UTF-8 text; save the file with UTF-8 encoding")
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_yaml(text: str, *, offset: int, problems: FileProblems) -> tuple[bool, yaml.Node | None]:
    """Compose YAML keeping marks; (False, None) after recording invalid YAML."""
    try:
        return True, yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + offset if mark is not None else offset
        reason = error.problem or error.context or "cannot be parsed"
        problems.add(line, f"invalid YAML: {reason}")
    except yaml.reader.ReaderError as error:
        # Raised for characters YAML refuses (e.g. control bytes); it has a position, no mark.
        problems.add(text.count("\n", 0, error.position) + offset, f"invalid YAML: {error.reason}")
    except yaml.YAMLError as error:
        problems.add(offset, f"invalid YAML: {error}")
    return False, None


def read_document(path: Path, problems: FileProblems) -> Document | None:
    """Split a Markdown file into front matter and body; None after recording what is wrong."""
    text = read_text(path, problems)
    if text is None:
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        problems.add(
            1, "missing front matter: the file must start with a `---` line, then `key: value` lines"
        )
        return None
    close = next((index for index in range(1, len(lines)) if lines[index].rstrip() == FENCE), None)
    if close is None:
        problems.add(1, "front matter is not closed: add a `---` line after the `key: value` lines")
        return None
    # The front matter's first line is file line 2, and YAML marks count from 0.
    ok, front = read_yaml("\n".join(lines[1:close]), offset=2, problems=problems)
    if not ok:
        return None
    return Document(
        path=path,
        front=front,
        front_offset=2,
        body="\n".join(lines[close + 1 :]),
        body_line=close + 2,
    )
