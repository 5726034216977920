"""The e-mail adapter: sends an `Outbound` as an e-mail through SMTP (aiosmtplib).

E-mail is outbound only (a manager's weekly digest): `start` and `stop` have nothing to do, and
each send opens its own connection, then closes it. `smtp://` uses STARTTLS when the server
offers it, and insists on it when the URL carries credentials (a password never travels in
clear text); `smtps://` is TLS from the first byte. Ports default to 587 and 465.

The message itself is built by `email_render` (standard library MIME, HTML from a Jinja2
template). A failure becomes a `SendError`: a refused connection, a timeout or a 4xx answer can
be tried again later; a 5xx answer refusing the recipient or the message is permanent. Errors
name the SMTP code and the exception's class only, never the text or the password.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.adapters.base import InboundHandler
from bot.adapters.email_render import email_message, mail_address
from bot.domain.errors import ConfigError, PermanentSendError, SendError
from bot.domain.messages import Outbound, Platform, SendReceipt

_DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to send: parsed from `smtp[s]://[user:password@]host[:port]`."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password, not even in a traceback's locals
        return f"SmtpServer(host={self.host!r}, port={self.port}, implicit_tls={self.implicit_tls})"

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse `url`; a `ConfigError` names COACHBOT_SMTP_URL and never repeats the URL."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except (KeyError, ValueError):
            raise ConfigError("COACHBOT_SMTP_URL must be smtp[s]://[user:password@]host[:port]") from None
        if not parts.hostname:
            raise ConfigError("COACHBOT_SMTP_URL names no host")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


class EmailAdapter:
    """A `ChatAdapter` for the "email" platform: the recipient's external id is their address."""

    def __init__(self, smtp_url: str, mail_from: str, *, tls_context: ssl.SSLContext | None = None) -> None:
        self._server = SmtpServer.from_url(smtp_url)
        self._mail_from = mail_from
        self._tls_context = tls_context  # None: the system's trusted certificates

    @property
    def platform(self) -> Platform:
        return "email"

    async def start(self, on_inbound: InboundHandler) -> None:
        """Nothing to receive: e-mail is outbound only."""

    async def stop(self) -> None:
        """Nothing to release: every send closes its own connection."""

    async def send(self, message: Outbound) -> SendReceipt:
        """Send `message` as one e-mail (an edit, `replaces`, is sent as a new one); its
        Message-ID is the receipt's id."""
        if message.recipient.platform != "email":
            raise PermanentSendError(f"email: delivery {message.delivery_key} is not for an e-mail address")
        mail = await asyncio.to_thread(email_message, message, self._mail_from)
        try:
            await self._deliver(mail, recipient=message.recipient.external_id)
        except aiosmtplib.SMTPException as exc:
            raise _send_error(exc) from None
        except OSError as exc:  # refused, unreachable, a TLS handshake that failed
            raise SendError(f"email: cannot reach the SMTP server ({type(exc).__name__})") from None
        return SendReceipt(platform_message_id=str(mail["Message-ID"]))

    async def _deliver(self, mail: EmailMessage, *, recipient: str) -> None:
        server = self._server
        credentials = server.username is not None
        await aiosmtplib.send(
            mail,
            sender=mail_address(self._mail_from),
            recipients=[recipient],
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.implicit_tls,
            # None: STARTTLS if the server offers it; True: fail unless it does.
            start_tls=None if server.implicit_tls else (True if credentials else None),
            tls_context=self._tls_context,
        )


def _send_error(exc: aiosmtplib.SMTPException) -> SendError:
    """The `SendError` for an SMTP failure: permanent for a 5xx refusing the message or its
    recipient, retryable for everything else: 4xx, timeouts, lost connections, and a login or
    sender the server refused (a setting to fix; after a restart the retry succeeds)."""
    name = type(exc).__name__
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        code = max(codes, default=0)
        if code >= 500:
            return PermanentSendError(f"email: the server refused the recipient ({code})")
        return SendError(f"email: the server refused the recipient for now ({code})")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SendError(f"email: the SMTP server refused the login ({exc.code})")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if exc.code >= 500 and isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
            return PermanentSendError(f"email: the server refused the message ({exc.code}, {name})")
        return SendError(f"email: the SMTP server answered {exc.code} ({name})")
    return SendError(f"email: sending failed ({name})")
