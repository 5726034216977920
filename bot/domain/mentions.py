"""A person named in a message so that each platform can point at them: a Slack mention, a
Telegram @username, or the name alone.

The core writes `person_link(name, accounts)`, a Markdown link whose target names the person's
accounts (`coachbot-person:slack=U123&telegram=dana_d`); each adapter renders it in its own way,
and where the person has no account on that platform, shows the name. The name is `verbatim`,
and text a person wrote has its brackets escaped, so only the core can write such a link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl, urlencode

from bot.domain.text import verbatim

SCHEME: Final = "coachbot-person:"
# Slack user ids and Telegram usernames are letters, digits and underscores; anything else is
# left out, so a handle can never carry markup into any platform's message.
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,64}")


def person_link(name: str, accounts: Mapping[str, str]) -> str:
    """Markdown naming the person: a link to their accounts (platform -> user id or handle),
    or the name alone when they have none to point at."""
    kept = sorted((platform, handle) for platform, handle in accounts.items() if _HANDLE.fullmatch(handle))
    if not kept:
        return verbatim(name)
    return f"[{verbatim(name)}]({SCHEME}{urlencode(kept)})"


def accounts_in(href: str) -> dict[str, str] | None:
    """The accounts a person link names (platform -> user id or handle), or None for any other
    link."""
    if not href.startswith(SCHEME):
        return None
    return {
        platform: handle for platform, handle in parse_qsl(href[len(SCHEME) :]) if _HANDLE.fullmatch(handle)
    }
