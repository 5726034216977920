"""Post correctly signed Slack requests (Events API, interactivity, slash commands) to an app.

Slack signs `v0:<timestamp>:<body>` with HMAC-SHA256 under the app's signing secret and sends
`X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex>`. Bolt checks the signature and a
5-minute window against real time, so requests are signed with the current time (reading the
clock is not sleeping); `timestamp=` signs an older one.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.fakes.slack_api import BOT_ID, TEAM_ID

SIGNING_SECRET = "test-signing-secret"
_ids = itertools.count(1)


def signature(secret: str, timestamp: int, body: str) -> str:
    """Slack's v0 request signature."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def event_envelope(event: Mapping[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API `event_callback` envelope around `event`."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0000APP",
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0000BOT", "is_bot": True}],
    }


def dm_event(
    user: str, text: str, *, channel: str | None = None, ts: str = "1700000100.000100"
) -> dict[str, Any]:
    """A `message.im` event: `user` wrote `text` to the bot."""
    return {
        "type": "message",
        "channel": channel or "D" + user[1:],
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
    }


def channel_event(
    user: str,
    text: str,
    *,
    channel: str,
    ts: str = "1700000400.000100",
    thread_ts: str | None = None,
    files: int = 0,
) -> dict[str, Any]:
    """A `message.channels` event: `user` wrote `text` in `channel`, in the thread of the message
    `thread_ts` if given, sharing `files` files (then it is a `file_share`)."""
    event = {**dm_event(user, text, channel=channel, ts=ts), "channel_type": "channel"}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    if files:
        event["subtype"] = "file_share"
        event["files"] = [
            {"id": f"F{n:04d}", "name": f"file-{n}.png", "mode": "hosted"} for n in range(files)
        ]
    return event


def block_actions_payload(
    *, user: str, value: str, channel: str, message_ts: str, message: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An interactivity `block_actions` payload: `user` pressed the button with `value`."""
    n = next(_ids)
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0000APP",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{n}.{n}.trigger",
        "channel": {"id": channel},
        "message": dict(message or {"type": "message", "ts": message_ts, "bot_id": BOT_ID, "text": ""}),
        "response_url": "https://hooks.slack.invalid/actions/1",
        "actions": [
            {
                "type": "button",
                "action_id": "choice-0",
                "block_id": "choices-0",
                "value": value,
                "action_ts": f"{1700000200 + n}.{n:06d}",
            }
        ],
    }


@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class SignedPoster:
    """Posts signed requests to one Slack endpoint of an app under test."""

    def __init__(self, session: aiohttp.ClientSession, url: str, *, secret: str = SIGNING_SECRET) -> None:
        self._session = session
        self._url = url
        self._secret = secret

    async def event(
        self, event: Mapping[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> Answer:
        """Post an Events API envelope for `event` (`retry_num` marks a Slack retry)."""
        return await self.envelope(event_envelope(event, event_id=event_id), retry_num=retry_num)

    async def envelope(self, envelope: Mapping[str, Any], *, retry_num: int | None = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_error"}
        return await self.raw(json.dumps(envelope), headers=headers)

    async def action(self, payload: Mapping[str, Any]) -> Answer:
        """Post an interactivity payload (form-encoded `payload=<json>`, as Slack does)."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self.raw(body, headers={"Content-Type": "application/x-www-form-urlencoded"})

    async def command(
        self, *, user: str, text: str, command: str = "/coach", channel: str = "D0000001"
    ) -> Answer:
        """Post a slash command invocation."""
        n = next(_ids)
        fields = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "user_id": user,
            "command": command,
            "text": text,
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": f"{n}.{n}.command",
            "api_app_id": "A0000APP",
        }
        return await self.raw(
            urlencode(fields), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    async def raw(
        self,
        body: str,
        *,
        headers: Mapping[str, str],
        timestamp: int | None = None,
        secret: str | None = None,
        sign_body: str | None = None,
    ) -> Answer:
        """Post `body` signed with `secret` over `sign_body` (defaults: ours, the body itself)."""
        stamp = int(time.time()) if timestamp is None else timestamp
        signed = signature(secret or self._secret, stamp, body if sign_body is None else sign_body)
        all_headers = {**headers, "X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": signed}
        async with self._session.post(self._url, data=body.encode(), headers=all_headers) as response:
            return Answer(response.status, await response.text())
