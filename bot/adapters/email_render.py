"""Markdown -> an e-mail: subject, a plain-text part and an HTML part with inline images.

Pure apart from reading the image files, and without SMTP, so a digest can be previewed as one
self-contained HTML file (`email_html(..., inline=False)`).

The first non-empty line of the Markdown is the subject, its markup removed; the rest is the
body. The HTML is the body rendered by markdown-it (raw HTML off, so `<` in any text arrives
as `&lt;`) inside the Jinja2 template `templates/email.html` (autoescaped). The plain part is
the same body made readable: emphasis markers and backslash escapes gone, links as
`label (url)`, list items as `- ` lines. A person link (`bot.domain.mentions`) shows the name
alone in both parts: an e-mail cannot point at a chat account. Images named in the Markdown are
left out of the text: they travel in `Outbound.images` and come after the text, as inline
`cid:` parts of a multipart/related (or `data:` URIs in a preview).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from markupsafe import Markup

from bot.domain.errors import PermanentSendError
from bot.domain.mentions import accounts_in
from bot.domain.messages import Choice, Outbound

FALLBACK_SUBJECT = "Coachbot"

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_TEMPLATES = Path(__file__).resolve().parent / "templates"
# Magic numbers of the image formats every mail client shows inline.
_IMAGE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class InlineImage:
    """An image shown after the text: its bytes, type and the Content-ID the HTML points at."""

    path: str
    data: bytes
    subtype: str  # image/<subtype>
    alt: str
    cid: str  # without the angle brackets

    @property
    def filename(self) -> str:
        return Path(self.path).name

    def src(self, *, inline: bool) -> str:
        """`cid:` for a part of the same e-mail, or a `data:` URI for a file on its own."""
        if inline:
            return f"cid:{self.cid}"
        return f"data:image/{self.subtype};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class EmailBody:
    """What one message becomes, before MIME: a subject, two renderings, the images."""

    subject: str
    text: str
    html: str
    images: tuple[InlineImage, ...]


def render_email(
    markdown: str, images: Sequence[str] = (), *, choices: Sequence[Choice] = (), inline: bool = True
) -> EmailBody:
    """Render a message's Markdown, images (local PNG/JPEG/GIF paths) and choice labels; raise
    `PermanentSendError` for an image that cannot be read or is of another type."""
    subject_line, body = _split_subject(markdown)
    subject = _SPACES.sub(" ", plain_text(subject_line)).strip() or FALLBACK_SUBJECT
    tokens = _MARKDOWN.parse(body)
    read = tuple(_read_image(path, _alt_text(tokens, path)) for path in images)
    labels = [choice.label for choice in choices]
    text = "\n\n".join(part for part in (_plain(tokens), "\n".join(labels)) if part)
    html = _template().render(
        subject=subject,
        body=Markup(_MARKDOWN.renderer.render(_html_tokens(tokens), _MARKDOWN.options, {})),
        images=[{"src": image.src(inline=inline), "alt": image.alt} for image in read],
        choices=labels,
    )
    return EmailBody(subject=subject, text=text + "\n", html=html, images=read)


def email_html(markdown: str, images: Sequence[str], *, inline: bool) -> str:
    """The HTML part of the e-mail for `markdown`. With `inline=False` the images are `data:`
    URIs, so the HTML alone is a complete page (a preview file)."""
    return render_email(markdown, images, inline=inline).html


def email_message(message: Outbound, mail_from: str, *, now: datetime | None = None) -> EmailMessage:
    """The e-mail for `message`, from `mail_from` to the recipient's address: multipart/
    alternative of text/plain and text/html, the HTML with its images as multipart/related."""
    body = render_email(message.text, message.images, choices=message.choices)
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = body.subject
    mail["From"] = mail_from
    mail["To"] = message.recipient.external_id
    mail["Date"] = format_datetime(now or datetime.now(UTC))
    mail["Message-ID"] = make_msgid(domain=_domain(mail_from))
    mail.set_content(body.text)
    mail.add_alternative(body.html, subtype="html")
    html_part = next(part for part in mail.iter_parts() if part.get_content_type() == "text/html")
    for image in body.images:
        html_part.add_related(
            image.data,
            maintype="image",
            subtype=image.subtype,
            cid=f"<{image.cid}>",
            filename=image.filename,
            disposition="inline",
        )
    return mail


def plain_text(markdown: str) -> str:
    """Markdown made readable as plain text (no markers, no escapes, links as `label (url)`)."""
    return _plain(_MARKDOWN.parse(markdown))


def mail_address(mail_from: str) -> str:
    """The bare address of a sender like `Coachbot <coach@acme.example>`."""
    return parseaddr(mail_from)[1]


def _domain(mail_from: str) -> str:
    return Address(addr_spec=mail_address(mail_from)).domain


def _split_subject(markdown: str) -> tuple[str, str]:
    lines = markdown.strip().splitlines()
    if not lines:
        return "", ""
    return lines[0], "\n".join(lines[1:]).strip("\n")


@functools.cache
def _template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True),
        keep_trailing_newline=True,
    )
    return environment.get_template("email.html")


# --- images -------------------------------------------------------------------------------


def _read_image(path: str, alt: str) -> InlineImage:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PermanentSendError(
            f"email: cannot read image {Path(path).name} ({type(exc).__name__})"
        ) from exc
    subtype = next((kind for magic, kind in _IMAGE_TYPES if data.startswith(magic)), None)
    if subtype is None:
        raise PermanentSendError(f"email: image {Path(path).name} is not a PNG, JPEG or GIF")
    digest = hashlib.sha256(data).hexdigest()[:16]
    return InlineImage(
        path=path, data=data, subtype=subtype, alt=alt, cid=f"{digest}.{Path(path).name}@coachbot"
    )


def _alt_text(tokens: Sequence[Token], path: str) -> str:
    """The alt text the Markdown gives the image at `path` (`![alt](src)`), else its file name."""
    for token in _inline_children(tokens):
        source = str(token.attrs.get("src", "")) if token.type == "image" else ""
        if source and (path == source or path.endswith("/" + source.lstrip("./"))):
            return token.content
    return Path(path).stem.replace("-", " ").replace("_", " ")


def _inline_children(tokens: Sequence[Token]) -> Iterable[Token]:
    for token in tokens:
        yield from token.children or ()


# --- HTML ---------------------------------------------------------------------------------


def _html_tokens(tokens: Sequence[Token]) -> list[Token]:
    """The tokens with images and person links' link tags left out (their text stays), and
    the paragraphs that held only images with them."""
    kept: list[Token] = []
    for token in tokens:
        if token.children is not None:
            token = token.copy(children=_html_inline(token.children))
        if token.type == "paragraph_close" and len(kept) >= 2 and not _has_text(kept[-1]):
            del kept[-2:]  # its paragraph_open and empty inline
            continue
        kept.append(token)
    return kept


def _has_text(token: Token) -> bool:
    return token.type != "inline" or any(child.type != "softbreak" for child in token.children or ())


def _html_inline(children: Sequence[Token]) -> list[Token]:
    kept: list[Token] = []
    in_person_link = False
    for child in children:
        if child.type == "image":
            continue
        if child.type == "link_open" and accounts_in(str(child.attrs.get("href", ""))) is not None:
            in_person_link = True
            continue
        if child.type == "link_close" and in_person_link:
            in_person_link = False  # CommonMark links do not nest
            continue
        kept.append(child)
    return kept


# --- plain text ---------------------------------------------------------------------------


def _plain(tokens: Sequence[Token]) -> str:
    root = SyntaxTreeNode(list(tokens))
    return "\n\n".join(block for block in (_block(node, depth=0) for node in root.children) if block)


def _block(node: SyntaxTreeNode, *, depth: int) -> str:
    kind = node.type
    if kind in ("paragraph", "heading"):
        return _inline_of(node)
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, depth=depth)
    if kind == "blockquote":
        inner = "\n\n".join(_block(child, depth=depth) for child in node.children)
        return "\n".join(f"> {line}".rstrip() for line in inner.splitlines())
    if kind in ("fence", "code_block"):
        return "\n".join(f"    {line}" for line in node.content.rstrip("\n").splitlines())
    if kind == "hr":
        return "----"
    return node.content


def _list(node: SyntaxTreeNode, *, depth: int) -> str:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    lines = []
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}. " if ordered else "- "
        body = "\n".join(part for part in (_block(child, depth=depth + 1) for child in item.children) if part)
        lines.append("  " * depth + marker + body)
    return "\n".join(lines)


def _inline_of(node: SyntaxTreeNode) -> str:
    return "".join(_inline(child) for inline in node.children for child in inline.children).strip()


def _inline(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind in ("text", "text_special", "code_inline"):
        return node.content
    if kind in ("softbreak", "hardbreak"):
        return "\n"
    if kind == "image":
        return ""
    inner = "".join(_inline(child) for child in node.children)
    if kind == "link":
        return _link(str(node.attrs.get("href", "")), inner)
    return inner


def _link(href: str, label: str) -> str:
    target = href.removeprefix("mailto:")
    if accounts_in(href) is not None or not href or target == label:
        return label
    return f"{label} ({target})" if label else target
