"""Text one person wrote, shown to another: Markdown that renders as exactly the writer's characters.

The bot's own messages are Markdown, rendered per platform. A learner's description of a problem,
a message relayed between learner and coach, or a shared reflection must not become Markdown: a
writer's `[text](https://evil.example)` would be a link whose text hides its target, `**x**` bold,
`# x` a heading. `verbatim` escapes every character CommonMark could read as markup, so every
renderer shows the characters and creates no link, image, mention, emphasis, heading, list, code
or quote from them.

What is not kept (Markdown cannot carry it, and a chat does not need it): whitespace at the start
and end of each line, and runs of blank lines, which become one blank line. `\\r\\n` and `\\r` count
as line breaks.
"""

from __future__ import annotations

import re
import string

MAX_RELAYED_CHARACTERS = 4000
"""The longest text a person may have relayed to another: a long message, not an essay."""

# CommonMark lets a backslash escape any ASCII punctuation and nothing else. Escaping all of it,
# wherever it stands, covers the inline constructs (links, images, autolinks, emphasis, code
# spans, raw HTML, entity references like `&amp;`) and the line-start ones (`#`, `>`, bullets,
# `1.` and `1)`, setext underlines, thematic breaks, fences, link reference definitions).
_ESCAPE = re.compile("([" + re.escape(string.punctuation) + "])")
# A backslash before a line break is CommonMark's hard break: the renderers show a line break
# there, while a plain line break (a soft break) is shown as a space on Telegram and Slack.
_HARD_BREAK = "\\\n"
_BLANK_LINES = re.compile(r"\n{2,}")


def verbatim(text: str) -> str:
    """Markdown that every renderer shows as `text`'s characters, its line breaks kept."""
    paragraphs = _BLANK_LINES.split(_stripped_lines(text))
    return "\n\n".join(_HARD_BREAK.join(_escaped(line) for line in p.split("\n")) for p in paragraphs if p)


def questions_and_answers(questions: tuple[str, ...], answers: list[str]) -> str:
    """Each question in bold with its answer as someone typed it (`verbatim`): peer feedback."""
    return "\n\n".join(
        f"**{question}**\n{verbatim(answer)}" for question, answer in zip(questions, answers, strict=False)
    )


def too_long(text: str) -> bool:
    """Whether `text` is longer than a relayed message may be."""
    return len(text) > MAX_RELAYED_CHARACTERS


def _stripped_lines(text: str) -> str:
    # Leading spaces would make an indented code block; trailing ones a second kind of hard
    # break; a line of only whitespace ends a paragraph. Stripping them all keeps it simple.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip("\n")


def _escaped(line: str) -> str:
    return _ESCAPE.sub(r"\\\1", line)
