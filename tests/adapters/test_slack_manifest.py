# ruff: noqa: F811  (fixtures imported from slack_fixtures are redefined as test parameters)
"""slack-manifest.yaml and the adapter agree: every subscribed event, the interactivity endpoint
and every slash command are answered 2xx (none 404s), and the scopes cover the Web API calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.adapters.slack_fixtures import (  # noqa: F401  (fixtures)
    RecordingCore,
    clock,
    core,
    fake_time,
    http_adapter,
    poster,
    slack_api,
)
from tests.fakes.slack_signing import SignedPoster, block_actions_payload

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yaml"
USER = "U0LEARNER1"
# The scope each Web API method the adapter calls needs.
SCOPES_FOR_CALLS = {
    "chat.postMessage": "chat:write",
    "conversations.open": "im:write",
    "users.lookupByEmail": "users:read.email",
    "users.info": "users:read.email",  # the profile's e-mail needs users:read as well
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "files.completeUploadExternal": "files:write",
}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def sample_event(subscription: str) -> dict[str, Any]:
    """A plausible event for a manifest subscription such as `message.im` or `app_mention`."""
    base = {"user": USER, "channel": "C0GENERAL", "ts": "1700000000.000100", "event_ts": "1700000000.000100"}
    kind, _, channel_type = subscription.partition(".")
    if kind == "message":
        channel_type = {"im": "im", "channels": "channel", "groups": "group"}[channel_type]
        return {**base, "type": "message", "text": "hallo", "channel_type": channel_type}
    return {**base, "type": kind, "text": "<@U0000BOT> hallo", "tab": "home"}


def test_the_manifest_declares_what_the_adapter_serves() -> None:
    settings = manifest()["settings"]
    features = manifest()["features"]

    assert set(settings["event_subscriptions"]["bot_events"]) >= {
        "message.im",
        "message.channels",
        "message.groups",
        "app_home_opened",
        "app_mention",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert [c["command"] for c in features["slash_commands"]] == ["/coach"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert isinstance(settings["socket_mode_enabled"], bool)
    urls = {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]}
    urls |= {c["url"] for c in features["slash_commands"]}
    assert len(urls) == 1
    assert urls.pop().endswith("/slack/events")


@pytest.mark.parametrize(("method", "scope"), sorted(SCOPES_FOR_CALLS.items()))
def test_the_bot_scopes_cover_each_web_api_call(method: str, scope: str) -> None:
    assert scope in manifest()["oauth_config"]["scopes"]["bot"], method


async def test_every_subscribed_event_type_is_answered_2xx(poster: SignedPoster, core: RecordingCore) -> None:
    subscriptions = manifest()["settings"]["event_subscriptions"]["bot_events"]

    statuses = {name: (await poster.event(sample_event(name))).status for name in subscriptions}

    assert statuses == dict.fromkeys(subscriptions, 200)
    assert len(core.inbound) == 3  # the three message subscriptions; a mention repeats one of them


async def test_interactivity_and_slash_commands_are_answered_2xx(poster: SignedPoster) -> None:
    click = await poster.action(block_actions_payload(user=USER, value="v", channel="D1", message_ts="1.1"))
    commands = [
        await poster.command(user=USER, text="menu", command=c["command"])
        for c in manifest()["features"]["slash_commands"]
    ]

    assert click.status == 200
    assert [c.status for c in commands] == [200] * len(commands)
