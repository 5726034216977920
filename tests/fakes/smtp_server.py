"""A local SMTP server (aiosmtpd on the test's own loop, 127.0.0.1, a free port) that keeps
every message it accepts, parsed, and can refuse recipients, require a login and offer STARTTLS.

    async with smtp_server(refuse={"gone@acme.example"}) as server:
        adapter = EmailAdapter(server.url(), "coach@acme.example")
        ...
        assert server.received[0].message["Subject"] == "..."
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import subprocess
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True, slots=True)
class Received:
    """One accepted message: the envelope's sender and recipients, and the parsed e-mail."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class FakeSmtpServer:
    port: int
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    starttls: list[bool] = field(default_factory=list)  # per message: did it arrive over TLS?

    def url(self, *, credentials: str = "", scheme: str = "smtp") -> str:
        """`smtp://[credentials@]127.0.0.1:<port>`."""
        userinfo = f"{credentials}@" if credentials else ""
        return f"{scheme}://{userinfo}127.0.0.1:{self.port}"


class _Handler:
    def __init__(self, server: FakeSmtpServer, refuse: Collection[str]) -> None:
        self._server = server
        self._refuse = refuse

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self._refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._server.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        self._server.starttls.append(session.ssl is not None)
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self._server.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


@asynccontextmanager
async def smtp_server(
    *, refuse: Collection[str] = (), tls: ssl.SSLContext | None = None
) -> AsyncIterator[FakeSmtpServer]:
    """Serve until the block ends. With `tls` the server offers STARTTLS and accepts a login
    only over it; without, it accepts a login in clear text (any user name and password)."""
    loop = asyncio.get_running_loop()
    fake = FakeSmtpServer(port=0)
    handler = _Handler(fake, refuse)

    def protocol() -> SMTP:
        return SMTP(
            handler,
            hostname="smtp.test",
            tls_context=tls,
            authenticator=handler.authenticate,
            auth_require_tls=tls is not None,
            loop=loop,
        )

    server = await loop.create_server(protocol, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.close()
        await server.wait_closed()


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1 (made by openssl),
    and a client context that trusts exactly that certificate."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
