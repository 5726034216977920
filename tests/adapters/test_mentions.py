"""A person named by the core (`bot.domain.mentions.person_link`) is pointed at as each platform
does it: a Slack mention, a Telegram @username, the name alone in the console or where the
person has no account on that platform."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack_render import render_message
from bot.adapters.telegram_render import render_parts
from bot.domain.mentions import accounts_in, person_link
from bot.domain.text import verbatim
from tests.adapters.test_verbatim import console_output

CARLA = {"slack": "U0CARLA", "telegram": "carla_c"}


def telegram(markdown: str) -> str:
    (part,) = render_parts(markdown)
    return part


def slack(markdown: str) -> str:
    (message,) = render_message(markdown).messages
    return "\n".join(block["text"]["text"] for block in message.blocks)


def test_each_platform_points_at_the_person_its_own_way() -> None:
    named = f"Je partner is **{person_link('Carla Claes', CARLA)}**."
    assert telegram(named) == "Je partner is <b>Carla Claes (@carla_c)</b>."
    assert slack(named) == "Je partner is *<@U0CARLA>*."
    assert console_output(named, rich=False).splitlines()[1] == "Je partner is **Carla Claes**."


def test_without_an_account_on_the_platform_the_name_is_shown() -> None:
    on_telegram_only = person_link("Carla Claes", {"telegram": "carla_c"})
    assert slack(on_telegram_only) == "Carla Claes"
    assert telegram(person_link("Carla Claes", {"slack": "U0CARLA"})) == "Carla Claes"
    assert person_link("Carla Claes", {}) == "Carla Claes"


def test_a_handle_that_is_not_a_plain_name_is_left_out() -> None:
    link = person_link("Carla", {"slack": "U1>|<!channel", "telegram": "carla c"})
    assert link == "Carla"
    assert accounts_in("https://example.com/") is None


NAMES = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1).filter(str.strip)


@given(NAMES)
def test_any_name_is_shown_as_written_and_the_link_never_shows(name: str) -> None:
    link = person_link(name, {"telegram": "carla_c"})
    assert html.unescape(telegram(link)) == f"{name.strip()} (@carla_c)"
    assert console_output(link, rich=False).splitlines()[1] == name.strip()
    assert slack(person_link(name, {"slack": "U0CARLA"})) == "<@U0CARLA>"


def test_a_person_cannot_write_a_link_to_someone() -> None:
    """Text a person wrote is `verbatim`: its brackets are escaped, so it points at nobody (the
    renderers' handling of all such text: tests/adapters/test_verbatim.py)."""
    written = verbatim("[Carla](coachbot-person:slack=U0CARLA&telegram=carla_c)")
    assert "(@carla_c)" not in telegram(written)
    [block] = render_message(written).messages[0].blocks
    assert block["text"] == {
        "type": "plain_text",
        "text": "[Carla](coachbot-person:slack=U0CARLA&telegram=carla_c)",
    }
