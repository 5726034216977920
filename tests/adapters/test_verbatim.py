"""Text one person wrote, shown to another (`bot.domain.text.verbatim`), stays the writer's
characters on every renderer: Telegram HTML, Slack blocks, the console (plain and rich).

Every check compares with `shown(text)`: the writer's text as `verbatim` documents it is shown,
each line stripped of whitespace at its ends and runs of blank lines made one.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
import string
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.adapters.console import ConsoleAdapter
from bot.adapters.slack_render import SECTION_LIMIT, render_message
from bot.adapters.telegram_render import MESSAGE_LIMIT, render_parts, utf16_length
from bot.domain.messages import Identity, Outbound
from bot.domain.text import MAX_RELAYED_CHARACTERS, too_long, verbatim
from scheduler.clock import FrozenClock

WRITERS_TEXTS = {
    "markdown link": "Kijk [hier](https://evil.example/login) voor je cijfer",
    "image": "![logo](https://evil.example/track.png)",
    "bold and italic": "Dit is **belangrijk**, *schuin*, __ook__ en _dit_",
    "heading": "# Kop\nTekst eronder",
    "setext heading and rule": "Kop\n===\nonder\n---\n***",
    "lists": "- een\n+ twee\n* drie\n1. vier\n2) vijf",
    "code": "```python\nprint('hi')\n```\n    ingesprongen code\n`inline`",
    "quote": "> geciteerd\n>> dubbel",
    "html tags": '<b>vet</b> <a href="https://evil.example">klik</a> <script>alert(1)</script>',
    "slack mentions": "Hoi <@U123ABC> en <!channel> <!here> <#C42|algemeen> <!subteam^S1>",
    "slack links": "<https://evil.example|je bank> en <mailto:a@evil.example|mail>",
    "autolinks": "<https://evil.example> en <a@evil.example>",
    "entities": "Q&amp;A &copy; &#169; &#x41; & <3 > 2",
    "backslashes": "C:\\pad\\*naar\\bestand\\\nregel na een backslash",
    "strike and table": "~~weg~~ ~ook~\n| a | b |\n|---|---|",
    "link reference": "[x]\n\n[x]: https://evil.example",
    "emoji": "Goed gedaan 🎉👍🏽 👨‍👩‍👧 :tada:",
    "dutch": "Ik vond het lastig om ‘nee’ te zeggen – vooral tegen m’n manager.\nVolgende keer beter!",
    "paragraphs": "  eerste regel  \n\tingesprongen\n\n\n\nna drie lege regels\r\nWindows-regel",
    "full-width markers": "＊vet＊ ＿schuin＿ ｀code｀\n＞ citaat",
    "person link": "Van [Carla](coachbot-person:slack=U0CARLA&telegram=carla_c)",
}
CASES = pytest.mark.parametrize("text", WRITERS_TEXTS.values(), ids=WRITERS_TEXTS.keys())


def shown(text: str) -> str:
    """What a reader sees of `text`: verbatim's documented normalisation, written out again."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# --- the core -----------------------------------------------------------------------------


def test_verbatim_escapes_exactly_what_markdown_it_lets_a_backslash_escape() -> None:
    """CommonMark's escapable set is ASCII punctuation; markdown-it agrees, character by character."""
    parser = MarkdownIt("commonmark").disable("text_join")
    for character in string.printable.strip():
        (token,) = parser.parseInline("\\" + character)[0].children or []
        assert (token.content == character) == (character in string.punctuation)
        assert verbatim(character) == ("\\" + character if character in string.punctuation else character)


def test_line_breaks_are_hard_breaks_and_blank_lines_separate_paragraphs() -> None:
    assert verbatim("een\ntwee\n\n\ndrie") == "een\\\ntwee\n\ndrie"


def test_a_relayed_text_may_be_as_long_as_the_limit_and_no_longer() -> None:
    assert MAX_RELAYED_CHARACTERS == 4000
    assert not too_long("a" * MAX_RELAYED_CHARACTERS)
    assert too_long("a" * (MAX_RELAYED_CHARACTERS + 1))


# --- Telegram -----------------------------------------------------------------------------


@CASES
def test_telegram_shows_the_writers_characters_and_makes_no_tag(text: str) -> None:
    (part,) = render_parts(verbatim(text))
    assert "<" not in part, "every tag (b, i, a, code, pre, blockquote...) would start with <"
    assert html.unescape(part) == shown(text)


def test_a_long_text_is_split_for_telegram_without_losing_a_character() -> None:
    """Ampersands: each is five characters of HTML, so 4,000 of them need several messages."""
    text = "&<*_" * (MAX_RELAYED_CHARACTERS // 4)
    parts = render_parts(verbatim(text))
    assert len(parts) > 1
    assert all(utf16_length(part) <= MESSAGE_LIMIT for part in parts)
    assert html.unescape("".join(parts)) == text


def test_a_long_text_of_lines_is_split_at_line_breaks_only() -> None:
    """`<`, `>` and `&` grow in HTML and emoji count twice in UTF-16; a cut falls on a line break,
    which the cut takes away."""
    line = "🙂 <b>niet vet</b> & [geen link](https://evil.example)"
    lines = [f"regel {number}: {line}" for number in range(80)]
    text = "\n".join(lines)[:MAX_RELAYED_CHARACTERS]
    parts = render_parts(verbatim(text))
    assert len(parts) > 1
    assert all(utf16_length(part) <= MESSAGE_LIMIT for part in parts)
    assert "\n".join(html.unescape(part) for part in parts) == text


# --- Slack --------------------------------------------------------------------------------


def slack_blocks(markdown: str) -> list[dict[str, Any]]:
    rendered = render_message(markdown)
    assert not rendered.image_alts
    for message in rendered.messages:
        assert not re.search(r"<[@!#h]", message.text), "the notification text has Slack syntax"
    return [block for message in rendered.messages for block in message.blocks]


def slack_shown(section: dict[str, Any]) -> str:
    """A section's text as Slack shows it: plain_text as it is, mrkdwn with its entities decoded."""
    text: str = section["text"]["text"]
    if section["text"]["type"] == "plain_text":
        return text
    assert not re.search("[<>]", text), "only Slack syntax (links, mentions) has < or >"
    assert not re.search(r"[*_~`＊＿｀]|^(&gt;|＞)", text, re.MULTILINE), "mrkdwn would read markup"
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@CASES
def test_slack_shows_the_writers_characters_as_text_only(text: str) -> None:
    blocks = slack_blocks(verbatim(text))
    assert {block["type"] for block in blocks} == {"section"}, "no image, divider or other block"
    assert "\n\n".join(slack_shown(block) for block in blocks) == shown(text)


def test_text_without_punctuation_stays_mrkdwn_escaped_for_slack() -> None:
    (block,) = slack_blocks(verbatim("Hallo wereld\nhoe gaat het"))
    assert block["text"] == {"type": "mrkdwn", "text": "Hallo wereld\nhoe gaat het"}


def test_the_bots_own_markdown_around_a_relayed_text_keeps_its_formatting() -> None:
    blocks = slack_blocks(f"**Je coach schreef:**\n\n{verbatim('Probeer **dit** eens :)')}")
    assert [block["text"] for block in blocks] == [
        {"type": "mrkdwn", "text": "*Je coach schreef:*"},
        {"type": "plain_text", "text": "Probeer **dit** eens :)"},
    ]


def test_a_long_text_is_split_into_slack_sections_without_losing_a_character() -> None:
    text = "\n".join(f"regel {number}: <@U1> *geen* _opmaak_ & meer tekst" for number in range(100))
    text = text[:MAX_RELAYED_CHARACTERS]
    blocks = slack_blocks(verbatim(text))
    assert len(blocks) > 1
    assert all(len(block["text"]["text"]) <= SECTION_LIMIT for block in blocks)
    assert "\n".join(slack_shown(block) for block in blocks) == text


# --- console ------------------------------------------------------------------------------

ANNA = Identity("console", "anna@acme.example")
STAMP = "[Mon 2027-01-04 09:00] Coachbot:"


def console_output(markdown: str, *, rich: bool) -> str:
    output = io.StringIO()
    clock = FrozenClock(datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    adapter = ConsoleAdapter(
        email=ANNA.external_id, output=output, clock=clock, timezone=ZoneInfo("Europe/Amsterdam"), rich=rich
    )
    asyncio.run(adapter.send(Outbound(recipient=ANNA, text=markdown, delivery_key="k")))
    return output.getvalue()


@CASES
def test_the_plain_console_prints_the_writers_characters(text: str) -> None:
    assert console_output(verbatim(text), rich=False) == f"{STAMP}\n{shown(text)}\n\n"


@CASES
def test_the_rich_console_prints_the_writers_characters(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps at the terminal's width; no line here is that long
    panel = console_output(verbatim(text), rich=True).splitlines()
    inside = [line[1:-1].strip() for line in panel[1:-1]]  # between the borders
    assert "\n".join(inside) == shown(text).replace("\t", " ")


def test_the_plain_console_keeps_backslashes_in_the_bots_code() -> None:
    printed = console_output("Typ `C:\\*` of\n\n```\na\\_b\n```\n\nniet \\*vet\\*", rich=False)
    assert "Typ `C:\\*` of\n\n```\na\\_b\n```\n\nniet *vet*\n" in printed


# --- any text -----------------------------------------------------------------------------

WRITTEN = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs", "Cf"]) | st.sampled_from("\n\t"))


@given(WRITTEN)
def test_telegram_shows_any_text_as_written(text: str) -> None:
    rendered = "\n\n".join(render_parts(verbatim(text)))
    assert "<" not in rendered, "no tag at all: verbatim text adds none"
    assert html.unescape(rendered) == shown(text)


@given(WRITTEN)
def test_telegram_shows_any_text_under_the_bots_heading_with_only_the_bots_tags(text: str) -> None:
    (rendered,) = render_parts(f"**Je coach schreef:**\n\n{verbatim(text)}")
    assert re.findall(r"<[^>]*>", rendered) == ["<b>", "</b>"]
    visible = html.unescape(re.sub(r"<[^>]*>", "", rendered))
    assert visible == "\n\n".join(part for part in ("Je coach schreef:", shown(text)) if part)


@given(WRITTEN)
def test_slack_shows_any_text_as_written(text: str) -> None:
    blocks = slack_blocks(verbatim(text))
    assert "\n\n".join(slack_shown(block) for block in blocks) == shown(text)


@given(WRITTEN)
def test_the_plain_console_shows_any_text_as_written(text: str) -> None:
    printed = console_output(verbatim(text), rich=False)
    assert printed == f"{STAMP}\n{shown(text)}\n\n"
