"""A `HomeView` (bot/domain/home.py) as a Slack `home` view for `views.publish`. Pure.

The core decides what the App Home tab shows; this module only translates: the title becomes a
header, each section a divider, its heading and Markdown as mrkdwn sections, and its buttons an
actions block right below it. Button values come back as choices like a message's buttons.
"""

from __future__ import annotations

from typing import Any

from bot.adapters.slack_render import Block, choice_blocks, escape, mrkdwn_sections, to_mrkdwn
from bot.domain.home import HomeSection, HomeView

HOME_BLOCK_LIMIT = 100
HOME_ACTION_PREFIX = "home-choice-"
HOME_BLOCK_PREFIX = "home-choices-"
_HEADER_LIMIT = 150


def render_home(view: HomeView) -> dict[str, Any]:
    """The `view` argument of `views.publish` for `view`: at most 100 blocks, as Slack allows;
    when text must go, the buttons stay."""
    blocks: list[Block] = [_header(view.title)]
    for number, section in enumerate(view.sections):
        blocks.extend(_section_blocks(section, number))
    return {"type": "home", "blocks": _within_limit(blocks)}


def _header(title: str) -> Block:
    text = title if len(title) <= _HEADER_LIMIT else title[: _HEADER_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _section_blocks(section: HomeSection, number: int) -> list[Block]:
    text = to_mrkdwn(section.markdown)
    if section.heading:
        text = f"*{escape(section.heading)}*\n{text}" if text else f"*{escape(section.heading)}*"
    # action_id and block_id must be unique within a view: number them per section.
    buttons = choice_blocks(
        section.choices,
        action_prefix=f"{HOME_ACTION_PREFIX}{number}-",
        block_prefix=f"{HOME_BLOCK_PREFIX}{number}-",
    )
    return [{"type": "divider"}, *mrkdwn_sections(text), *buttons]


def _within_limit(blocks: list[Block]) -> list[Block]:
    """Drop text blocks from the end until the view fits; actions blocks are always kept."""
    excess = len(blocks) - HOME_BLOCK_LIMIT
    kept = list(blocks)
    for index in range(len(kept) - 1, 0, -1):
        if excess <= 0:
            break
        if kept[index]["type"] != "actions":
            del kept[index]
            excess -= 1
    return kept
