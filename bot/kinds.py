"""Delivery kinds: how each kind of outbox row becomes a message, and what its sending changes.

Every `deliveries` row has a kind (`reply`, `intervention`, `reminder`, `catch_up`, and later
case posts, relays, pair introductions, digests). A feature registers its kind here, with

- `render`: the message, made at send time in the transaction that claims the row (so it is
  in the recipient's language of that moment), or None when the row can no longer be sent
  (its learner or programme is gone): the dispatcher then gives the row up and says why;
- `after_send`: what follows once the platform has the message (an intervention is marked
  delivered, a reflection's prompt opens), in the transaction that marks the row sent;
- `urgent`: sent before rows that are not, whatever their due times: an answer to what a person
  just did never waits behind a nudge to ten thousand learners.

The dispatcher looks kinds up by name and imports no flow; the composition root hands it the
registry (bot/app.py, the flows' kinds in bot/flows/kinds.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.messages import Reply
from bot.storage.models import Delivery
from bot.storage.repository import Session

Render = Callable[[Session, Delivery], Awaitable[Reply | None]]
AfterSend = Callable[[Session, Delivery, datetime], Awaitable[None]]


async def _nothing_follows(_session: Session, _delivery: Delivery, _now: datetime) -> None:
    return None


@dataclass(frozen=True, slots=True)
class DeliveryKind:
    """One kind of outbox row: its name (the rows' `kind`), renderer and after-send hook."""

    name: str
    render: Render
    after_send: AfterSend = _nothing_follows
    urgent: bool = False

    @property
    def changes_state(self) -> bool:
        """Whether sending it changes anything beyond the row (a home view then refreshes)."""
        return self.after_send is not _nothing_follows


class DeliveryKinds:
    """The kinds the dispatcher can send, by name."""

    def __init__(self, kinds: Iterable[DeliveryKind] = ()) -> None:
        self._kinds: dict[str, DeliveryKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: DeliveryKind) -> None:
        """Add a kind; a name registered twice is a programming error."""
        if kind.name in self._kinds:
            raise ValueError(f"delivery kind {kind.name!r} is registered already")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> DeliveryKind | None:
        return self._kinds.get(name)

    @property
    def urgent(self) -> frozenset[str]:
        """The names of the kinds sent before all others."""
        return frozenset(name for name, kind in self._kinds.items() if kind.urgent)
