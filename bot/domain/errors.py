"""One error hierarchy, carrying what a caller needs to decide (retry? when? stop?)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain.messages import Identity


class CoachbotError(Exception):
    """Base of every error Coachbot raises on purpose."""


class ConfigError(CoachbotError):
    """A missing or malformed setting; the message names the key."""


class SendError(CoachbotError):
    """Sending failed. `retryable` tells the dispatcher whether to try again later."""

    retryable: bool = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(SendError):
    """The platform asked us to wait `retry_after` seconds; `scope` is "chat" or "global"."""

    def __init__(self, message: str, *, retry_after: float, scope: str = "chat") -> None:
        super().__init__(message, retry_after=retry_after)
        self.scope = scope


class RecipientBlocked(SendError):
    """The person blocked the bot or left: stop sending to them until they come back."""

    retryable = False


class PossiblySent(SendError):
    """The platform failed in a way that may still have delivered: do not blindly re-send."""

    retryable = False


class PermanentSendError(SendError):
    """The platform rejected the message for good (bad request); retrying will not help."""

    retryable = False


class ChatMoved(SendError):
    """The chat has a new id (a Telegram group became a supergroup): store `moved_to` in place
    of the old identity, then send again. Nothing was delivered to the old id."""

    retryable = True

    def __init__(self, message: str, *, moved_to: Identity) -> None:
        super().__init__(message)
        self.moved_to = moved_to
