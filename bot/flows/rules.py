"""The inbound chain's rules: small functions, run in order, the first that handles an event
ends the chain (bolt-python's listeners are the model).

A rule gets the `Event` (the inbound, its turn and the actor who wrote) and returns True when
it handled the event. A feature adds its rule to the routing table (bot/flows/routing.py) or,
in a test, to a `Rules` with `add(..., before=...)`: the chain itself is never edited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.domain.messages import Inbound
from bot.flows.actors import Actor
from bot.flows.turn import Turn


@dataclass(slots=True)
class Event:
    """One inbound event while it is handled: what came in, the turn collecting its effects and
    replies, and who sent it."""

    inbound: Inbound
    turn: Turn
    actor: Actor
    changed: bool = False  # the person's state changed: their home view is out of date


Rule = Callable[[Event], Awaitable[bool]]


class Rules:
    """Named rules in the order they run."""

    def __init__(self, rules: Iterable[tuple[str, Rule]] = ()) -> None:
        self._rules: list[tuple[str, Rule]] = []
        for name, rule in rules:
            self.add(name, rule)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._rules]

    def add(self, name: str, rule: Rule, *, before: str | None = None) -> None:
        """Add `rule` last, or just before the rule named `before`."""
        if name in self.names:
            raise ValueError(f"a rule named {name!r} is registered already")
        if before is None:
            self._rules.append((name, rule))
            return
        if before not in self.names:
            raise ValueError(f"no rule named {before!r}")
        self._rules.insert(self.names.index(before), (name, rule))

    async def run(self, event: Event) -> None:
        """Run the rules in order until one handles the event."""
        for _, rule in self._rules:
            if await rule(event):
                return
