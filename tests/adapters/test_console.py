"""The console adapter translates only: lines to Inbound, Outbound to printed text."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.adapters.console import ConsoleAdapter
from bot.domain.messages import Choice, Identity, Inbound, InboundAck, Outbound
from scheduler.clock import FrozenClock

ANNA = Identity("console", "anna@acme.example")
CHOICES = (Choice("Gedaan", "d:1:done"), Choice("Later", "d:1:later"))


async def _started(output: io.StringIO, received: list[Inbound]) -> ConsoleAdapter:
    async def handler(inbound: Inbound) -> InboundAck:
        received.append(inbound)
        return InboundAck(accepted=True)

    clock = FrozenClock(datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    adapter = ConsoleAdapter(
        email="Anna@Acme.example", output=output, clock=clock, timezone=ZoneInfo("Europe/Amsterdam")
    )
    await adapter.start(handler)
    return adapter


async def test_a_message_is_printed_with_its_local_time_and_numbered_choices() -> None:
    output = io.StringIO()
    adapter = await _started(output, [])
    receipt = await adapter.send(
        Outbound(recipient=ANNA, text="**Tip**\n\nDoe dit.", delivery_key="k", choices=CHOICES)
    )
    assert output.getvalue() == (
        "[Mon 2027-01-04 09:00] Coachbot:\n**Tip**\n\nDoe dit.\n  [1] Gedaan\n  [2] Later\n\n"
    )
    assert receipt.platform_message_id == "1"


async def test_a_number_or_a_label_presses_the_last_shown_choice() -> None:
    received: list[Inbound] = []
    adapter = await _started(io.StringIO(), received)
    await adapter.send(Outbound(recipient=ANNA, text="Tip", delivery_key="k", choices=CHOICES))
    for line in ("2", "  gedaan ", "3", "Ik merkte dat het hielp"):
        await adapter.submit(line)
    assert [(i.choice, i.text) for i in received] == [
        ("d:1:later", ""),
        ("d:1:done", ""),
        (None, "3"),
        (None, "Ik merkte dat het hielp"),
    ]
    assert {i.identity for i in received} == {ANNA}
    assert len({i.event_id for i in received}) == 4
