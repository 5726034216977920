"""Everything the bot says exists in Dutch and English, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot.i18n import CATALOGUES, translate


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


SAME_IN_BOTH = {"button.later", "coach.role.coach"}  # "Later" and "coach" are Dutch too


def _words(text: str) -> str:
    literal = "".join(part for part, _, _, _ in string.Formatter().parse(text))
    return "".join(char for char in literal if char.isalpha())


def test_both_languages_have_the_same_keys() -> None:
    assert set(CATALOGUES["nl"]) == set(CATALOGUES["en"])


@pytest.mark.parametrize("key", sorted(CATALOGUES["en"]))
def test_placeholders_match(key: str) -> None:
    assert _placeholders(CATALOGUES["nl"][key]) == _placeholders(CATALOGUES["en"][key])


@pytest.mark.parametrize("key", sorted(CATALOGUES["en"]))
def test_no_text_is_empty_or_untranslated(key: str) -> None:
    nl, en = CATALOGUES["nl"][key], CATALOGUES["en"][key]
    assert nl.strip()
    assert en.strip()
    if (
        _words(en) and key not in SAME_IN_BOTH
    ):  # pure formats like "- {competency}: {after}" are the same in any language
        assert nl != en, f"{key} is not translated"


def test_translate_fills_placeholders_and_falls_back_to_dutch() -> None:
    assert translate("en", "quiz.finished", correct=2, total=3).startswith("That was the quiz: 2 of 3")
    assert translate("fr", "quiz.correct") == CATALOGUES["nl"]["quiz.correct"]
