"""The Markdown body of an intervention: quiz questions, assessment statements, image links.

Rules (also in content/README.md):

- In a quiz, every level-2 heading (`## ...`) starts a question. The question text is the
  heading text plus any Markdown between the heading and the options. The options are one
  list of task items: `- [x] text` for a correct option, `- [ ] text` for the others. An
  option may have an indented `> feedback` line under it, shown when it is chosen.
- In an assessment, every level-2 heading is a statement (the heading text is the statement)
  followed by one `competency: <id>` line.
- Markdown before the first level-2 heading is the intro `body`. Headings inside code blocks,
  lists or quotes do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from content.model import Option, Question, Statement
from content.problems import FileProblems

_TASK = re.compile(r"^\[(?P<mark>[ xX])\](?:\s+(?P<text>.*))?$", re.DOTALL)
_COMPETENCY = re.compile(r"^competency:\s*(?P<id>\S+)\s*$", re.IGNORECASE)
_QUOTE_MARKER = re.compile(r"^\s*> ?")
_LISTS = ("bullet_list", "ordered_list")


@dataclass(frozen=True, slots=True)
class Markdown:
    """A parsed body; `first_line` is the file line of the body's first line."""

    source: str
    first_line: int
    root: SyntaxTreeNode

    @classmethod
    def parse(cls, source: str, *, first_line: int) -> Markdown:
        tokens = MarkdownIt("commonmark").parse(source)
        return cls(source=source, first_line=first_line, root=SyntaxTreeNode(tokens))

    def line(self, node: SyntaxTreeNode) -> int:
        """The file line where a block node starts."""
        return (node.map[0] if node.map else 0) + self.first_line

    def lines(self, start: int, end: int) -> str:
        """Body source lines [start, end) (0-based, as in token maps), trimmed."""
        return "\n".join(self.source.split("\n")[start:end]).strip()


@dataclass(frozen=True, slots=True)
class _Section:
    heading: SyntaxTreeNode
    blocks: tuple[SyntaxTreeNode, ...]

    @property
    def title(self) -> str:
        return _inline_text(self.heading)


def parse_quiz(markdown: Markdown, problems: FileProblems) -> tuple[str, tuple[Question, ...]]:
    """The intro body and the questions of a quiz."""
    intro, sections = _sections(markdown)
    if not sections:
        problems.add(markdown.first_line, "a quiz needs at least one `## ` question with options")
    questions = (_question(section, markdown, problems) for section in sections)
    return intro, tuple(question for question in questions if question is not None)


def parse_assessment(markdown: Markdown, problems: FileProblems) -> tuple[str, tuple[Statement, ...]]:
    """The intro body and the statements of an assessment."""
    intro, sections = _sections(markdown)
    if not sections:
        problems.add(markdown.first_line, "an assessment needs at least one `## ` statement")
    statements = (_statement(section, markdown, problems) for section in sections)
    return intro, tuple(statement for statement in statements if statement is not None)


def image_links(markdown: Markdown) -> Iterator[tuple[int, str]]:
    """(file line, path) of every `![alt](path)` that names a local file, not a URL."""
    yield from _images(markdown.root, markdown, line=markdown.first_line)


def check_images(markdown: Markdown, *, source: Path, folder: Path, problems: FileProblems) -> None:
    """Every `![alt](path)` must name a file inside the program folder (sent with the message)."""
    for line, link in image_links(markdown):
        target = source.parent / link
        if not target.resolve().is_relative_to(folder.resolve()):
            problems.add(line, f"image `{link}` is outside the program folder")
        elif not target.is_file():
            problems.add(line, f"image `{link}` not found (looked for {target})")


def _images(node: SyntaxTreeNode, markdown: Markdown, *, line: int) -> Iterator[tuple[int, str]]:
    if not node.is_root and node.map:
        line = markdown.line(node)
    if node.type == "image":
        source = str(node.attrs.get("src", ""))
        if source and not urlsplit(source).scheme:
            yield line, unquote(source)
    for child in node.children:
        yield from _images(child, markdown, line=line)


def _sections(markdown: Markdown) -> tuple[str, tuple[_Section, ...]]:
    blocks = markdown.root.children
    starts = [index for index, block in enumerate(blocks) if _is_section_heading(block)]
    if not starts:
        return markdown.source.strip(), ()
    first = blocks[starts[0]].map
    intro = markdown.lines(0, first[0] if first else 0)
    ends = [*starts[1:], len(blocks)]
    sections = tuple(
        _Section(heading=blocks[start], blocks=tuple(blocks[start + 1 : end]))
        for start, end in zip(starts, ends, strict=True)
    )
    return intro, sections


def _is_section_heading(node: SyntaxTreeNode) -> bool:
    return node.type == "heading" and node.tag == "h2"


def _question(section: _Section, markdown: Markdown, problems: FileProblems) -> Question | None:
    line = markdown.line(section.heading)
    if not section.title:
        problems.add(line, "a question heading `## ` has no text")
    options_at = next((i for i, block in enumerate(section.blocks) if block.type in _LISTS), None)
    if options_at is None:
        problems.add(line, f"question `{section.title}` has no options; add `- [x] right` and `- [ ] wrong`")
        return None
    for extra in section.blocks[options_at + 1 :]:
        problems.add(
            markdown.line(extra),
            "text after the options belongs to no question: put it before the options, "
            "indent a `> feedback` line under its option, or start a new `## ` question",
        )
    options_list = section.blocks[options_at]
    parsed = tuple(_option(item, markdown, problems) for item in options_list.children)
    options = tuple(option for option in parsed if option is not None)
    # A broken option may be the intended right one: only claim "no correct option" when sure.
    if len(options) == len(parsed) and not any(option.correct for option in options):
        problems.add(line, f"question `{section.title}` has no correct option; mark one with `- [x]`")
    return Question(
        text=_question_text(section, options_list, markdown),
        options=options,
    )


def _question_text(section: _Section, options: SyntaxTreeNode, markdown: Markdown) -> str:
    heading_end = section.heading.map[1] if section.heading.map else 0
    options_start = options.map[0] if options.map else heading_end
    extra = markdown.lines(heading_end, options_start)
    return f"{section.title}\n\n{extra}" if extra else section.title


def _option(item: SyntaxTreeNode, markdown: Markdown, problems: FileProblems) -> Option | None:
    line = markdown.line(item)
    children = item.children
    match = _TASK.match(_inline_text(children[0])) if children and children[0].type == "paragraph" else None
    if match is None:
        problems.add(line, "an option must start with `[x]` (correct) or `[ ]` (wrong), like `- [x] text`")
        return None
    text = (match["text"] or "").strip()
    if not text:
        problems.add(line, "an option has no text after its `[x]` or `[ ]`")
        return None
    feedback = None
    for extra in children[1:]:
        if extra.type == "blockquote" and feedback is None:
            feedback = _quote_text(extra, markdown)
        else:
            problems.add(
                markdown.line(extra),
                "an option has at most one indented `> feedback` line under it, nothing else",
            )
    return Option(text=text, correct=match["mark"] != " ", feedback=feedback)


def _quote_text(quote: SyntaxTreeNode, markdown: Markdown) -> str:
    start, end = quote.map if quote.map else (0, 0)
    lines = markdown.source.split("\n")[start:end]
    return "\n".join(_QUOTE_MARKER.sub("", line, count=1) for line in lines).strip()


def _statement(section: _Section, markdown: Markdown, problems: FileProblems) -> Statement | None:
    line = markdown.line(section.heading)
    if not section.title:
        problems.add(line, "a statement heading `## ` has no text")
    competency = None
    for block in section.blocks:
        match = _COMPETENCY.match(_inline_text(block)) if block.type == "paragraph" else None
        if match is not None and competency is None:
            competency = match["id"]
        else:
            problems.add(
                markdown.line(block),
                "a statement is its `## ` heading and one `competency: <id>` line, nothing else",
            )
    if competency is None:
        problems.add(line, f"statement `{section.title}` has no `competency: <id>` line")
        return None
    return Statement(text=section.title, competency=competency)


def _inline_text(block: SyntaxTreeNode) -> str:
    """The raw Markdown of a heading or paragraph."""
    inline = next((child for child in block.children if child.type == "inline"), None)
    return inline.content.strip() if inline is not None else ""
