"""Button values: short strings (Telegram allows 64 bytes) that say what a press means.

d:<delivery id>:done|later     tip, practice, peer-feedback
q:<progress id>:<step>:<n>     quiz answer n to question `step`
a:<progress id>:<step>:<n>     assessment score n (0-based) for statement `step`
m:<intervention id>            toggle an optional module in the menu
c:<intervention id>            take a missed item now (catch-up)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeliveryAction:
    delivery_id: int
    action: str  # "done" | "later"


@dataclass(frozen=True, slots=True)
class Answer:
    kind: str  # "q" quiz | "a" assessment
    progress_id: int
    step: int
    option: int


@dataclass(frozen=True, slots=True)
class MenuToggle:
    intervention_id: str


@dataclass(frozen=True, slots=True)
class CatchUp:
    intervention_id: str


Pressed = DeliveryAction | Answer | MenuToggle | CatchUp


def done(delivery_id: int) -> str:
    return f"d:{delivery_id}:done"


def later(delivery_id: int) -> str:
    return f"d:{delivery_id}:later"


def answer(kind: str, progress_id: int, step: int, option: int) -> str:
    return f"{kind}:{progress_id}:{step}:{option}"


def toggle(intervention_id: str) -> str:
    return f"m:{intervention_id}"


def catch_up(intervention_id: str) -> str:
    return f"c:{intervention_id}"


def parse(value: str) -> Pressed | None:
    """The meaning of a button value, or None for anything we did not make."""
    kind, _, rest = value.partition(":")
    parts = rest.split(":")
    try:
        if kind == "d" and len(parts) == 2 and parts[1] in ("done", "later"):
            return DeliveryAction(int(parts[0]), parts[1])
        if kind in ("q", "a") and len(parts) == 3:
            return Answer(kind, int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    if kind == "m" and rest:
        return MenuToggle(rest)
    if kind == "c" and rest:
        return CatchUp(rest)
    return None
