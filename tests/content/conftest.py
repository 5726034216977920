"""A small valid program written into tmp_path, which each test then breaks in one way.

Tests run from tmp_path and check `programs` (a relative path), so problem lines read
exactly as `coachbot content check programs` prints them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from content.check import check_tree

PROGRAM_MD = """\
---
id: demo
title: Demo
language: en
sessions:
  - {id: s1, title: Kick-off}
  - {id: s2, title: Practice day}
---
Welcome!
"""

TIP_MD = """\
---
title: Listen first
type: tip
when: 1 day after s1 at 09:00
---
Listen before you answer.
"""


class Tree:
    """A folder of programs under construction; `demo` is valid until a test changes it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, text: str) -> Path:
        """Write `text` (dedented) to `programs/<relative>`."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def write_bytes(self, relative: str, data: bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def problems(self) -> list[str]:
        return [str(problem) for problem in check_tree(self.root).problems]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tree:
    monkeypatch.chdir(tmp_path)
    programs = Tree(Path("programs"))
    programs.write("demo/program.md", PROGRAM_MD)
    programs.write("demo/tip.md", TIP_MD)
    return programs
