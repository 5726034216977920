"""The App Home tab as a neutral value, and its translation into a Slack `home` view.

The core says what a learner's Home shows (a title, sections of Markdown such as progress and
what comes next, and the choice menu); `SlackAdapter.publish_home` renders it with this module.
`HomePage` imports nothing from Slack, so the core can build one without knowing Block Kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.adapters.slack_render import Block, choice_blocks, escape, mrkdwn_sections, to_mrkdwn
from bot.domain.messages import Choice

HOME_BLOCK_LIMIT = 100
HOME_ACTION_PREFIX = "home-choice-"
_HEADER_LIMIT = 150


@dataclass(frozen=True, slots=True)
class HomeSection:
    """One part of the Home tab: an optional heading over Markdown text."""

    markdown: str
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class HomePage:
    """What the App Home tab shows; `choices` become buttons whose values come back as choices."""

    title: str
    sections: tuple[HomeSection, ...] = ()
    choices: tuple[Choice, ...] = ()


def render_home(page: HomePage) -> dict[str, Any]:
    """The `view` argument of `views.publish` for `page` (at most 100 blocks, as Slack allows)."""
    blocks: list[Block] = [_header(page.title)]
    for section in page.sections:
        blocks.extend(_section_blocks(section))
    buttons = choice_blocks(page.choices, action_prefix=HOME_ACTION_PREFIX)
    room = HOME_BLOCK_LIMIT - len(buttons)
    return {"type": "home", "blocks": [*blocks[:room], *buttons]}


def _header(title: str) -> Block:
    text = title if len(title) <= _HEADER_LIMIT else title[: _HEADER_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _section_blocks(section: HomeSection) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}]
    text = to_mrkdwn(section.markdown)
    if section.heading:
        text = f"*{escape(section.heading)}*\n{text}" if text else f"*{escape(section.heading)}*"
    return [*blocks, *mrkdwn_sections(text)]
