"""An in-memory chat adapter: records what was sent, and fails on command.

It poses as the console platform by default, so people are identified by e-mail like in
`coachbot chat`; `MemoryAdapter(platform="telegram")` poses as Telegram (chat ids, invites).
"""

from __future__ import annotations

import itertools
from datetime import datetime

from bot.adapters.base import InboundHandler
from bot.domain.errors import SendError
from bot.domain.messages import Identity, Inbound, InboundAck, Outbound, Platform, SendReceipt


class MemoryAdapter:
    def __init__(self, platform: Platform = "console") -> None:
        self._platform: Platform = platform
        self.sent: list[Outbound] = []
        self.receipts: list[str] = []  # the id of each message in `sent`
        self.attempts = 0
        self._failures: list[SendError] = []
        self._handler: InboundHandler | None = None
        self._ids = itertools.count(1)

    @property
    def platform(self) -> Platform:
        return self._platform

    async def start(self, on_inbound: InboundHandler) -> None:
        self._handler = on_inbound

    async def stop(self) -> None:
        self._handler = None

    def fail_next(self, *errors: SendError) -> None:
        """The next sends raise these errors, in order."""
        self._failures.extend(errors)

    async def send(self, message: Outbound) -> SendReceipt:
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(message)
        receipt = SendReceipt(platform_message_id=f"m{next(self._ids)}")
        self.receipts.append(receipt.platform_message_id)
        return receipt

    async def say(
        self,
        who: str,
        text: str,
        *,
        at: datetime,
        choice: str | None = None,
        reply_to: str | None = None,
        attachment: bool = False,
    ) -> InboundAck:
        """`who` writes `text` (or presses `choice`), maybe answering the message `reply_to`
        (a receipt's id) or with a photo or file (`attachment`)."""
        assert self._handler is not None, "adapter not started"
        inbound = Inbound(
            identity=Identity(self._platform, who),
            event_id=f"event-{next(self._ids)}",
            received_at=at,
            text=text,
            choice=choice,
            reply_to=reply_to,
            attachment=attachment,
        )
        return await self._handler(inbound)

    def texts_to(self, email: str) -> list[str]:
        return [message.text for message in self.sent if message.recipient.external_id == email]
