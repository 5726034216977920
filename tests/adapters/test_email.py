"""The e-mail adapter against a local SMTP server (tests/fakes/smtp_server.py): the MIME that
arrives, the login over STARTTLS, and which failures may be retried."""

from __future__ import annotations

import socket
import struct
import zlib
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.adapters.email import EmailAdapter, SmtpServer
from bot.adapters.email_render import email_html
from bot.domain.errors import ConfigError, PermanentSendError, SendError
from bot.domain.mentions import person_link
from bot.domain.messages import Choice, Identity, Inbound, InboundAck, Outbound
from bot.domain.text import verbatim
from tests.fakes.smtp_server import self_signed_tls, smtp_server

MAIL_FROM = "Coachbot <coach@acme.example>"
MANAGER = Identity("email", "mark@acme.example")
DIGEST = "**Weekoverzicht week 3**\n\nJe team deed **12** onderdelen.\n\n- een\n- twee"


def _png(path: Path) -> bytes:
    """A valid 1x1 PNG, written to `path`."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x88\x00"))
    data += chunk(b"IEND", b"")
    path.write_bytes(data)
    return data


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _digest(text: str = DIGEST, images: tuple[str, ...] = (), to: Identity = MANAGER) -> Outbound:
    return Outbound(recipient=to, text=text, delivery_key="digest:1", images=images)


def _text(message: EmailMessage, kind: str) -> str:
    """The text/<kind> part's text, with the wire's CRLF line ends as \n."""
    part = message.get_body((kind,))
    assert part is not None, f"no text/{kind} part"
    return str(part.get_content()).replace("\r\n", "\n")


async def test_a_digest_arrives_as_text_and_html_with_its_inline_image(tmp_path: Path) -> None:
    png = _png(tmp_path / "chart.png")
    dana = person_link("Dana de Vries", {"slack": "U123", "telegram": "dana_d"})
    wrote = verbatim("<script>alert(1)</script> **echt**")
    text = f"{DIGEST}\n\n{dana} schreef:\n\n{wrote}\n\n![Grafiek](chart.png)"
    async with smtp_server() as server:
        receipt = await EmailAdapter(server.url(), MAIL_FROM).send(
            _digest(text, (str(tmp_path / "chart.png"),))
        )

    [received] = server.received
    mail = received.message
    assert (received.mail_from, received.rcpt_tos) == ("coach@acme.example", ["mark@acme.example"])
    assert mail["Subject"] == "Weekoverzicht week 3"
    assert (mail["From"], mail["To"]) == (MAIL_FROM, "mark@acme.example")
    assert receipt.platform_message_id == mail["Message-ID"]
    assert mail["Message-ID"].endswith("@acme.example>")
    assert mail["Date"] is not None
    assert mail.get_content_type() == "multipart/alternative"

    plain = _text(mail, "plain")
    assert "Je team deed 12 onderdelen.\n\n- een\n- twee" in plain
    assert "Weekoverzicht" not in plain  # the subject's line is not repeated
    assert "Dana de Vries schreef:" in plain
    assert "<script>alert(1)</script> **echt**" in plain  # what Dana wrote, character for character
    assert "**12**" not in plain
    assert "coachbot-person" not in plain
    assert "Grafiek" not in plain

    html = _text(mail, "html")
    assert "<strong>12</strong>" in html
    assert "<li>een</li>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **echt**" in html
    assert "<script" not in html
    assert "Dana de Vries schreef:" in html
    assert "coachbot-person" not in html
    assert "<a " not in html

    [image] = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert image.get_content() == png
    assert image.get_content_disposition() == "inline"
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert 'alt="Grafiek"' in html


async def test_choices_are_listed_as_text_lines(tmp_path: Path) -> None:
    message = Outbound(
        recipient=MANAGER, text=DIGEST, delivery_key="k", choices=(Choice("Bekijk <alles>", "all", "1"),)
    )
    async with smtp_server() as server:
        await EmailAdapter(server.url(), MAIL_FROM).send(message)
    mail = server.received[0].message
    assert _text(mail, "plain").rstrip().endswith("Bekijk <alles>")
    assert "<li>Bekijk &lt;alles&gt;</li>" in _text(mail, "html")


async def test_the_login_travels_over_starttls(tmp_path: Path) -> None:
    server_tls, client_tls = self_signed_tls(tmp_path)
    async with smtp_server(tls=server_tls) as server:
        adapter = EmailAdapter(
            server.url(credentials="coach%40acme:p%40ss%2Fword"), MAIL_FROM, tls_context=client_tls
        )
        await adapter.send(_digest())
    assert server.logins == [("coach@acme", "p@ss/word")]
    assert server.starttls == [True]


async def test_without_credentials_starttls_is_used_when_offered(tmp_path: Path) -> None:
    server_tls, client_tls = self_signed_tls(tmp_path)
    async with smtp_server(tls=server_tls) as server:
        await EmailAdapter(server.url(), MAIL_FROM, tls_context=client_tls).send(_digest())
    assert (server.starttls, server.logins) == ([True], [])


async def test_credentials_are_never_sent_to_a_server_without_starttls() -> None:
    async with smtp_server() as server:
        adapter = EmailAdapter(server.url(credentials="coach:s3cret-pw"), MAIL_FROM)
        with pytest.raises(SendError) as raised:
            await adapter.send(_digest())
    assert raised.value.retryable
    assert "s3cret-pw" not in str(raised.value)
    assert (server.logins, server.received) == ([], [])


async def test_a_refused_recipient_is_a_permanent_error() -> None:
    gone = Identity("email", "gone@acme.example")
    async with smtp_server(refuse={"gone@acme.example"}) as server:
        with pytest.raises(PermanentSendError, match=r"\(550\)") as raised:
            await EmailAdapter(server.url(), MAIL_FROM).send(_digest(to=gone))
    assert not raised.value.retryable
    assert "Weekoverzicht" not in str(raised.value)
    assert server.received == []


async def test_a_server_that_is_down_can_be_tried_again() -> None:
    adapter = EmailAdapter(f"smtp://coach:s3cret-pw@127.0.0.1:{_closed_port()}", MAIL_FROM)
    with pytest.raises(SendError) as raised:
        await adapter.send(_digest())
    assert raised.value.retryable
    assert not isinstance(raised.value, PermanentSendError)
    assert "s3cret-pw" not in str(raised.value)


async def test_an_unreadable_image_is_a_permanent_error(tmp_path: Path) -> None:
    (tmp_path / "not-an-image.png").write_text("hello")
    adapter = EmailAdapter(f"smtp://127.0.0.1:{_closed_port()}", MAIL_FROM)
    for image in ("missing.png", "not-an-image.png"):
        with pytest.raises(PermanentSendError, match=image):
            await adapter.send(_digest(images=(str(tmp_path / image),)))


async def test_only_email_identities_are_sent_to() -> None:
    adapter = EmailAdapter("smtp://127.0.0.1:1", MAIL_FROM)
    with pytest.raises(PermanentSendError):
        await adapter.send(_digest(to=Identity("slack", "U123")))


async def test_the_adapter_is_for_the_email_platform_and_receives_nothing() -> None:
    adapter = EmailAdapter("smtp://mail.acme.example", MAIL_FROM)
    assert adapter.platform == "email"

    async def never(_: Inbound) -> InboundAck:
        raise AssertionError("e-mail has no inbound events")

    await adapter.start(never)
    await adapter.stop()
    await adapter.stop()


def test_a_preview_embeds_its_images(tmp_path: Path) -> None:
    _png(tmp_path / "chart.png")
    html = email_html(DIGEST, [str(tmp_path / "chart.png")], inline=False)
    assert "<title>Weekoverzicht week 3</title>" in html
    assert 'src="data:image/png;base64,iVBORw0KGgo' in html
    assert "cid:" not in html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.acme.example", ("mail.acme.example", 587, False, None, None)),
        ("smtps://u:p@mail.acme.example", ("mail.acme.example", 465, True, "u", "p")),
        ("SMTP://mail.acme.example:2525", ("mail.acme.example", 2525, False, None, None)),
    ],
)
def test_the_smtp_url_gives_host_port_and_tls(url: str, expected: tuple[object, ...]) -> None:
    server = SmtpServer.from_url(url)
    assert (server.host, server.port, server.implicit_tls, server.username, server.password) == expected


def test_a_bad_smtp_url_is_a_config_error_that_hides_the_password() -> None:
    with pytest.raises(ConfigError, match="COACHBOT_SMTP_URL") as raised:
        SmtpServer.from_url("https://u:hunter2@mail.acme.example")
    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in repr(SmtpServer.from_url("smtp://u:hunter2@mail.acme.example"))
