"""A person's home view (Slack's App Home tab) as an immutable, platform-neutral value.

The core says what the home shows: a title and sections of Markdown lines, some with buttons
whose values come back as `Inbound.choice` exactly like the buttons of a message. An adapter
that can show a home (`ShowsHome` in bot/adapters/base.py) only translates it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.messages import Choice


@dataclass(frozen=True, slots=True)
class HomeSection:
    """One part of the home: an optional heading over Markdown lines, and buttons below them."""

    lines: tuple[str, ...] = ()
    heading: str | None = None
    choices: tuple[Choice, ...] = ()

    @property
    def markdown(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class HomeView:
    """What a person's home shows, top to bottom."""

    title: str
    sections: tuple[HomeSection, ...] = ()

    @property
    def choices(self) -> tuple[Choice, ...]:
        """Every button of the view, in order."""
        return tuple(choice for section in self.sections for choice in section.choices)
