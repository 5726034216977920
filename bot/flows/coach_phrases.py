"""Whether a learner's message asks, in plain words, for a human coach.

A small pattern matcher, not a model: the text is normalised (lowercase, accents and punctuation
gone, shorthands spelled out) and searched for the phrases of bot/i18n/phrases.py, each compiled
to a regular expression over the normalised words. A false positive costs the learner one yes/no
question, a miss leaves them without the coach they asked for; but learners write about coaches
and colleagues in every reflection, and those must pass without a question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache

from bot.i18n.phrases import PHRASEBOOKS, Phrasebook

GAP_WORDS = 3  # how many other words `...` in a phrase lets in

_APOSTROPHES = re.compile(r"[’‘`´ʼ′]")
_INITIALISM = re.compile(r"\b\w(?:\.\w)+\b\.?")  # a.u.b., s.v.p.
_WORD = re.compile(r"[\w']+")
_GROUP = re.compile(r"\{(\w+)\}")
_PHRASE_TOKEN = re.compile(r"\.\.\.|[()|?]|[^\s()|?]+")


def asks_for_a_coach(text: str, languages: Sequence[str] = ("nl", "en")) -> bool:
    """Whether `text` asks for a human coach in any of `languages` ("kan ik iemand spreken?")."""
    return any(_asks_in(text, language) for language in languages)


def normalise(text: str, language: str) -> str:
    """`text` as the phrases are written: lowercase words without accents, shorthands spelled out.

    The result starts with a space and separates words by one space, so that every word of a
    compiled phrase can begin with a space and never matches half a word.
    """
    shorthands = _phrasebook(language).shorthands
    plain = _without_accents(_APOSTROPHES.sub("'", text).casefold())
    plain = _INITIALISM.sub(lambda found: found.group().replace(".", ""), plain)
    words = (shorthands.get(word, word.replace("'", "")) for word in _WORD.findall(plain))
    return "".join(f" {word}" for word in words if word)


def compile_phrase(phrase: str, groups: Mapping[str, str]) -> re.Pattern[str]:
    """A phrase of bot/i18n/phrases.py as a regular expression over normalised text."""
    tokens = _PHRASE_TOKEN.findall(_expand_groups(phrase, groups))
    _check_alternatives(phrase, tokens)
    return re.compile("".join(_regex_of(token) for token in tokens) + "(?= |$)")


def _asks_in(text: str, language: str) -> bool:
    words = normalise(text, language)
    return any(pattern.search(words) for pattern in _patterns(language))


@cache
def _patterns(language: str) -> tuple[re.Pattern[str], ...]:
    book = _phrasebook(language)
    return tuple(compile_phrase(phrase, book.groups) for phrase in book.patterns)


def _phrasebook(language: str) -> Phrasebook:
    try:
        return PHRASEBOOKS[language]
    except KeyError:
        raise ValueError(f"no phrases for language {language!r} (known: {', '.join(PHRASEBOOKS)})") from None


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _expand_groups(phrase: str, groups: Mapping[str, str]) -> str:
    # Groups may name other groups ({someone} includes {human}); as many rounds as there are
    # groups expand any nesting without a loop.
    def group(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in groups:
            raise ValueError(f"phrase names no group {{{name}}} of its language: {phrase}")
        return f"({groups[name]})"

    expanded = phrase
    for _ in range(len(groups) + 1):
        expanded = _GROUP.sub(group, expanded)
    if _GROUP.search(expanded):
        raise ValueError(f"phrase groups refer to each other in a loop: {phrase}")
    return expanded


def _check_alternatives(phrase: str, tokens: list[str]) -> None:
    # A bare `|` outside parentheses would split the whole phrase in two: "kan|kun ik" would
    # match any "kan". Requiring parentheses keeps every phrase a left-to-right sequence.
    depth = 0
    for token in tokens:
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth < 0:
            raise ValueError(f"phrase closes a parenthesis it never opened: {phrase}")
        if token == "|" and depth == 0:
            raise ValueError(f"phrase needs parentheses around its choices, as in (a|b): {phrase}")
    if depth:
        raise ValueError(f"phrase has an unclosed parenthesis: {phrase}")


def _regex_of(token: str) -> str:
    if token == "...":
        return rf"(?: \S+){{0,{GAP_WORDS}}}"
    if token == "(":
        return "(?:"
    if token in {")", "|", "?"}:
        return token
    return f"(?: {re.escape(token)})"
