"""What the core may ask a platform that knows its users' e-mail addresses (Slack).

On such a platform nobody needs an invite link: a person on a roster is matched to their account
by the roster's e-mail, either before they write (`lookup_user_by_email`, the start-up sweep of
`bot.matching`) or when they first write (`email_of`, in the inbound chain). Adapters implement
this; the core only sees the protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.domain.messages import Platform


@runtime_checkable
class EmailDirectory(Protocol):
    """A platform's user directory, searched by e-mail in both directions.

    Both methods return None for "no such (active, human) account"; any other failure raises a
    `SendError` (e.g. `RateLimited`), so a caller can try again later instead of deciding wrongly.
    Addresses are personal data: implementations never log or store them.
    """

    @property
    def platform(self) -> Platform: ...

    async def lookup_user_by_email(self, email: str) -> str | None:
        """The account id (an `Identity.external_id`) registered with `email`."""
        ...

    async def email_of(self, external_id: str) -> str | None:
        """The e-mail address the platform holds for the account `external_id`."""
        ...
