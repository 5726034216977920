# ruff: noqa: F811  (fixtures imported from slack_fixtures are redefined as test parameters)
"""Sending through the Slack adapter with the real AsyncWebClient against the fake Web API:
DM channels, channels and threads, error translation, pacing, partial sends, images, e-mail
lookup, App Home and the shared HTTP session."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.slack import SlackAdapter
from bot.domain.errors import PermanentSendError, PossiblySent, RateLimited, RecipientBlocked, SendError
from bot.domain.home import HomeSection, HomeView
from bot.domain.messages import Choice, Identity, Outbound
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import (  # noqa: F401  (fixtures)
    FakeTime,
    clock,
    fake_time,
    make_adapter,
    sender,
    slack_api,
)
from tests.fakes.slack_api import FakeSlackApi

LEARNER = "U0LEARNER1"
DM = "D0LEARNER1"


def outbound(
    text: str = "Tijd voor een **tip**", *, to: str = LEARNER, key: str = "d-1", **extra: object
) -> Outbound:
    return Outbound(recipient=Identity("slack", to), text=text, delivery_key=key, **extra)  # type: ignore[arg-type]


async def test_a_direct_message_opens_the_dm_once_and_posts_blocks(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    first = await sender.send(outbound(key="d-1", choices=(Choice("Klaar", "done"),)))
    second = await sender.send(outbound(key="d-2"))

    assert slack_api.count("conversations.open") == 1
    posts = slack_api.calls_to("chat.postMessage")
    assert [p.params["channel"] for p in posts] == [DM, DM]
    assert posts[0].params["text"] == "Tijd voor een *tip*"
    assert [b["type"] for b in posts[0].params["blocks"]] == ["section", "actions"]
    assert posts[0].params["blocks"][1]["elements"][0]["value"] == "done"
    assert (
        first.platform_message_id
        == f"{DM}:{slack_api.calls_to('chat.postMessage')[0].params and '1700000001.000001'}"
    )
    assert first.platform_message_id != second.platform_message_id


async def test_channels_and_threads_are_posted_to_directly(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    await sender.send(outbound(to="C0COACHES", key="d-1"))
    receipt = await sender.send(outbound(to="C0COACHES/1700000300.000100", key="d-2"))

    posts = slack_api.calls_to("chat.postMessage")
    assert slack_api.count("conversations.open") == 0
    assert "thread_ts" not in posts[0].params
    assert posts[1].params["thread_ts"] == "1700000300.000100"
    assert receipt.platform_message_id.startswith("C0COACHES:")


@pytest.mark.parametrize("recipient", ["someone@example.com", "U123/1700000000.1", "C123/not-a-ts", ""])
async def test_a_recipient_that_is_no_slack_address_is_a_permanent_error(
    sender: SlackAdapter, recipient: str
) -> None:
    with pytest.raises(PermanentSendError):
        await sender.send(outbound(to=recipient))


async def test_429_raises_rate_limited_holds_the_channel_and_then_delivers(
    sender: SlackAdapter, slack_api: FakeSlackApi, fake_time: FakeTime
) -> None:
    slack_api.rate_limit_next("chat.postMessage", retry_after=7)

    with pytest.raises(RateLimited) as raised:
        await sender.send(outbound())
    with pytest.raises(RateLimited) as too_soon:
        await sender.send(outbound())  # held: Slack is not even asked
    fake_time.now += raised.value.retry_after  # the outbox waits as told
    await sender.send(outbound())

    assert (raised.value.retry_after, raised.value.scope) == (7, "chat")
    assert too_soon.value.retry_after == pytest.approx(7)
    assert slack_api.count("chat.postMessage") == 2
    assert len(slack_api.messages) == 1


async def test_a_short_hold_is_waited_out_inside_send(
    sender: SlackAdapter, slack_api: FakeSlackApi, fake_time: FakeTime
) -> None:
    slack_api.rate_limit_next("chat.postMessage", retry_after=2)

    with pytest.raises(RateLimited):
        await sender.send(outbound())
    await sender.send(outbound())

    assert fake_time.sleeps == [2.0]
    assert len(slack_api.messages) == 1


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "request_timeout"])
async def test_errors_after_which_slack_may_have_posted_are_possibly_sent(
    sender: SlackAdapter, slack_api: FakeSlackApi, error: str
) -> None:
    slack_api.fail_next("chat.postMessage", error, status=500 if error == "internal_error" else 200)

    with pytest.raises(PossiblySent) as raised:
        await sender.send(outbound())

    assert raised.value.retryable is False
    assert error in str(raised.value)


@pytest.mark.parametrize(
    ("method", "error", "status", "expected", "retryable"),
    [
        ("chat.postMessage", "channel_not_found", 200, RecipientBlocked, False),
        ("chat.postMessage", "is_archived", 200, RecipientBlocked, False),
        ("chat.postMessage", "not_in_channel", 200, RecipientBlocked, False),
        ("conversations.open", "user_not_found", 200, RecipientBlocked, False),
        ("conversations.open", "user_disabled", 200, RecipientBlocked, False),
        ("chat.postMessage", "invalid_blocks", 200, PermanentSendError, False),
        ("chat.postMessage", "msg_too_long", 200, PermanentSendError, False),
        ("chat.postMessage", "service_unavailable", 503, SendError, True),
        ("conversations.open", "internal_error", 500, SendError, True),
        ("chat.postMessage", "account_inactive", 200, SendError, True),
        ("chat.postMessage", "invalid_auth", 200, SendError, True),
    ],
)
async def test_slack_errors_become_the_matching_send_error(
    sender: SlackAdapter,
    slack_api: FakeSlackApi,
    method: str,
    error: str,
    status: int,
    expected: type[SendError],
    retryable: bool,
) -> None:
    slack_api.fail_next(method, error, status=status)

    with pytest.raises(SendError) as raised:
        await sender.send(outbound())

    assert type(raised.value) is expected
    assert raised.value.retryable is retryable


async def test_a_connection_lost_during_a_post_is_possibly_sent_but_elsewhere_retryable(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    slack_api.drop_next("conversations.open")
    with pytest.raises(SendError) as opening:
        await sender.send(outbound(key="d-1"))
    slack_api.drop_next("chat.postMessage")
    with pytest.raises(PossiblySent):
        await sender.send(outbound(key="d-2"))

    assert type(opening.value) is SendError
    assert opening.value.retryable


async def test_an_unreachable_api_is_a_retryable_error(
    slack_api: FakeSlackApi, clock: FrozenClock, fake_time: FakeTime
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    adapter = make_adapter(
        slack_api, clock=clock, fake_time=fake_time, api_url=f"http://127.0.0.1:{closed_port}/api/"
    )

    with pytest.raises(SendError) as raised:
        await adapter.send(outbound())
    await adapter.stop()

    assert type(raised.value) is SendError
    assert raised.value.retryable


async def test_posts_to_one_channel_are_spaced_a_second_apart(
    sender: SlackAdapter, slack_api: FakeSlackApi, fake_time: FakeTime
) -> None:
    for n in range(3):
        await sender.send(outbound(key=f"to-learner-{n}"))
    await sender.send(outbound(to="C0OTHER", key="elsewhere"))

    assert fake_time.sleeps == [1.0, 1.0]  # the first post and the other channel did not wait
    assert slack_api.count("chat.postMessage") == 4


async def test_a_long_text_is_split_and_a_retry_posts_only_the_missing_parts(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    text = "\n\n---\n\n".join(f"Alinea {n}: " + "woord " * 100 for n in range(30))  # 59 blocks
    message = outbound(text, choices=(Choice("Klaar", "done"),))
    slack_api.fail_next("chat.postMessage", "service_unavailable", status=503, after=1)

    with pytest.raises(SendError) as raised:
        await sender.send(message)  # the first part is posted, the second fails
    receipt = await sender.send(message)  # the outbox's retry

    assert raised.value.retryable
    assert slack_api.count("chat.postMessage") == 3
    first, last = slack_api.messages.values()  # each part exactly once
    assert len(first["blocks"]) == 50
    assert all(b["type"] != "actions" for b in first["blocks"])
    assert last["blocks"][-1]["type"] == "actions"
    assert receipt.platform_message_id == f"{DM}:{last['ts']}"


async def test_local_images_are_uploaded_before_the_text(
    sender: SlackAdapter, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    image = tmp_path / "img" / "sbi.png"
    image.parent.mkdir()
    image.write_bytes(b"\x89PNG fake image")
    message = outbound("Het model:\n\n![Het SBI-model](img/sbi.png)\n\nGebruik het.", images=(str(image),))

    await sender.send(message)

    methods = [c.method for c in slack_api.calls]
    assert methods[-4:] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
        "chat.postMessage",
    ]
    assert slack_api.calls_to("files.getUploadURLExternal")[0].params["alt_txt"] == "Het SBI-model"
    assert slack_api.calls_to("files.completeUploadExternal")[0].params["channel_id"] == DM
    assert list(slack_api.uploads.values()) == [b"\x89PNG fake image"]
    assert "sbi.png" not in slack_api.calls_to("chat.postMessage")[0].params["text"]


async def test_a_missing_image_file_fails_before_anything_is_posted(
    sender: SlackAdapter, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    with pytest.raises(PermanentSendError):
        await sender.send(outbound(images=(str(tmp_path / "missing.png"),)))

    assert slack_api.count("chat.postMessage") == 0


CLAIM = (Choice("Ik neem deze", "claim:1"),)


async def test_a_replacing_message_updates_the_earlier_one_text_and_buttons(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    post = await sender.send(outbound("Ada zoekt een **coach**", to="C0COACHES", key="post", choices=CLAIM))
    claimed = await sender.send(
        outbound(
            "Ada zoekt een coach: geclaimd door *Carla*",
            to="C0COACHES",
            key="claimed",
            replaces=post.platform_message_id,
        )
    )

    assert claimed == post
    channel, _, ts = post.platform_message_id.partition(":")
    (update,) = slack_api.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (channel, ts)
    message = slack_api.messages[(channel, ts)]
    assert message["text"] == "Ada zoekt een coach: geclaimd door _Carla_"
    assert [b["type"] for b in message["blocks"]] == ["section"]  # no buttons: they are gone
    assert slack_api.count("chat.postMessage") == 1  # nothing new was posted


async def test_a_replacing_message_with_choices_gets_their_buttons(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    post = await sender.send(outbound("Vraag", to="C0COACHES", key="post"))
    await sender.send(
        outbound("Vraag", to="C0COACHES", key="reopened", choices=CLAIM, replaces=post.platform_message_id)
    )

    (message,) = slack_api.messages.values()
    assert [b["type"] for b in message["blocks"]] == ["section", "actions"]
    assert message["blocks"][1]["elements"][0]["value"] == "claim:1"


async def test_a_replacing_update_is_paced_like_a_post(
    sender: SlackAdapter, slack_api: FakeSlackApi, fake_time: FakeTime
) -> None:
    post = await sender.send(outbound("Vraag", to="C0COACHES", key="post", choices=CLAIM))
    await sender.send(outbound("Geclaimd", to="C0COACHES", key="claimed", replaces=post.platform_message_id))
    slack_api.rate_limit_next("chat.update", retry_after=7)
    with pytest.raises(RateLimited) as raised:
        await sender.send(
            outbound("Gesloten", to="C0COACHES", key="closed", replaces=post.platform_message_id)
        )
    with pytest.raises(RateLimited):
        await sender.send(
            outbound("Gesloten", to="C0COACHES", key="closed", replaces=post.platform_message_id)
        )

    assert fake_time.sleeps == [1.0, 1.0]  # a second after the post, and after the first update
    assert (raised.value.retry_after, raised.value.scope) == (7, "chat")
    assert slack_api.count("chat.update") == 2  # the channel is held: Slack is not asked a third time


async def test_only_a_short_text_can_replace_a_message(
    sender: SlackAdapter, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    image = tmp_path / "chart.png"
    image.write_bytes(b"png")
    long_text = "\n\n---\n\n".join(f"Alinea {n}: " + "woord " * 100 for n in range(30))  # two messages

    with pytest.raises(PermanentSendError, match="replace"):
        await sender.send(outbound(long_text, to="C0COACHES", replaces="C0COACHES:1700000001.000001"))
    with pytest.raises(PermanentSendError, match="replace"):
        await sender.send(
            outbound(images=(str(image),), to="C0COACHES", replaces="C0COACHES:1700000001.000001")
        )

    assert slack_api.count("chat.update") == 0


@pytest.mark.parametrize("replaces", ["", "1700000001.000001", "C0COACHES/1700000001.000001", "4242:7"])
async def test_replacing_what_is_no_slack_message_id_is_permanent(
    sender: SlackAdapter, slack_api: FakeSlackApi, replaces: str
) -> None:
    with pytest.raises(PermanentSendError):
        await sender.send(outbound(to="C0COACHES", replaces=replaces))
    assert slack_api.count("chat.update") == 0


async def test_replacing_a_message_slack_does_not_know_is_permanent(sender: SlackAdapter) -> None:
    with pytest.raises(PermanentSendError, match="message_not_found"):
        await sender.send(outbound(to="C0COACHES", replaces="C0COACHES:1700000099.000099"))


async def test_lookup_by_email(sender: SlackAdapter, slack_api: FakeSlackApi) -> None:
    slack_api.add_user("ann@example.com", "U0ANN")
    slack_api.add_user("gone@example.com", "U0GONE", deleted=True)

    assert await sender.lookup_user_by_email("Ann@example.com") == "U0ANN"
    assert await sender.lookup_user_by_email("nobody@example.com") is None
    assert await sender.lookup_user_by_email("gone@example.com") is None
    assert all("example.com" not in call.query for call in slack_api.calls)  # never in a URL


async def test_email_of_reads_the_profile_address(sender: SlackAdapter, slack_api: FakeSlackApi) -> None:
    slack_api.add_user("ann@example.com", "U0ANN")
    slack_api.add_user("gone@example.com", "U0GONE", deleted=True)

    assert await sender.email_of("U0ANN") == "ann@example.com"
    assert await sender.email_of("U0NOBODY") is None  # users.info: user_not_found
    assert await sender.email_of("U0GONE") is None
    assert await sender.email_of("C0GENERAL") is None  # a channel has no address
    assert [call.params["user"] for call in slack_api.calls_to("users.info")] == [
        "U0ANN",
        "U0NOBODY",
        "U0GONE",
    ]


async def test_email_of_raises_what_is_not_an_answer(sender: SlackAdapter, slack_api: FakeSlackApi) -> None:
    slack_api.fail_next("users.info", "missing_scope")

    with pytest.raises(SendError) as raised:
        await sender.email_of("U0ANN")

    assert "missing_scope" in str(raised.value)


async def test_lookup_by_email_reports_rate_limits(sender: SlackAdapter, slack_api: FakeSlackApi) -> None:
    slack_api.rate_limit_next("users.lookupByEmail", retry_after=20)

    with pytest.raises(RateLimited) as raised:
        await sender.lookup_user_by_email("ann@example.com")

    assert raised.value.retry_after == 20
    assert raised.value.scope == "global"


async def test_publish_home_sends_a_home_view(sender: SlackAdapter, slack_api: FakeSlackApi) -> None:
    view = HomeView(
        title="Feedback geven",
        sections=(
            HomeSection(("3 van 12 stappen gedaan",), heading="Voortgang", choices=(Choice("M", "m:x"),)),
        ),
    )

    await sender.publish_home(Identity("slack", LEARNER), view)

    call = slack_api.calls_to("views.publish")[0]
    assert call.params["user_id"] == LEARNER
    published = call.params["view"]
    assert published["type"] == "home"
    assert [b["type"] for b in published["blocks"]] == ["header", "divider", "section", "actions"]
    assert published["blocks"][2]["text"]["text"] == "*Voortgang*\n3 van 12 stappen gedaan"


async def test_publish_home_to_a_channel_is_refused_and_failures_are_send_errors(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    with pytest.raises(PermanentSendError):
        await sender.publish_home(Identity("slack", "C0CHANNEL"), HomeView(title="Home"))
    slack_api.fail_next("views.publish", "internal_error")
    with pytest.raises(SendError):
        await sender.publish_home(Identity("slack", LEARNER), HomeView(title="Home"))

    assert slack_api.count("views.publish") == 1  # the channel got no call at all


async def test_all_web_api_calls_share_one_http_session(
    sender: SlackAdapter, slack_api: FakeSlackApi
) -> None:
    slack_api.add_user("ann@example.com", "U0ANN")
    for n in range(3):
        await sender.send(outbound(key=f"d-{n}"))
        await sender.lookup_user_by_email("ann@example.com")
    await sender.publish_home(Identity("slack", LEARNER), HomeView(title="Home"))

    assert len(slack_api.calls) == 8
    assert len({call.client_port for call in slack_api.calls}) == 1  # one kept-alive connection


async def test_a_given_session_is_used_and_left_open(
    slack_api: FakeSlackApi, clock: FrozenClock, fake_time: FakeTime
) -> None:
    async with aiohttp.ClientSession() as session:
        adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time, session=session)
        await adapter.send(outbound())
        await adapter.stop()

        assert not session.closed
        assert slack_api.count("chat.postMessage") == 1


@pytest.mark.parametrize(
    ("failing", "expected"),
    [("files.getUploadURLExternal", SendError), ("files.completeUploadExternal", PossiblySent)],
)
async def test_an_upload_failing_before_the_share_is_retryable_but_at_the_share_possibly_sent(
    sender: SlackAdapter, slack_api: FakeSlackApi, tmp_path: Path, failing: str, expected: type[SendError]
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"png")
    slack_api.fail_next(failing, "internal_error")

    with pytest.raises(SendError) as raised:
        await sender.send(outbound(images=(str(image),)))

    assert type(raised.value) is expected
    assert slack_api.count("chat.postMessage") == 0
