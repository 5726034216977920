"""The bot's own words, in Dutch and English. `translate("nl", "menu.title")`.

Catalogues are plain dicts (nl.py, en.py); a test checks both have the same keys and the same
placeholders, so no language can fall behind.
"""

from __future__ import annotations

from bot.i18n import en, nl

CATALOGUES: dict[str, dict[str, str]] = {"nl": nl.MESSAGES, "en": en.MESSAGES}
DEFAULT_LANGUAGE = "nl"


def translate(language: str, key: str, /, **values: object) -> str:
    """The text for `key` in `language` (falling back to Dutch), with `{placeholders}` filled."""
    catalogue = CATALOGUES.get(language, CATALOGUES[DEFAULT_LANGUAGE])
    return catalogue[key].format(**values)
