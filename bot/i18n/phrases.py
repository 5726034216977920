"""Plain words a learner may use to ask for a human coach, per language (bot/flows/coach_phrases.py).

Patterns are written over normalised text: lowercase, without accents or punctuation, with the
shorthands below spelled out ("can't" -> "can not", "m'n" -> "mijn"). In a pattern:
- words must follow each other, as in `kan ik`;
- `...` lets up to three other words come in between;
- `(a|b c)` is one of the choices; only inside parentheses, so a pattern reads left to right;
- `?` after a word or a closing parenthesis makes it optional;
- `{name}` stands for the group of that name of the same language.

Reflections talk about coaches, feedback and "someone on my team" all the time, so each pattern
pairs a request ("can I", "I need", "is there") with someone to talk to ({human}, {someone}),
and words that often describe work ("iemand", "someone", "a person") only count in a request
to talk: "ik heb iemand nodig" is more often delegation than a call for help.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Phrasebook:
    """One language's phrases: pattern groups, the patterns, and shorthands to spell out first."""

    groups: dict[str, str]
    patterns: tuple[str, ...]
    shorthands: dict[str, str] = field(default_factory=dict)


DUTCH = Phrasebook(
    groups={
        # A human, without "iemand": safe to use wherever the pattern asks for a person.
        "human": (
            "((een|de|mijn|je|jouw|jullie|onze|die) (echte|echt)? coach"
            "|(een|de|jullie|onze)? coaches|een van (de|jullie) coaches"
            "|(een (echte|echt)?|echte|echt) (mens|persoon) (van vlees en bloed)?"
            "|echte (mensen|personen))"
        ),
        "someone": "({human}|{someone_here})",
        # "iemand" alone: right before the verb, or "van jullie", since "ik wil met iemand uit
        # mijn team praten" is about work, not a call for a coach.
        "someone_here": "((iemand|echt iemand|iemand anders) (van jullie|hier)?)",
        "i_would": (
            "(ik ... (wil|wilde|wou|zou|kan|mag|moet|hoop)|(wil|kan|kun|mag|zou|moet) (ik|we|wij)|graag)"
        ),
        "talk": "(spreken|praten|bellen|chatten|mailen|appen)",
        "please": "(alsjeblieft|alstublieft|please)",
    },
    patterns=(
        "{i_would} ... met? {human} ... {talk}",  # ik wil een coach spreken; kan ik met een mens praten
        "{i_would} ... met? {someone_here} (even|eens|nu|vandaag|kort|snel)? {talk}",  # kan ik iemand spreken
        "{i_would} ... contact ... met {human}",  # kan ik contact opnemen met een coach
        "{i_would} ... hulp van {human}",  # ik wil graag hulp van een coach
        "(heb|hebben) ... {human} ... nodig",  # ik heb een echte persoon nodig
        "heb behoefte aan ... {human}",  # ik heb behoefte aan een gesprek met een coach
        # is er iemand met wie ik kan praten; is er een coach beschikbaar
        "is er {someone} (met wie|die|bij wie)? ... ({talk}|helpen|bereikbaar|beschikbaar)",
        "(kan|kun|wil|zou) {someone} (mij|me) ... ({talk}|helpen|terugbellen)",  # kan iemand me bellen
        "(verbind|koppel|stuur) (me|mij) door? (met|aan|naar) {human}",  # verbind me door met een coach
        "(me|mij) (door)? (verbinden|doorverbinden|koppelen|doorsturen|sturen) (met|aan|naar) {human}",
        "(me|mij) met {human} (verbinden|koppelen|in contact brengen)",
        "({talk}|contact) met {someone} ... {please}",  # praten met een coach alsjeblieft
        "{please} ... met {someone} {talk}",
        "{human} {please}",  # een coach alsjeblieft
        "(ik|we) (wil|willen|zoek|zoeken) een? (echte|echt) (mens|persoon)",  # ik wil een echt mens
    ),
    shorthands={
        "'k": "ik",
        "k": "ik",
        "m'n": "mijn",
        "mn": "mijn",
        "'n": "een",
        "n": "een",
        "'t": "het",
        "ff": "even",
        "effe": "even",
        "aub": "alsjeblieft",
        "svp": "alsjeblieft",
        "pls": "please",
        "plz": "please",
    },
)

ENGLISH = Phrasebook(
    groups={
        # A human, without "someone" or "a person": safe wherever the pattern asks for a person.
        "human": (
            "((a|an|one|some|any|the|my|our|your) (real|actual|live|human)? coach"
            "|(a|an|one|some)? (real|actual|live)? (human|human being)"
            "|(a|an|one|some|any)? (real|actual|live) (person|people|humans|human beings|agent)"
            "|(the|your|one of the|one of your)? coaches|humans)"
        ),
        "someone": "({human}|(a|an|one)? person|someone|somebody|anyone|anybody)",
        "talk_to": "((talk|speak|chat) (to|with)|reach|contact|get in touch with|get hold of|call)",
    },
    patterns=(
        "(can|could|may|might) (i|we) ... {talk_to} {someone}",  # can I talk to a human
        "(i|we) ... (want|wish|love|prefer|rather|like) to? ... {talk_to} {someone}",  # I'd like to talk to..
        "(want|need|wish|love|prefer|rather|like) to? ... {talk_to} {human}",  # need to talk to a coach
        "(possible|able|allowed|way) to ... {talk_to} {human}",  # is it possible to speak to a coach
        "how (can|do|could|would) (i|we) ... {talk_to} {human}",  # how can I reach a coach
        "(is|are) there {someone} ... (talk|speak|chat|help|reach|contact|turn to|available)",
        "(can|could|would|will) {someone} (please)? ({talk_to}|help) (me|us)",  # could someone call me
        "(need|want|like|get|ask for|prefer) ... help from {human}",  # I need help from a real person
        "help from {human} please",
        "(i|we) (need|want|would like) (to have)? {human}",  # I need a human
        "(connect|put|transfer|forward|pass|send) (me|us) ... (to|with) {human}",  # connect me with a coach
        "{talk_to} {someone} ... please",  # talk to a coach please
        "please ... {talk_to} {someone}",
        "(talk|speak|chat) (to|with) (a|an)? (real|actual|live)? (human|human being|agent)",  # talk to human
        "(get|give|find|bring) (me|us) {human}",  # get me a human
        "{human} please",  # a coach please
    ),
    shorthands={
        "can't": "can not",
        "cant": "can not",
        "cannot": "can not",
        "couldn't": "could not",
        "won't": "will not",
        "don't": "do not",
        "dont": "do not",
        "i'd": "i would",
        "i'm": "i am",
        "im": "i am",
        "i'll": "i will",
        "i've": "i have",
        "let's": "let us",
        "lemme": "let me",
        "wanna": "want to",
        "gotta": "have to",
        "there's": "there is",
        "theres": "there is",
        "u": "you",
        "pls": "please",
        "plz": "please",
        "plse": "please",
    },
)

PHRASEBOOKS: dict[str, Phrasebook] = {"nl": DUTCH, "en": ENGLISH}
