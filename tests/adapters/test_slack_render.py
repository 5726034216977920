"""Markdown -> Block Kit: mrkdwn conversion, escaping, Slack's size limits, buttons, answered
messages and the App Home view."""

from __future__ import annotations

import pytest

from bot.adapters.slack_home import render_home
from bot.adapters.slack_render import (
    BLOCKS_PER_MESSAGE,
    SECTION_LIMIT,
    answered_blocks,
    escape,
    render_message,
    to_mrkdwn,
)
from bot.domain.home import HomeSection, HomeView
from bot.domain.messages import Choice


def only_text(markdown: str) -> str:
    (message,) = render_message(markdown).messages
    (block,) = message.blocks
    assert block["type"] == "section"
    text: str = block["text"]["text"]
    return text


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("Dit is **belangrijk**.", "Dit is *belangrijk*."),
        ("Een *schuine* en _ook schuin_ woord", "Een _schuine_ en _ook schuin_ woord"),
        ("~~weg~~", "~weg~"),
        ("Zie [de site](https://example.com/a?b=1&c=2)", "Zie <https://example.com/a?b=1&amp;c=2|de site>"),
        ("<https://example.com>", "<https://example.com>"),
        ("Gebruik `a < b`", "Gebruik `a &lt; b`"),
        ("Tom & Jerry <3 > 2", "Tom &amp; Jerry &lt;3 &gt; 2"),
        ("# Kop met **vet**", "*Kop met vet*"),
        ("regel een\nloopt door", "regel een loopt door"),
        ("harde  \nbreuk", "harde\nbreuk"),
        ("- een\n- twee", "• een\n• twee"),
        ("3. drie\n4. vier", "3. drie\n4. vier"),
        ("- boven\n  - onder", "• boven\n    ◦ onder"),
        ("> citaat\n> verder", "> citaat verder"),
        ("```\nif a < b:\n    pass\n```", "```\nif a &lt; b:\n    pass\n```"),
        ("<b>geen html</b>", "&lt;b&gt;geen html&lt;/b&gt;"),
    ],
)
def test_markdown_becomes_escaped_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert only_text(markdown) == mrkdwn


def test_paragraphs_share_a_section_separated_by_a_blank_line() -> None:
    assert only_text("Eerste alinea.\n\nTweede alinea.") == "Eerste alinea.\n\nTweede alinea."


def test_a_horizontal_rule_is_a_divider_and_public_images_are_image_blocks() -> None:
    (message,) = render_message("Voor\n\n---\n\n![Een schema](https://example.com/s.png)\n\nNa").messages

    assert [b["type"] for b in message.blocks] == ["section", "divider", "image", "section"]
    assert message.blocks[2]["image_url"] == "https://example.com/s.png"
    assert message.blocks[2]["alt_text"] == "Een schema"


def test_local_images_leave_the_text_and_report_their_alt_text() -> None:
    rendered = render_message("Kijk: ![Het SBI-model](img/sbi.png) hierboven.")

    assert rendered.image_alts == {"img/sbi.png": "Het SBI-model"}
    assert rendered.messages[0].blocks[0]["text"]["text"] == "Kijk:  hierboven."


def test_a_long_paragraph_is_split_into_sections_under_the_limit_without_losing_words() -> None:
    words = [f"woord{n}" for n in range(1500)]

    (message,) = render_message(" ".join(words)).messages

    texts = [b["text"]["text"] for b in message.blocks]
    assert len(texts) > 1
    assert all(len(t) <= SECTION_LIMIT for t in texts)
    assert " ".join(texts).split() == words


def test_a_split_never_cuts_an_escaped_character() -> None:
    (message,) = render_message("&" * 2000).messages  # 10,000 characters once escaped, no spaces

    texts = [b["text"]["text"] for b in message.blocks]
    assert all(len(t) <= SECTION_LIMIT and t.endswith("&amp;") for t in texts)
    assert "".join(texts) == "&amp;" * 2000


def test_a_long_code_block_keeps_its_fences_in_every_section() -> None:
    code = "\n".join(f"regel_{n} = {n}" for n in range(400))

    (message,) = render_message(f"```\n{code}\n```").messages

    texts = [b["text"]["text"] for b in message.blocks]
    assert len(texts) > 1
    assert all(t.startswith("```\n") and t.endswith("\n```") and len(t) <= SECTION_LIMIT for t in texts)


def test_more_than_fifty_blocks_become_more_messages_with_the_buttons_in_the_last() -> None:
    markdown = "\n\n---\n\n".join(f"Deel {n}" for n in range(40))  # 79 blocks

    rendered = render_message(markdown, [Choice("Klaar", "done")])

    assert len(rendered.messages) == 2
    assert all(len(m.blocks) <= BLOCKS_PER_MESSAGE for m in rendered.messages)
    assert [b["type"] for b in rendered.messages[-1].blocks][-1] == "actions"
    assert all(b["type"] != "actions" for b in rendered.messages[0].blocks)
    assert rendered.messages[0].text.startswith("Deel 0")


def test_choices_become_buttons_with_unique_action_ids_and_their_values() -> None:
    choices = [Choice(f"Optie {n}", f"value-{n}") for n in range(30)]

    (message,) = render_message("Kies:", choices).messages

    actions = [b for b in message.blocks if b["type"] == "actions"]
    buttons = [e for b in actions for e in b["elements"]]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    assert [b["value"] for b in buttons] == [c.value for c in choices]
    assert len({b["action_id"] for b in buttons}) == 30
    assert len({b["block_id"] for b in actions}) == 2


def test_a_long_button_label_is_clipped_to_slacks_limit() -> None:
    (message,) = render_message("Kies:", [Choice("x" * 100, "v")]).messages

    label = message.blocks[-1]["elements"][0]["text"]["text"]
    assert len(label) == 75
    assert label.endswith("…")


def test_the_fallback_text_is_never_empty() -> None:
    (message,) = render_message("", [Choice("Ja", "yes"), Choice("Nee", "no")]).messages

    assert message.text == "Ja / Nee"
    assert [b["type"] for b in message.blocks] == ["actions"]


def test_nothing_to_say_renders_no_message() -> None:
    assert render_message("").messages == ()


def test_an_answered_message_keeps_its_text_and_shows_the_choice_instead_of_buttons() -> None:
    (message,) = render_message("Vraag?\n\n---\n\nToelichting", [Choice("A & B", "ab")]).messages

    blocks = answered_blocks(message.blocks, "A & B")

    assert [b["type"] for b in blocks] == ["section", "divider", "section", "context"]
    assert blocks[-1]["elements"][0]["text"] == "✓ A &amp; B"
    assert blocks[0] == message.blocks[0]


def test_escape_covers_exactly_slacks_three_characters() -> None:
    assert escape("a & b < c > d * _ ~") == "a &amp; b &lt; c &gt; d * _ ~"


def test_to_mrkdwn_joins_blocks_into_one_text() -> None:
    assert to_mrkdwn("**Week 3**\n\n- tip\n- quiz") == "*Week 3*\n\n• tip\n• quiz"


def test_the_home_view_has_a_header_sections_and_buttons_under_their_section() -> None:
    view = HomeView(
        title="Feedback geven",
        sections=(
            HomeSection(("*3* van 12 gedaan",), heading="Voortgang"),
            HomeSection(("- Dinsdag: quiz <SBI>",), heading="Hierna", choices=(Choice("Kies: A", "m:a"),)),
            HomeSection(("Keuzes",), choices=(Choice("Kies: B", "m:b"), Choice("Verwijder: C", "m:c"))),
        ),
    )

    blocks = render_home(view)["blocks"]

    assert render_home(view)["type"] == "home"
    assert [b["type"] for b in blocks] == [
        "header",
        "divider",
        "section",
        "divider",
        "section",
        "actions",
        "divider",
        "section",
        "actions",
    ]
    assert blocks[0]["text"]["text"] == "Feedback geven"
    assert blocks[4]["text"]["text"] == "*Hierna*\n• Dinsdag: quiz &lt;SBI&gt;"
    assert [e["value"] for e in blocks[5]["elements"]] == ["m:a"]
    assert [e["value"] for e in blocks[8]["elements"]] == ["m:b", "m:c"]
    # Slack refuses a view whose action or block ids repeat
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    block_ids = [b["block_id"] for b in blocks if b["type"] == "actions"]
    assert len(set(action_ids)) == len(action_ids) == 3
    assert len(set(block_ids)) == len(block_ids) == 2


def test_a_huge_home_view_stays_under_a_hundred_blocks_and_keeps_its_buttons() -> None:
    view = HomeView(
        title="T",
        sections=(
            HomeSection(("begin",), choices=(Choice("A", "m:a"),)),
            *(HomeSection((f"deel {n}",)) for n in range(80)),
            HomeSection(("menu",), choices=(Choice("M", "m:m"),)),
        ),
    )

    blocks = render_home(view)["blocks"]

    assert len(blocks) == 100
    assert [b["type"] for b in blocks[:4]] == ["header", "divider", "section", "actions"]
    assert blocks[-1]["type"] == "actions"
    assert blocks[-1]["elements"][0]["value"] == "m:m"


def test_buttons_are_never_split_over_two_messages() -> None:
    markdown = "\n\n---\n\n".join(f"Deel {n}" for n in range(25))  # 49 blocks
    choices = [Choice(f"Optie {n}", str(n)) for n in range(30)]  # 2 actions blocks

    rendered = render_message(markdown, choices)

    assert [len(m.blocks) for m in rendered.messages] == [49, 2]
    assert [b["type"] for b in rendered.messages[1].blocks] == ["actions", "actions"]


def test_the_same_message_is_rendered_once_and_shared() -> None:
    """A nudge to a whole cohort is parsed once; the result is shared, so it must not change."""
    choices = [Choice("Ja", "a:1"), Choice("Nee", "a:2")]
    first = render_message("Hoe ging het **gesprek**?", choices)
    again = render_message("Hoe ging het **gesprek**?", tuple(choices))
    assert again is first
    assert render_message("Hoe ging het **gesprek**?") is not first  # other choices, other message
