"""The console adapter: a chat in the terminal, and the embedded default.

Translation only: a typed line becomes an `Inbound` (a line that is not a /command also goes
as `typed_key`: the core looks it up among the person's open choices, so every open question
can be answered by its number, also after a restart), an `Outbound` becomes printed text with
its choices under their keys. With a terminal it prints rich Markdown; otherwise plain text,
one message block at a time, so a conversation can be scripted through stdin and read back from
stdout. A message that `replaces` an earlier one cannot edit what was printed: it is printed as
a new message, marked "✎ " so a reader sees it stands for an earlier one.
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import tzinfo
from typing import TextIO

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel

from bot.adapters.base import InboundHandler
from bot.domain.mentions import SCHEME
from bot.domain.messages import Choice, Identity, Inbound, InboundAck, Outbound, Platform, SendReceipt
from scheduler.clock import Clock

REPLACES_MARK = "✎ "


class ConsoleAdapter:
    """One console user, identified by e-mail, chatting through `output` and `submit`."""

    def __init__(
        self, *, email: str, output: TextIO, clock: Clock, timezone: tzinfo, rich: bool = False
    ) -> None:
        self._identity = Identity("console", email.lower())
        self._output = output
        self._clock = clock
        self._timezone = timezone
        self._console = Console(file=output, highlight=False) if rich else None
        self._handler: InboundHandler | None = None
        self._message_ids = itertools.count(1)

    @property
    def platform(self) -> Platform:
        return "console"

    @property
    def identity(self) -> Identity:
        return self._identity

    async def start(self, on_inbound: InboundHandler) -> None:
        self._handler = on_inbound

    async def stop(self) -> None:
        self._handler = None

    async def send(self, message: Outbound) -> SendReceipt:
        stamp = self._clock.now().astimezone(self._timezone).strftime("%a %Y-%m-%d %H:%M")
        if self._console is not None:
            self._print_rich(stamp, message)
        else:
            self._print_plain(stamp, message)
        return SendReceipt(platform_message_id=str(next(self._message_ids)))

    async def submit(self, line: str) -> InboundAck:
        """Hand one typed line to the core, as text or as the choice it names."""
        if self._handler is None:
            raise RuntimeError("console adapter not started")
        text = line.strip()
        inbound = Inbound(
            identity=self._identity,
            event_id=uuid.uuid4().hex,
            received_at=self._clock.now(),
            text=text,
            typed_key=None if text.startswith("/") else text,
        )
        return await self._handler(inbound)

    def _print_plain(self, stamp: str, message: Outbound) -> None:
        lines = [f"[{stamp}] Coachbot:", _marked(message) + _unescaped(_names_only(message.text))]
        lines += [f"[image: {image}]" for image in message.images]
        lines += [f"  [{key}] {choice.label}" for key, choice in _keyed(message.choices)]
        self._output.write("\n".join(lines) + "\n\n")
        self._output.flush()

    def _print_rich(self, stamp: str, message: Outbound) -> None:
        assert self._console is not None
        title = f"{_marked(message)}Coachbot · {stamp}"
        self._console.print(Panel(Markdown(_names_only(message.text)), title=title, title_align="left"))
        for image in message.images:
            self._console.print(f"[dim]image: {image}[/dim]")
        for key, choice in _keyed(message.choices):
            self._console.print(f"  [bold][{key}][/bold] {choice.label}")


# The plain console prints Markdown as written, but a backslash escape is no markup a reader should
# see: it is how text a person wrote for another keeps its characters (bot.domain.text.verbatim).
# So escapes are resolved (an escaped line break is a line break) outside code, where a backslash
# is itself. Code is found by its backticks, not by a full parse: our Markdown rarely has any.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~\n])")
_CODE = re.compile(r"((?<!\\)```.*?```|(?<!\\)`[^`\n]*`)", re.DOTALL)


# A person link (bot.domain.mentions) points at chat accounts the console has none of: the name.
_PERSON_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(" + re.escape(SCHEME) + r"[^)\s]*\)")


def _names_only(markdown: str) -> str:
    return _PERSON_LINK.sub(r"\1", markdown)


def _unescaped(markdown: str) -> str:
    parts = _CODE.split(markdown)  # odd indexes are the code
    return "".join(part if index % 2 else _ESCAPE.sub(r"\1", part) for index, part in enumerate(parts))


def _marked(message: Outbound) -> str:
    """The mark of a message that replaces an earlier one (printed anew: the console cannot edit)."""
    return REPLACES_MARK if message.replaces is not None else ""


def _keyed(choices: tuple[Choice, ...]) -> list[tuple[str, Choice]]:
    """Each choice under the key the core gave it (its place, for one that has none)."""
    return [(choice.key or str(number), choice) for number, choice in enumerate(choices, 1)]
