"""Markdown -> Slack Block Kit: the Slack adapter's rendering, pure and without I/O.

Program Markdown becomes `mrkdwn` section blocks (`**bold**` -> `*bold*`, `*italic*` ->
`_italic_`, `[text](url)` -> `<url|text>`, list items -> `• `), with `&`, `<` and `>` escaped
as Slack requires. Public `http(s)` images become image blocks; local images are left out of the
text because the adapter uploads them as files (their alt text is returned for that upload).

Slack's limits shape the output: a section holds at most 3,000 characters and a message at most
50 blocks, so a long text becomes several sections and, if need be, several messages; the choice
buttons (an actions block, at most 25 buttons each) always go in the last message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.domain.messages import Choice

Block = dict[str, Any]

SECTION_LIMIT = 3000
BLOCKS_PER_MESSAGE = 50
BUTTONS_PER_ACTIONS = 25
BUTTON_LABEL_LIMIT = 75
FALLBACK_LIMIT = 4000
CHOICE_ACTION_PREFIX = "choice-"
CHOICE_BLOCK_PREFIX = "choices-"

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_PUBLIC_URL = re.compile(r"^https?://", re.IGNORECASE)
_T = TypeVar("_T")
_RENDERED_KEPT = 512  # distinct messages whose rendering is kept (a programme has a few hundred)


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One `chat.postMessage`: its blocks and the `text` fallback for notifications."""

    text: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A Markdown message as Slack messages to post in order, plus the local images' alt texts."""

    messages: tuple[SlackMessage, ...]
    image_alts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Image:
    url: str
    alt: str


_Piece = str | _Image | None  # mrkdwn text, an image block, or a divider (None)


def escape(text: str) -> str:
    """Escape the three characters Slack reserves for its markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_message(markdown: str, choices: Sequence[Choice] = ()) -> RenderedMessage:
    """Render Markdown and choices as one or more Slack messages (choices in the last one).

    The result is shared by every call with the same arguments: treat it, blocks included, as
    read-only. Many learners get the same text (a nudge, an answer), and parsing the Markdown
    was a twentieth of a message's cost."""
    return _render_message(markdown, tuple(choices))


@functools.lru_cache(maxsize=_RENDERED_KEPT)
def _render_message(markdown: str, choices: tuple[Choice, ...]) -> RenderedMessage:
    renderer = _Renderer()
    chunks = list(_chunks(list(_content_blocks(renderer.pieces(markdown))), BLOCKS_PER_MESSAGE))
    buttons = choice_blocks(choices)
    if buttons and (not chunks or len(chunks[-1]) + len(buttons) > BLOCKS_PER_MESSAGE):
        chunks.append([])  # all buttons in one message, the one whose id the receipt names
    if buttons:
        chunks[-1].extend(buttons)
    messages = tuple(_to_message(chunk, choices) for chunk in chunks)
    return RenderedMessage(messages=messages, image_alts=dict(renderer.image_alts))


def to_mrkdwn(markdown: str) -> str:
    """Markdown as one mrkdwn string (for short texts: App Home sections, notices)."""
    return "\n\n".join(p for p in _Renderer().pieces(markdown) if isinstance(p, str))


def mrkdwn_sections(mrkdwn: str) -> list[Block]:
    """Section blocks for an mrkdwn text, split under Slack's section limit."""
    return list(_sections([mrkdwn] if mrkdwn else []))


def choice_blocks(
    choices: Sequence[Choice],
    *,
    action_prefix: str = CHOICE_ACTION_PREFIX,
    block_prefix: str = CHOICE_BLOCK_PREFIX,
) -> list[Block]:
    """Buttons for `choices`: one actions block per 25, `action_id` = action prefix + index,
    `block_id` = block prefix + number."""
    buttons = [_button(choice, f"{action_prefix}{index}") for index, choice in enumerate(choices)]
    return [
        {"type": "actions", "block_id": f"{block_prefix}{number}", "elements": chunk}
        for number, chunk in enumerate(_chunks(buttons, BUTTONS_PER_ACTIONS))
    ]


def answered_blocks(blocks: Iterable[Mapping[str, Any]], label: str) -> list[Block]:
    """A posted message's blocks with its buttons replaced by a "✓ label" context line."""
    kept: list[Block] = []
    marked = False
    for block in blocks:
        if block.get("type") != "actions":
            kept.append(dict(block))
        elif not marked:
            kept.append(_context(f"✓ {escape(label)}"))
            marked = True
    if not marked:
        kept.append(_context(f"✓ {escape(label)}"))
    return kept


def _button(choice: Choice, action_id: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": _clip(choice.label, BUTTON_LABEL_LIMIT), "emoji": True},
        "value": choice.value,
        "action_id": action_id,
    }


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def _content_blocks(pieces: Iterable[_Piece]) -> Iterator[Block]:
    texts: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            texts.append(piece)
            continue
        yield from _sections(texts)
        texts = []
        if piece is None:
            yield {"type": "divider"}
        else:
            yield {"type": "image", "image_url": piece.url, "alt_text": _clip(piece.alt or "image", 2000)}
    yield from _sections(texts)


def _sections(texts: Sequence[str]) -> Iterator[Block]:
    """Pack consecutive text pieces into as few sections as fit under the section limit."""
    current = ""
    for text in texts:
        for part in _split(text, SECTION_LIMIT):
            joined = f"{current}\n\n{part}" if current else part
            if len(joined) <= SECTION_LIMIT:
                current = joined
                continue
            yield _section(current)
            current = part
    if current:
        yield _section(current)


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _split(text: str, limit: int) -> Iterator[str]:
    """Cut text under `limit`, preferring line breaks, then spaces, never inside an entity."""
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = _entity_safe(text, limit)
        yield text[:cut].rstrip()
        text = text[cut:].lstrip()
    if text:
        yield text


def _entity_safe(text: str, cut: int) -> int:
    ampersand = text.rfind("&", max(0, cut - 5), cut)
    if ampersand > 0 and ";" not in text[ampersand:cut]:
        return ampersand
    return cut


def _to_message(blocks: Sequence[Block], choices: Sequence[Choice]) -> SlackMessage:
    texts = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    fallback = "\n\n".join(texts) or " / ".join(escape(choice.label) for choice in choices) or " "
    return SlackMessage(text=_clip(fallback, FALLBACK_LIMIT), blocks=tuple(blocks))


def _chunks(items: Sequence[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Renderer:
    """Walks markdown-it's syntax tree; one method per node kind keeps each rule small."""

    def __init__(self) -> None:
        self.image_alts: dict[str, str] = {}

    def pieces(self, markdown: str) -> list[_Piece]:
        root = SyntaxTreeNode(_MARKDOWN.parse(markdown))
        return [piece for node in root.children for piece in self._block(node)]

    def _block(self, node: SyntaxTreeNode) -> list[_Piece]:
        kind = node.type
        if kind in ("paragraph", "heading"):
            return self._paragraph(node, bold=kind == "heading")
        if kind in ("bullet_list", "ordered_list"):
            return [self._list(node, depth=0)]
        if kind == "blockquote":
            text = "\n".join(self._text_of(node.children, depth=0))
            return ["\n".join(f">{' ' if line else ''}{line}" for line in text.split("\n"))]
        if kind in ("fence", "code_block"):
            return list(_code_pieces(node.content))
        if kind == "hr":
            return [None]
        return [escape(node.content)] if node.content.strip() else []

    def _paragraph(self, node: SyntaxTreeNode, *, bold: bool) -> list[_Piece]:
        """Text runs of a paragraph; a public image splits it so the image block sits in place."""
        out: list[_Piece] = []
        run = ""
        inline = node.children[0].children if node.children else []
        for segment in self._inline(inline, in_strong=bold):
            if isinstance(segment, str):
                run += segment
                continue
            out.extend([run.strip(), segment] if run.strip() else [segment])
            run = ""
        if run.strip():
            out.append(run.strip())
        if bold:
            return [f"*{piece}*" if isinstance(piece, str) else piece for piece in out]
        return out

    def _text_of(self, nodes: Sequence[SyntaxTreeNode], *, depth: int) -> list[str]:
        """Nested blocks flattened to text (inside lists and quotes images stay text)."""
        lines: list[str] = []
        for child in nodes:
            if child.type in ("bullet_list", "ordered_list"):
                lines.append(self._list(child, depth=depth))
                continue
            for piece in self._block(child):
                if isinstance(piece, _Image):
                    lines.append(f"<{escape(piece.url)}|{escape(piece.alt or piece.url)}>")
                elif piece is not None:
                    lines.append(piece)
        return lines

    def _list(self, node: SyntaxTreeNode, *, depth: int) -> str:
        ordered = node.type == "ordered_list"
        number = int(node.attrs.get("start", 1)) if ordered else 0
        indent = "    " * depth
        items = []
        for offset, item in enumerate(node.children):
            marker = f"{number + offset}." if ordered else ("•" if depth == 0 else "◦")
            body = "\n".join(self._text_of(item.children, depth=depth + 1))
            first, *rest = body.split("\n") if body else [""]
            lines = [f"{indent}{marker} {first}", *(_indent_continuation(line, indent) for line in rest)]
            items.append("\n".join(lines))
        return "\n".join(items)

    def _inline(self, nodes: Sequence[SyntaxTreeNode], *, in_strong: bool) -> list[str | _Image]:
        out: list[str | _Image] = []
        for node in nodes:
            out.extend(self._inline_node(node, in_strong=in_strong))
        return out

    def _inline_node(self, node: SyntaxTreeNode, *, in_strong: bool) -> list[str | _Image]:
        kind = node.type
        if kind == "text":
            return [escape(node.content)]
        if kind == "softbreak":
            return [" "]
        if kind == "hardbreak":
            return ["\n"]
        if kind == "code_inline":
            return [f"`{escape(node.content)}`"]
        if kind == "image":
            return self._image(node)
        inner = _flatten(self._inline(node.children, in_strong=in_strong or kind == "strong"))
        if kind == "strong":
            return [inner if in_strong else f"*{inner}*"]
        if kind == "em":
            return [f"_{inner}_"]
        if kind == "s":
            return [f"~{inner}~"]
        if kind == "link":
            return [_link(str(node.attrs.get("href", "")), inner)]
        return [inner]

    def _image(self, node: SyntaxTreeNode) -> list[str | _Image]:
        src = str(node.attrs.get("src", ""))
        alt = node.content
        if _PUBLIC_URL.match(src):
            return [_Image(url=src, alt=alt)]
        # A local file is uploaded by the adapter; the text keeps no dangling reference.
        self.image_alts[src] = alt
        return []


def _flatten(segments: Sequence[str | _Image]) -> str:
    return "".join(s if isinstance(s, str) else escape(s.alt) for s in segments)


def _link(href: str, label: str) -> str:
    url = escape(href).replace("|", "%7C")
    if not label or label == url:
        return f"<{url}>"
    return f"<{url}|{label}>"


def _indent_continuation(line: str, indent: str) -> str:
    return f"{indent}   {line}" if line and not line.startswith(indent + "    ") else line


def _code_pieces(code: str) -> Iterator[str]:
    """A code block as fenced pieces, each under the section limit with its fences."""
    body = escape(code.rstrip("\n"))
    for part in _split(body, SECTION_LIMIT - 8):
        yield f"```\n{part}\n```"
