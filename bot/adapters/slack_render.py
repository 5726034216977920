"""Markdown -> Slack Block Kit: the Slack adapter's rendering, pure and without I/O.

Program Markdown becomes `mrkdwn` section blocks (`**bold**` -> `*bold*`, `*italic*` ->
`_italic_`, `[text](url)` -> `<url|text>`, list items -> `• `), with `&`, `<` and `>` escaped
as Slack requires. Public `http(s)` images become image blocks; local images are left out of the
text because the adapter uploads them as files (their alt text is returned for that upload).

mrkdwn has no escapes: `*`, `_`, `~`, a backtick or a leading `>` is markup wherever it stands. So
a paragraph of plain text in which the author escaped a character (as `bot.domain.text.verbatim`
escapes everything a person wrote for another) becomes a `plain_text` section, which Slack shows
as it is. Inside a list or quote there is no plain text, only mrkdwn: there the characters are
escaped for Slack but its markers stay markup.

Slack's limits shape the output: a section holds at most 3,000 characters and a message at most
50 blocks, so a long text becomes several sections and, if need be, several messages; the choice
buttons (an actions block, at most 25 buttons each) always go in the last message.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.domain.mentions import accounts_in
from bot.domain.messages import Choice

Block = dict[str, Any]

SECTION_LIMIT = 3000
BLOCKS_PER_MESSAGE = 50
BUTTONS_PER_ACTIONS = 25
BUTTON_LABEL_LIMIT = 75
FALLBACK_LIMIT = 4000
CHOICE_ACTION_PREFIX = "choice-"
CHOICE_BLOCK_PREFIX = "choices-"

# Without text_join an escaped character stays its own token (text_special), so a paragraph the
# author escaped can be told apart from one that merely contains the same characters.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").disable("text_join")
_LITERAL_INLINE = frozenset({"text", "text_special", "softbreak", "hardbreak"})
_FULL_WIDTH_MARKERS = re.compile("[＊＿｀＞]")
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


@dataclass(frozen=True, slots=True)
class _Plain:
    """A paragraph of literal text, for a plain_text section."""

    text: str


_Piece = str | _Plain | _Image | None  # mrkdwn text, plain text, an image block, or a divider (None)


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
    return "\n\n".join(_as_mrkdwn(p) for p in _Renderer().pieces(markdown) if isinstance(p, str | _Plain))


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
    for _, run in itertools.groupby(pieces, key=type):
        yield from _run_blocks(list(run))


def _run_blocks(run: Sequence[_Piece]) -> Iterator[Block]:
    """The blocks of a run of pieces of one kind: consecutive texts share sections."""
    yield from _sections([piece for piece in run if isinstance(piece, str)])
    yield from _sections([piece.text for piece in run if isinstance(piece, _Plain)], kind="plain_text")
    yield from (_media_block(piece) for piece in run if piece is None or isinstance(piece, _Image))


def _media_block(piece: _Image | None) -> Block:
    if piece is None:
        return {"type": "divider"}
    return {"type": "image", "image_url": piece.url, "alt_text": _clip(piece.alt or "image", 2000)}


def _sections(texts: Sequence[str], *, kind: str = "mrkdwn") -> Iterator[Block]:
    """Pack consecutive text pieces into as few sections of `kind` as fit under the section limit."""
    current = ""
    for text in texts:
        for part in _split(text, SECTION_LIMIT):
            joined = f"{current}\n\n{part}" if current else part
            if len(joined) <= SECTION_LIMIT:
                current = joined
                continue
            yield _section(current, kind)
            current = part
    if current:
        yield _section(current, kind)


def _section(text: str, kind: str) -> Block:
    return {"type": "section", "text": {"type": kind, "text": text}}


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
    texts = [_fallback(block["text"]) for block in blocks if block["type"] == "section"]
    fallback = "\n\n".join(texts) or " / ".join(escape(choice.label) for choice in choices) or " "
    return SlackMessage(text=_clip(fallback, FALLBACK_LIMIT), blocks=tuple(blocks))


def _fallback(text: Mapping[str, str]) -> str:
    # The message's `text` (notifications, screen readers) is mrkdwn, also for plain sections.
    return escape(text["text"]) if text["type"] == "plain_text" else text["text"]


def _as_mrkdwn(piece: str | _Plain) -> str:
    return escape(piece.text) if isinstance(piece, _Plain) else piece


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
        if kind == "paragraph" and _is_literal(node):
            return [_Plain(_literal_text(node))]
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
                    lines.append(_as_mrkdwn(piece))
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
        if kind in ("text", "text_special"):
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


def _inline_children(paragraph: SyntaxTreeNode) -> list[SyntaxTreeNode]:
    return paragraph.children[0].children if paragraph.children else []


def _is_literal(paragraph: SyntaxTreeNode) -> bool:
    """Plain text (no emphasis, code or link) in which the author escaped a character or which
    holds a full-width marker: Slack reads `＊`, `＿`, `｀` and a leading `＞` as markup too."""
    inline = _inline_children(paragraph)
    if not all(node.type in _LITERAL_INLINE for node in inline):
        return False
    return any(node.info == "escape" or _FULL_WIDTH_MARKERS.search(node.content) for node in inline)


def _literal_text(paragraph: SyntaxTreeNode) -> str:
    breaks = {"softbreak": " ", "hardbreak": "\n"}
    return "".join(breaks.get(node.type, node.content) for node in _inline_children(paragraph)).strip()


def _flatten(segments: Sequence[str | _Image]) -> str:
    return "".join(s if isinstance(s, str) else escape(s.alt) for s in segments)


def _link(href: str, label: str) -> str:
    accounts = accounts_in(href)
    if accounts is not None:  # a person: a mention where they are in this workspace
        return f"<@{accounts['slack']}>" if "slack" in accounts else label
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
