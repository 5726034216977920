"""Asking for a human coach in plain words (bot/flows/coach_phrases.py, bot/i18n/phrases.py)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.coach_phrases import asks_for_a_coach, compile_phrase, normalise
from bot.i18n.phrases import PHRASEBOOKS

PROGRAMS = Path(__file__).parent.parent / "content" / "programs"

DUTCH_ASKS = [
    "ik wil een coach spreken",
    "kan ik iemand spreken?",
    "Kan ik met een mens praten",
    "kan ik met iemand van jullie praten",
    "kun je mij met een coach verbinden",
    "ik heb een echte persoon nodig",
    "Mag ik een echte coach spreken alsjeblieft",
    "Ik wil graag even met iemand praten",
    "Is er iemand met wie ik kan praten?",
    "is er een coach beschikbaar?",
    "Kan iemand mij bellen?",
    "Kan ik contact opnemen met een coach?",
    "Ik zou graag een mens van vlees en bloed spreken",
    "kan k ff iemand spreken",
    "Kan ik m'n coach spreken?",
    "Ik wil met een mens praten, geen bot!",
    "graag een coach spreken",
    "Ik heb hulp van een coach nodig",
    "ik wil graag hulp van een echte coach",
    "Kun je me doorverbinden met een coach?",
    "een coach a.u.b.",
    "Ik wil een echt mens",
    "KAN IK MET EEN ÉCHTE PERSOON PRATEN???",
    "hoi, ik zit vast. kan ik misschien even met een van jullie coaches bellen?",
    "Ik heb behoefte aan een gesprek met een coach",
    "zou ik de coach kunnen spreken",
]

ENGLISH_ASKS = [
    "can I talk to a human",
    "I need help from a real person",
    "talk to a coach please",
    "is there someone I can talk to",
    "Can I talk to a human?",
    "I'd like to speak with a real person.",
    "Could I please chat with my coach?",
    "I want to talk to someone",
    "i wanna talk to a human!!",
    "Could someone call me?",
    "Connect me with a coach",
    "I need a human",
    "Is it possible to speak to a coach?",
    "How can I reach a coach?",
    "I’d rather talk to a real person",
    "Is there a real person I can talk to?",
    "get me a human",
    "A coach, please",
    "Hi! I'm stuck with this. Can I talk to my coach, pls?",
    "I need some help from a coach",
    "Need to talk to a coach asap",
    "speak to human",
    "can we get in touch with one of the coaches",
]

DUTCH_REFLECTIONS = [
    "ik gaf mijn collega feedback over zijn coaching",
    "mijn coach op het werk gaf me een tip",
    "Ik heb gisteren met mijn coach gesproken over de feedback",
    "Ik wil een coach zijn voor mijn team",
    "Ik wil een betere coach worden voor mijn medewerkers",
    "Ik wil mijn medewerker spreken over zijn rapport",
    "Ik zou mijn coach graag willen bedanken voor de tips",
    "Ik ben ook maar een mens en maak fouten",
    "Ik heb iemand nodig die de planning overneemt",
    "Ik praat graag met mijn team over deadlines",
    "Kan ik dit delegeren aan iemand anders?",
    "Ik kan iemand vragen om de notulen te maken",
    "Mijn collega wil met mij praten over de planning",
    "Het gesprek met de coach ging goed, ik voelde me gehoord",
    "Ik merk dat ik met iemand kan praten zonder te oordelen",
    "Ik heb de persoon die de fout maakte feedback gegeven",
    "Ik wil dit eerst met mijn coach op het werk bespreken",
    "Iemand uit mijn team gaf me feedback over mijn presentatie",
    "Ik kon met een collega praten over mijn leerdoel",
    "Ik wil met iemand uit mijn team praten over de overdracht",
    "Ik wil contact opnemen met iemand van HR",
    "Mijn collega heeft behoefte aan een coach",
    "Ik koppel de taak aan iemand in mijn team",
]

ENGLISH_REFLECTIONS = [
    "I talked to my team about the deadline",
    "I gave my colleague feedback about his coaching",
    "My coach at work gave me a tip",
    "I want to be a better coach for my team",
    "I spoke with my manager about delegating the report",
    "I need to talk to my manager",
    "Someone on my team helped me with the planning",
    "I asked a colleague for feedback",
    "I'll talk to her tomorrow about it",
    "I need someone to take over the weekly report",
    "The person who got the task did it differently",
    "I got help from my coach at work last week",
    "I delegated the task to someone else and checked in on Friday",
    "Talking with the coach in the session was useful",
    "I need a person who can take over the budget",
    "My coach's comments were helpful",
    "I will ask my team lead to help me decide",
    "How do I talk to someone who keeps missing deadlines?",
    "I need to talk to someone on my team about the handover",
    "I was able to talk to someone in finance about it",
    "My manager put me in touch with someone from finance",
    "I need help from someone in my team to finish the report",
]


@pytest.mark.parametrize("text", DUTCH_ASKS)
def test_dutch_requests_for_a_coach_are_recognised(text: str) -> None:
    assert asks_for_a_coach(text)
    assert asks_for_a_coach(text, languages=["nl"])


@pytest.mark.parametrize("text", ENGLISH_ASKS)
def test_english_requests_for_a_coach_are_recognised(text: str) -> None:
    assert asks_for_a_coach(text)
    assert asks_for_a_coach(text, languages=["en"])


@pytest.mark.parametrize("text", DUTCH_REFLECTIONS + ENGLISH_REFLECTIONS)
def test_reflections_about_coaching_and_colleagues_are_not_requests(text: str) -> None:
    assert not asks_for_a_coach(text)


def test_only_the_languages_asked_for_are_searched() -> None:
    assert not asks_for_a_coach("can I talk to a human", languages=["nl"])
    assert not asks_for_a_coach("kan ik met een mens praten", languages=["en"])
    assert not asks_for_a_coach("kan ik met een mens praten", languages=[])


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        asks_for_a_coach("puis-je parler à un coach", languages=["fr"])


@cache
def _program_sentences() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(PROGRAMS.rglob("*.md"))]
    pieces = [piece for text in texts for piece in re.split(r"(?<=[.!?])\s+|\n", text)]
    paragraphs = [paragraph for text in texts for paragraph in text.split("\n\n")]
    return [piece for piece in pieces + paragraphs if piece.strip()]


def test_no_sentence_of_the_bundled_programmes_asks_for_a_coach() -> None:
    sentences = _program_sentences()
    assert len(sentences) > 1000  # the programmes are there to read
    assert [sentence for sentence in sentences if asks_for_a_coach(sentence)] == []


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Kan ik MET één Échte persoon praten?!", "nl", " kan ik met een echte persoon praten"),
        ("kan 'k m’n coach ff spreken, a.u.b.", "nl", " kan ik mijn coach even spreken alsjeblieft"),
        ("I can't   — I'd like a 'real' human", "en", " i can not i would like a real human"),
        ("", "en", ""),
    ],
)
def test_normalise(text: str, language: str, expected: str) -> None:
    assert normalise(text, language) == expected


def test_every_phrase_word_is_written_normalised() -> None:
    for language, book in PHRASEBOOKS.items():
        for source in (*book.patterns, *book.groups.values()):
            for word in re.findall(r"[^\s()|?.]+", re.sub(r"\{\w+\}", " ", source)):
                assert normalise(word, language) == f" {word}", (language, word)


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("kan|kun ik", "parentheses"),
        ("(kan ik", "unclosed"),
        ("kan ik)", "never opened"),
        ("kan ik {nobody}", "no group"),
    ],
)
def test_a_malformed_phrase_is_refused(phrase: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        compile_phrase(phrase, {})


def test_groups_that_refer_to_each_other_in_a_loop_are_refused() -> None:
    with pytest.raises(ValueError, match="loop"):
        compile_phrase("kan ik {a}", {"a": "({b})", "b": "({a})"})


def test_a_compiled_phrase_matches_whole_words_with_gaps_and_options() -> None:
    pattern = compile_phrase("kan ik ... (een|de)? coach spreken", {})
    assert pattern.search(" kan ik misschien even de coach spreken")
    assert pattern.search(" kan ik coach spreken")
    assert not pattern.search(" kan ik een coachende collega spreken")  # not half a word
    assert not pattern.search(" kan ik a b c d de coach spreken")  # more than three words between
    assert not pattern.search(" ikan ik de coach spreken")


# Properties: filler around a request keeps it a request; words without anyone to talk to never
# make one.

PEOPLE = {
    "coach",
    "coaches",
    "mens",
    "mensen",
    "persoon",
    "personen",
    "iemand",
    "human",
    "humans",
    "person",
    "people",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "agent",
    "being",
    "beings",
}
PHRASE_WORDS = sorted(
    {
        word
        for book in PHRASEBOOKS.values()
        for source in (*book.patterns, *book.groups.values(), *book.shorthands, *book.shorthands.values())
        for word in re.findall(r"[a-z']+", source)
        if word not in book.groups
    }
    - PEOPLE
)
FILLER = ["hoi", "hello", "ok", "dus", "so", "well", "eh", "thanks", "bedankt", "vandaag", "today", "hmm"]
PUNCTUATION = [".", ",", "!", "?", "...", " - ", ":)", "'", '"', "(", ")", "\n"]

filler_words = st.lists(st.sampled_from(FILLER + PUNCTUATION), max_size=6).map(" ".join)


def _with_random_case(text: str, flips: list[bool]) -> str:
    return "".join(char.upper() if flips[index % len(flips)] else char for index, char in enumerate(text))


@settings(deadline=None)
@given(
    ask=st.sampled_from(DUTCH_ASKS + ENGLISH_ASKS),
    before=filler_words,
    after=filler_words,
    flips=st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_filler_punctuation_and_casing_around_a_request_keep_it_a_request(
    ask: str, before: str, after: str, flips: list[bool]
) -> None:
    assert asks_for_a_coach(_with_random_case(f"{before} {ask} {after}", flips))


@settings(deadline=None)
@given(words=st.lists(st.sampled_from(PHRASE_WORDS + FILLER + PUNCTUATION), max_size=30))
def test_the_phrases_own_words_without_anyone_to_talk_to_never_make_a_request(words: list[str]) -> None:
    assert not asks_for_a_coach(" ".join(words))


@cache
def _program_words() -> list[str]:
    text = " ".join(_program_sentences()).casefold()
    return sorted(set(re.findall(r"[^\W\d_]+", text)) - PEOPLE)


@settings(deadline=None)
@given(data=st.data())
def test_programme_words_without_anyone_to_talk_to_never_make_a_request(data: st.DataObject) -> None:
    words = data.draw(st.lists(st.sampled_from(_program_words()), max_size=40))
    assert not asks_for_a_coach(" ".join(words))


PHRASES = [(language, phrase) for language, book in PHRASEBOOKS.items() for phrase in book.patterns]
NOT_PEOPLE = sorted(set(PHRASE_WORDS) | set(FILLER))


@settings(deadline=None, max_examples=300)
@given(data=st.data(), language_and_phrase=st.sampled_from(PHRASES))
def test_a_text_a_phrase_matches_never_matches_once_its_people_are_taken_out(
    data: st.DataObject, language_and_phrase: tuple[str, str]
) -> None:
    # Stronger than random words: texts built from the phrases themselves, so a phrase that could
    # match without anyone to talk to ("kan ik ... spreken") is found.
    language, phrase = language_and_phrase
    regex = compile_phrase(phrase, PHRASEBOOKS[language].groups).pattern.removesuffix("(?= |$)")
    text = data.draw(st.from_regex(regex, fullmatch=True, alphabet="abcdefghijklmnopqrstuvwxyz "))
    assert asks_for_a_coach(text, languages=[language])
    words = [data.draw(st.sampled_from(NOT_PEOPLE)) if word in PEOPLE else word for word in text.split()]
    assert not asks_for_a_coach(" ".join(words))
