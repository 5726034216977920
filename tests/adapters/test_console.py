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


async def test_a_typed_line_goes_as_a_key_for_the_core_to_look_up_and_a_command_does_not() -> None:
    """The console keeps no choices of its own: the core knows every open one (bot/storage/
    prompts.py), so a number typed after a restart or under a newer message still answers."""
    received: list[Inbound] = []
    adapter = await _started(io.StringIO(), received)
    await adapter.send(Outbound(recipient=ANNA, text="Tip", delivery_key="k", choices=CHOICES))
    for line in ("2", "  gedaan ", "Ik merkte dat het hielp", "/menu"):
        await adapter.submit(line)
    assert [(i.text, i.typed_key, i.choice) for i in received] == [
        ("2", "2", None),
        ("gedaan", "gedaan", None),
        ("Ik merkte dat het hielp", "Ik merkte dat het hielp", None),
        ("/menu", None, None),
    ]
    assert {i.identity for i in received} == {ANNA}
    assert len({i.event_id for i in received}) == 4


async def test_choices_are_shown_under_the_keys_the_core_gave_them() -> None:
    output = io.StringIO()
    adapter = await _started(output, [])
    keyed = (Choice("Gedaan", "d:1:done", key="4"), Choice("Later", "d:1:later", key="5"))
    await adapter.send(Outbound(recipient=ANNA, text="Tip", delivery_key="k", choices=keyed))
    assert "  [4] Gedaan\n  [5] Later" in output.getvalue()


async def test_a_replacing_message_is_printed_anew_marked_as_standing_for_an_earlier_one() -> None:
    output = io.StringIO()
    adapter = await _started(output, [])
    first = await adapter.send(Outbound(recipient=ANNA, text="Vraag", delivery_key="k", choices=CHOICES))
    output.truncate(0)
    output.seek(0)
    second = await adapter.send(
        Outbound(
            recipient=ANNA, text="Vraag: beantwoord", delivery_key="k2", replaces=first.platform_message_id
        )
    )
    assert output.getvalue() == "[Mon 2027-01-04 09:00] Coachbot:\n✎ Vraag: beantwoord\n\n"
    assert second.platform_message_id != first.platform_message_id
