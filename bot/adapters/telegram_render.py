"""Program Markdown -> Telegram HTML (parse mode "HTML"), split into messages Telegram accepts.

Telegram understands a handful of tags (b, i, s, u, a, code, pre, blockquote) and three named
entities; everything else a trainer writes must arrive as text. So raw HTML in Markdown is
turned off and every piece of text is escaped: a `<`, `&` or `*` in a program never breaks a
message. Lists become "• " and "1. " lines, headings bold lines.

Long texts are split at paragraph boundaries (then line, then word boundaries) into parts of at
most 4,096 characters, never inside a tag: a tag still open at a cut is closed at the end of
one part and opened again at the start of the next.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.domain.mentions import accounts_in

MESSAGE_LIMIT = 4096
"""Telegram's limit for one message's text, counted here on the HTML (a safe upper bound)."""

_PARSER = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_INLINE_TAGS = {"strong": "b", "em": "i", "s": "s"}
_LINK_SCHEMES = ("http://", "https://", "tg://")


def render_parts(markdown: str, *, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The messages to send for one Markdown text: rendered, then split under `limit`."""
    rendered = render(markdown).strip()
    if utf16_length(rendered) <= limit:
        # Nearly every message fits: one part, as split_html would make it (our HTML is
        # balanced), without its walk over every character.
        return [rendered] if _has_text(rendered) else []
    return split_html(rendered, limit=limit)


def render(markdown: str) -> str:
    """Render Markdown as Telegram HTML: one string, blocks separated by blank lines."""
    root = SyntaxTreeNode(_PARSER.parse(markdown))
    return "\n\n".join(block for block in _blocks(root.children, depth=0) if block)


def escape(text: str) -> str:
    """Escape plain text for Telegram HTML (only `&`, `<` and `>` need it outside attributes)."""
    return html.escape(text, quote=False)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: in UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


# --- blocks -------------------------------------------------------------------------------


def _blocks(nodes: Iterable[SyntaxTreeNode], *, depth: int) -> list[str]:
    return [_block(node, depth=depth) for node in nodes]


def _block(node: SyntaxTreeNode, *, depth: int) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline_of(node)
    if kind == "heading":
        return f"<b>{_inline_of(node)}</b>"
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, depth=depth)
    if kind == "blockquote":
        return _blockquote(node, depth=depth)
    if kind in ("fence", "code_block"):
        return _code_block(node)
    if kind == "hr":
        return "———"
    # Anything else CommonMark may produce (e.g. html_block with html off never appears):
    # keep its text rather than lose it.
    return escape(node.content)


def _list(node: SyntaxTreeNode, *, depth: int) -> str:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    indent = "    " * depth
    lines = []
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}. " if ordered else ("• " if depth == 0 else "◦ ")
        body = "\n".join(part for part in _blocks(item.children, depth=depth + 1) if part)
        lines.append(indent + marker + body)
    return "\n".join(lines)


def _blockquote(node: SyntaxTreeNode, *, depth: int) -> str:
    inner = "\n\n".join(part for part in _blocks(node.children, depth=depth) if part)
    # Telegram rejects nested blockquotes: an inner quote keeps its text without the tag.
    if any(ancestor.type == "blockquote" for ancestor in _ancestors(node)):
        return inner
    return f"<blockquote>{inner}</blockquote>"


def _code_block(node: SyntaxTreeNode) -> str:
    code = escape(node.content.rstrip("\n"))
    language = node.info.strip().split(" ", 1)[0] if node.type == "fence" else ""
    if re.fullmatch(r"[\w+#-]+", language):
        return f'<pre><code class="language-{language}">{code}</code></pre>'
    return f"<pre>{code}</pre>"


def _ancestors(node: SyntaxTreeNode) -> Iterable[SyntaxTreeNode]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


# --- inline -------------------------------------------------------------------------------


def _inline_of(node: SyntaxTreeNode) -> str:
    return "".join(_inline(child) for inline in node.children for child in inline.children).strip()


def _inline(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "text":
        return escape(node.content)
    if kind == "softbreak":
        # Trainers wrap their Markdown at ~100 columns; on a phone those breaks are noise.
        return " "
    if kind == "hardbreak":
        return "\n"
    if kind == "code_inline":
        return f"<code>{escape(node.content)}</code>"
    inner = "".join(_inline(child) for child in node.children)
    if kind in _INLINE_TAGS:
        tag = _INLINE_TAGS[kind]
        return f"<{tag}>{inner}</{tag}>"
    if kind == "link":
        return _link(str(node.attrs.get("href", "")), inner)
    if kind == "image":
        # Images travel in `Outbound.images` and are sent as photos before the text.
        return ""
    return inner or escape(node.content)


def _link(href: str, inner: str) -> str:
    accounts = accounts_in(href)
    if accounts is not None:  # a person: their @username, which Telegram links by itself
        return f"{inner} (@{accounts['telegram']})" if "telegram" in accounts else inner
    if href.startswith("mailto:") or not href:
        return inner  # Telegram links e-mail addresses in text by itself
    if not href.startswith(_LINK_SCHEMES):
        # Telegram rejects relative or unknown links; show the target instead of failing.
        return f"{inner} ({escape(href)})"
    return f'<a href="{html.escape(href, quote=True)}">{inner or escape(href)}</a>'


# --- splitting ----------------------------------------------------------------------------

_UNIT = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]|[<&]")
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


@dataclass(frozen=True, slots=True)
class _Cut:
    """A place where a part may end: units[start:end] is the whitespace dropped there."""

    rank: int  # 3: blank line outside any tag, 2: line break, 1: space
    start: int
    end: int
    open_tags: tuple[str, ...]


def split_html(text: str, *, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into parts of at most `limit` UTF-16 units, tags kept balanced.

    Cuts prefer blank lines outside tags (paragraph boundaries), then line breaks, then
    spaces; a text without any is cut between characters (never inside a tag or entity).
    """
    parts: list[str] = []
    units = _UNIT.findall(text)
    open_tags: tuple[str, ...] = ()
    while units:
        taken, open_tags = _take_part(units, open_tags, limit=limit)
        part = "".join(taken).strip()
        if _has_text(part):
            parts.append(part)
    return parts


def _take_part(units: list[str], reopen: tuple[str, ...], *, limit: int) -> tuple[list[str], tuple[str, ...]]:
    """Remove one part's units from `units`; return them (tags closed) and the tags left open."""
    taken = list(reopen)
    length = sum(utf16_length(tag) for tag in reopen)
    stack = list(reopen)
    cuts: list[_Cut] = []
    for index, unit in enumerate(units):
        after = _stack_after(stack, unit)
        cost = utf16_length(unit) + _closing_length(after)
        if length + cost > limit and len(taken) > len(reopen):
            return _cut_at(units, taken, stack, cuts, index=index, reopened=len(reopen))
        _note_cut(cuts, taken, unit, stack=after, offset=index)
        taken.append(unit)
        length += utf16_length(unit)
        stack = after
    del units[:]
    return [*taken, *_closing(stack)], tuple(stack)


def _cut_at(
    units: list[str],
    taken: list[str],
    stack: list[str],
    cuts: list[_Cut],
    *,
    index: int,
    reopened: int,
) -> tuple[list[str], tuple[str, ...]]:
    best = max(cuts, key=lambda cut: (cut.rank, cut.start), default=None)
    if best is None:
        del units[:index]
        return [*taken, *_closing(stack)], tuple(stack)
    # `taken` starts with the reopened tags; cut offsets count from the first unit of `units`.
    kept = taken[: reopened + best.start]
    del units[: best.end]
    return [*kept, *_closing(list(best.open_tags))], best.open_tags


def _note_cut(cuts: list[_Cut], taken: list[str], unit: str, *, stack: list[str], offset: int) -> None:
    if unit == "\n":
        blank_line = bool(taken) and taken[-1] == "\n" and not stack
        if blank_line:
            cuts.append(_Cut(rank=3, start=offset - 1, end=offset + 1, open_tags=()))
        else:
            cuts.append(_Cut(rank=2, start=offset, end=offset + 1, open_tags=tuple(stack)))
    elif unit == " ":
        cuts.append(_Cut(rank=1, start=offset, end=offset + 1, open_tags=tuple(stack)))


def _stack_after(stack: list[str], unit: str) -> list[str]:
    match = _TAG.fullmatch(unit)
    if match is None:
        return stack
    if match.group(1):
        return stack[:-1]
    return [*stack, unit]


def _closing(stack: list[str]) -> list[str]:
    return [f"</{_tag_name(tag)}>" for tag in reversed(stack)]


def _closing_length(stack: list[str]) -> int:
    return sum(len(_tag_name(tag)) + 3 for tag in stack)


def _tag_name(tag: str) -> str:
    match = _TAG.fullmatch(tag)
    return match.group(2) if match else ""


def _has_text(part: str) -> bool:
    return bool(re.sub(r"<[^>]*>", "", part).strip())
