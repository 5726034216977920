# ruff: noqa: F811  (fixtures imported from slack_fixtures are redefined as test parameters)
"""Socket Mode: the adapter with an app token connects through `apps.connections.open` to a local
websocket, turns envelopes into Inbounds and acknowledges each after the core's work."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack import SlackAdapter
from bot.domain.errors import ConfigError
from bot.domain.messages import Choice, Identity, InboundAck, Outbound
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import (  # noqa: F401  (fixtures)
    NOW,
    FakeTime,
    RecordingCore,
    clock,
    core,
    fake_time,
    make_adapter,
    slack_api,
)
from tests.fakes.slack_api import APP_TOKEN, FakeSlackApi
from tests.fakes.slack_signing import block_actions_payload, dm_event
from tests.fakes.slack_socket import FakeSocketModeServer

LEARNER = "U0LEARNER1"


@pytest.fixture
async def socket_server(slack_api: FakeSlackApi) -> AsyncIterator[FakeSocketModeServer]:
    server = await FakeSocketModeServer().start()
    slack_api.socket_url = server.url
    yield server
    await server.stop()


@pytest.fixture
async def socket_adapter(
    slack_api: FakeSlackApi,
    socket_server: FakeSocketModeServer,
    core: RecordingCore,
    clock: FrozenClock,
    fake_time: FakeTime,
) -> AsyncIterator[SlackAdapter]:
    adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time, core=core, app_token=APP_TOKEN)
    await adapter.start(core)
    await socket_server.wait_connected()
    yield adapter
    await adapter.stop()


async def test_socket_mode_connects_with_the_app_token_and_serves_no_http(
    socket_adapter: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    opened = slack_api.calls_to("apps.connections.open")

    assert len(opened) == 1
    assert opened[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert socket_adapter.bound_port is None


async def test_an_event_envelope_becomes_an_inbound_and_is_acknowledged(
    socket_adapter: SlackAdapter, socket_server: FakeSocketModeServer, core: RecordingCore
) -> None:
    envelope = await socket_server.send_event(dm_event(LEARNER, "hallo"), event_id="Ev0100")
    ack = await socket_server.wait_ack(envelope)

    assert ack["envelope_id"] == envelope
    assert [(i.identity, i.event_id, i.text, i.received_at) for i in core.inbound] == [
        (Identity("slack", LEARNER), "Ev0100", "hallo", NOW)
    ]


async def test_a_click_envelope_records_the_choice_and_updates_the_message(
    socket_adapter: SlackAdapter,
    socket_server: FakeSocketModeServer,
    core: RecordingCore,
    slack_api: FakeSlackApi,
) -> None:
    await socket_adapter.send(_question())
    (channel, ts), message = next(iter(slack_api.messages.items()))
    core.answer = InboundAck(accepted=True, chosen_label="Ja")

    payload = block_actions_payload(
        user=LEARNER, value="yes", channel=channel, message_ts=ts, message=message
    )
    await socket_server.wait_ack(await socket_server.send("interactive", payload))
    await slack_api.wait_for("chat.update")

    assert core.inbound[0].choice == "yes"
    assert slack_api.messages[(channel, ts)]["blocks"][-1]["type"] == "context"


async def test_an_envelope_whose_work_failed_is_not_acknowledged(
    socket_adapter: SlackAdapter, socket_server: FakeSocketModeServer, core: RecordingCore
) -> None:
    core.fail_next = 1
    failed = await socket_server.send_event(dm_event(LEARNER, "eerste"), event_id="Ev0200")
    await core.failed.wait()
    retried = await socket_server.send_event(dm_event(LEARNER, "eerste"), event_id="Ev0200", retry_attempt=1)

    await socket_server.wait_ack(retried)

    assert failed not in socket_server.acks  # Slack redelivers an unacknowledged envelope
    assert [i.event_id for i in core.inbound] == ["Ev0200"]


def _question() -> Outbound:
    return Outbound(
        recipient=Identity("slack", LEARNER),
        text="Heb je het gedaan?",
        delivery_key="q-1",
        choices=(Choice("Ja", "yes"), Choice("Nee", "no")),
    )


async def test_a_refused_app_token_fails_start_naming_the_key(
    slack_api: FakeSlackApi, socket_server: FakeSocketModeServer, clock: FrozenClock, fake_time: FakeTime
) -> None:
    adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time, app_token="xapp-revoked")

    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        await adapter.start(RecordingCore())
    await adapter.stop()


async def test_a_refused_bot_token_fails_start_naming_the_key(
    slack_api: FakeSlackApi, clock: FrozenClock, fake_time: FakeTime
) -> None:
    slack_api.fail_next("auth.test", "invalid_auth")
    adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time)

    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        await adapter.start(RecordingCore())
    await adapter.stop()

    assert adapter.bound_port is None
