"""Slack Web API failures -> Coachbot's `SendError` family, so the outbox can decide.

Decisions (per Slack's documented error codes):
- HTTP 429 / `ratelimited` -> `RateLimited(retry_after=Retry-After)`; scope "chat" for the
  per-channel methods, "global" for the rest.
- `internal_error`, `fatal_error`, `request_timeout` from a posting method (`chat.postMessage`,
  `files.completeUploadExternal`): Slack says the post may have happened -> `PossiblySent`.
  Likewise a connection that broke or timed out after the request was sent. A connection that
  could not be opened is an ordinary retryable `SendError`.
- The recipient is unreachable (`user_not_found`, `channel_not_found`, `is_archived`,
  `not_in_channel`, `cannot_dm_bot`, `user_disabled`, …) -> `RecipientBlocked`.
- Our token is unusable (`invalid_auth`, `account_inactive`, `token_revoked`, `missing_scope`,
  …) -> retryable `SendError` with a minute's wait: an operator fixes the app and nothing is lost.
- HTTP 5xx and other network errors -> retryable `SendError`.
- Anything else Slack rejects (`invalid_blocks`, `msg_too_long`, …) -> `PermanentSendError`.
Messages carry the method and Slack's error code only, never message content.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.domain.errors import PermanentSendError, PossiblySent, RateLimited, RecipientBlocked, SendError

POSTING_METHODS = frozenset({"chat.postMessage", "files.completeUploadExternal"})
CHANNEL_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
POSSIBLY_POSTED = frozenset({"internal_error", "fatal_error", "request_timeout"})
RECIPIENT_GONE = frozenset(
    {
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "users_not_found",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "restricted_action",
        "messages_tab_disabled",
    }
)
AUTH_BROKEN = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
AUTH_RETRY_AFTER = 60.0


def error_code(error: SlackApiError) -> str:
    """Slack's `error` field of a failed call ("" when the body was not Slack's JSON)."""
    data = error.response.data
    return str(data.get("error", "")) if isinstance(data, Mapping) else ""


def to_send_error(error: Exception, *, method: str) -> SendError:
    """The `SendError` a failed Web API call means for the outbox."""
    if isinstance(error, SlackApiError):
        return _api_error(error, method=method)
    if isinstance(error, aiohttp.ClientConnectorError):
        return SendError(f"slack {method}: cannot connect")
    if isinstance(error, asyncio.TimeoutError | aiohttp.ClientOSError | aiohttp.ServerDisconnectedError):
        if method in POSTING_METHODS:
            return PossiblySent(f"slack {method}: connection lost after sending ({type(error).__name__})")
        return SendError(f"slack {method}: connection lost ({type(error).__name__})")
    if isinstance(error, aiohttp.ClientError | SlackRequestError):
        return SendError(f"slack {method}: {type(error).__name__}")
    raise error


def _api_error(error: SlackApiError, *, method: str) -> SendError:
    # files_upload_v2 makes three calls; the failed one's URL says which (only the last posts).
    method = str(error.response.api_url or method).rsplit("/", 1)[-1] or method
    status = int(error.response.status_code)
    code = error_code(error)
    if status == 429 or code == "ratelimited":
        scope = "chat" if method in CHANNEL_METHODS else "global"
        return RateLimited(
            f"slack {method}: rate limited", retry_after=_retry_after(error.response.headers), scope=scope
        )
    if code in POSSIBLY_POSTED and method in POSTING_METHODS:
        return PossiblySent(f"slack {method}: {code}")
    if code in RECIPIENT_GONE:
        return RecipientBlocked(f"slack {method}: {code}")
    if code in AUTH_BROKEN:
        return SendError(f"slack {method}: {code} (check SLACK_BOT_TOKEN)", retry_after=AUTH_RETRY_AFTER)
    if status >= 500 or code in POSSIBLY_POSTED or code == "service_unavailable":
        return SendError(f"slack {method}: HTTP {status} {code}".rstrip())
    return PermanentSendError(f"slack {method}: {code or f'HTTP {status}'}")


def _retry_after(headers: Mapping[str, Any] | None) -> float:
    raw = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        return max(float(raw), 1.0) if raw is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
