"""Markdown -> Telegram HTML and splitting, checked against the fake's copy of Telegram's rules."""

from __future__ import annotations

import html
import re

import pytest

from bot.adapters.telegram_render import MESSAGE_LIMIT, render, render_parts, split_html, utf16_length
from tests.fakes.telegram_api import html_problem


def visible(part: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", part))


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("5 * 3 = 15, 2 * 2 = 4", "5 * 3 = 15, 2 * 2 = 4"),
        ("snake_case_name and __init__", "snake_case_name and <b>init</b>"),
        ("**bold** and *italic* and ~~gone~~", "<b>bold</b> and <i>italic</i> and <s>gone</s>"),
        ("`x < y && z`", "<code>x &lt; y &amp;&amp; z</code>"),
        ("<b>raw</b> &amp; &copy;", "&lt;b&gt;raw&lt;/b&gt; &amp; ©"),
        ("\\*not italic\\*", "*not italic*"),
        ("# A heading", "<b>A heading</b>"),
        ("wrapped\nline", "wrapped line"),
        ("hard  \nbreak", "hard\nbreak"),
        ("---", "———"),
    ],
)
def test_inline_markdown_becomes_escaped_telegram_html(markdown: str, expected: str) -> None:
    assert render(markdown) == expected
    assert html_problem(render(markdown)) is None


def test_links_keep_their_target_escaped_and_their_text_escaped() -> None:
    rendered = render('[Q&A <now>](https://example.com/?a=1&b="2")')
    assert rendered == '<a href="https://example.com/?a=1&amp;b=%222%22">Q&amp;A &lt;now&gt;</a>'
    assert html_problem(rendered) is None


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[notes](notes.md)", "notes (notes.md)"),
        ("<mail@example.com>", "mail@example.com"),
        ("<https://example.com/x_y>", '<a href="https://example.com/x_y">https://example.com/x_y</a>'),
    ],
)
def test_links_telegram_would_refuse_become_text(markdown: str, expected: str) -> None:
    assert render(markdown) == expected


def test_lists_become_bullet_and_numbered_lines() -> None:
    markdown = "- one\n- two *it*\n  - nested\n- three\n\n3. third\n4. fourth"
    assert render(markdown) == "• one\n• two <i>it</i>\n    ◦ nested\n• three\n\n3. third\n4. fourth"


def test_code_blocks_keep_their_text_and_language() -> None:
    markdown = "```python\nif a < b:\n    print('&')\n```\n\n    indented <code>"
    assert render(markdown) == (
        "<pre><code class=\"language-python\">if a &lt; b:\n    print('&amp;')</code></pre>"
        "\n\n<pre>indented &lt;code&gt;</pre>"
    )


def test_blockquotes_do_not_nest() -> None:
    rendered = render("> said **this**\n> > and that")
    assert rendered == "<blockquote>said <b>this</b>\n\nand that</blockquote>"
    assert html_problem(rendered) is None


def test_images_in_the_text_are_left_to_the_photos() -> None:
    assert render("![a chart](chart.png)\n\nSee above.") == "See above."


def test_an_empty_text_renders_to_no_parts() -> None:
    assert render_parts("") == []
    assert render_parts("![only an image](x.png)") == []


def test_long_texts_split_at_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraph {n}: " + "word " * 500 for n in range(6)]  # ~2,500 characters each
    parts = render_parts("\n\n".join(paragraphs))
    assert len(parts) == 6
    assert [part.split(":")[0] for part in parts] == [f"Paragraph {n}" for n in range(6)]
    assert all(utf16_length(part) <= MESSAGE_LIMIT for part in parts)


def test_short_paragraphs_are_packed_together() -> None:
    parts = render_parts("\n\n".join(["short paragraph"] * 400))  # 400 x 17 characters
    assert len(parts) == 2
    assert all(utf16_length(part) <= MESSAGE_LIMIT for part in parts)
    assert sum(part.count("short paragraph") for part in parts) == 400


def test_one_huge_paragraph_splits_between_words_and_keeps_tags_balanced() -> None:
    words = [f"w{n}" for n in range(3000)]
    markdown = "**" + " ".join(words) + "** end & <tail>"
    parts = render_parts(markdown, limit=1000)
    assert len(parts) > 10
    for part in parts:
        assert utf16_length(part) <= 1000
        assert html_problem(part) is None
    assert " ".join(visible(part) for part in parts).split() == [*words, "end", "&", "<tail>"]


def test_a_long_code_block_splits_at_lines_into_complete_blocks() -> None:
    code = "\n".join(f"line {n} < {n + 1}" for n in range(400))
    parts = render_parts(f"```\n{code}\n```", limit=1000)
    assert len(parts) > 5
    assert all(part.startswith("<pre>") and part.endswith("</pre>") for part in parts)
    assert all(html_problem(part) is None and utf16_length(part) <= 1000 for part in parts)
    assert "\n".join(visible(part).strip("\n") for part in parts) == code


def test_text_without_spaces_is_cut_between_characters_not_inside_entities() -> None:
    parts = split_html("&amp;" * 30, limit=12)
    assert parts == ["&amp;&amp;", *["&amp;&amp;"] * 14]
    assert all(html_problem(part) is None for part in parts)


def test_emoji_count_twice_towards_the_limit() -> None:
    parts = split_html("😀" * 10, limit=10)
    assert parts == ["😀" * 5, "😀" * 5]


def test_a_link_split_in_two_keeps_its_target_on_both_parts() -> None:
    rendered = render("[" + "click here " * 20 + "](https://example.com)")
    parts = split_html(rendered, limit=120)
    assert len(parts) > 1
    assert all(part.startswith('<a href="https://example.com">') for part in parts)
    assert all(html_problem(part) is None for part in parts)


@pytest.mark.parametrize(
    "markdown",
    [
        "Dat begreep ik niet helemaal. Typ /help.",
        "**Vet** en *schuin*, `code` & [een link](https://example.com/a?b=1&c=2)\n\n- een\n- twee",
        "> citaat\n\n```python\nx = 1 < 2\n```",
        "   \n\n",
        "x" * MESSAGE_LIMIT,
        "x" * (MESSAGE_LIMIT + 1),
        "😀" * (MESSAGE_LIMIT // 2 + 1),
    ],
)
def test_render_parts_is_render_then_split(markdown: str) -> None:
    rendered = render(markdown)
    assert render_parts(markdown) == (split_html(rendered) if rendered else [])
