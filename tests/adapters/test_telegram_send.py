"""Sending through the real python-telegram-bot client over HTTP to the fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_limits import RateLimits, SendLimiter
from bot.domain.errors import (
    ChatMoved,
    ConfigError,
    PermanentSendError,
    PossiblySent,
    RateLimited,
    RecipientBlocked,
    SendError,
)
from bot.domain.messages import Choice, Identity, Outbound
from scheduler.clock import FrozenClock
from tests.fakes.telegram_api import BOT_USER, FakeTelegramApi, FakeTimer, html_problem

LEARNER = 4242
OTHER = 4343
GROUP = -1001234


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture
async def api(timer: FakeTimer) -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi(stamp=timer.monotonic) as fake:
        yield fake


@pytest.fixture
async def adapter(api: FakeTelegramApi, timer: FakeTimer) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(
        token=api.token,
        base_url=api.base_url,
        clock=FrozenClock(datetime(2027, 1, 12, 9, tzinfo=UTC)),
        timer=timer,
    )
    yield adapter
    await adapter.stop()


def outbound(text: str, *, to: int = LEARNER, key: str = "d-1", **extra: object) -> Outbound:
    return Outbound(recipient=Identity("telegram", str(to)), text=text, delivery_key=key, **extra)  # type: ignore[arg-type]


# --- rendering and the shape of a send --------------------------------------------------------


async def test_a_text_is_sent_as_escaped_html(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    receipt = await adapter.send(outbound("Let op: a < b & **c** * 2 and [Q&A](https://x.org/?a=1&b=2)"))
    (call,) = api.calls_to("sendMessage")
    assert call.ok
    assert call.chat_id == LEARNER
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"] == (
        'Let op: a &lt; b &amp; <b>c</b> * 2 and <a href="https://x.org/?a=1&amp;b=2">Q&amp;A</a>'
    )
    assert receipt.platform_message_id == f"{LEARNER}:{api.messages[(LEARNER, 1)].message_id}"


async def test_the_client_calls_base_url_bot_token_method(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    assert await adapter.username() == BOT_USER["username"]
    assert [call.method for call in api.calls] == ["getMe"]  # the fake only routes /bot<token>/<method>


async def test_lists_code_and_emphasis_survive(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    await adapter.send(outbound("1. *Kies* iets\n2. Gebruik `SBI`\n\n- een\n- twee\n\n```\nx < y\n```"))
    (call,) = api.calls_to("sendMessage")
    assert call.ok
    assert call.params["text"] == (
        "1. <i>Kies</i> iets\n2. Gebruik <code>SBI</code>\n\n• een\n• twee\n\n<pre>x &lt; y</pre>"
    )


async def test_a_long_text_goes_in_parts_with_the_choices_under_the_last(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    text = "\n\n".join(f"Deel {n}. " + "woord " * 600 for n in range(3))  # ~3,600 characters each
    choices = (Choice("Klaar", "done:1"), Choice("Later", "later:1"))
    receipt = await adapter.send(outbound(text, choices=choices))
    calls = api.calls_to("sendMessage")
    assert [call.ok for call in calls] == [True, True, True]
    assert [call.params["text"].split(".")[0] for call in calls] == ["Deel 0", "Deel 1", "Deel 2"]
    assert [("reply_markup" in call.params) for call in calls] == [False, False, True]
    assert calls[-1].params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Klaar", "callback_data": "done:1"}],
            [{"text": "Later", "callback_data": "later:1"}],
        ]
    }
    assert receipt.platform_message_id == f"{LEARNER}:3"


async def test_a_choice_value_over_64_bytes_is_refused_before_any_call(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    with pytest.raises(PermanentSendError):
        await adapter.send(outbound("Kies", choices=(Choice("Ja", "é" * 33),)))  # 66 bytes
    assert api.calls == []


async def test_a_choice_value_of_exactly_64_bytes_is_accepted(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    await adapter.send(outbound("Kies", choices=(Choice("Ja", "x" * 64),)))
    assert api.calls_to("sendMessage")[0].ok


async def test_images_are_sent_as_photos_before_the_text(
    adapter: TelegramAdapter, api: FakeTelegramApi, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake image")
    receipt = await adapter.send(outbound("Zie de grafiek.", images=(str(chart),)))
    assert [call.method for call in api.calls if call.method != "getMe"] == ["sendPhoto", "sendMessage"]
    photo = api.calls_to("sendPhoto")[0]
    assert photo.files["photo"].content == b"\x89PNG fake image"
    assert photo.files["photo"].filename == "chart.png"
    assert receipt.platform_message_id == f"{LEARNER}:2"


async def test_an_image_without_text_carries_the_choices(
    adapter: TelegramAdapter, api: FakeTelegramApi, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"png")
    await adapter.send(outbound("", images=(str(chart),), choices=(Choice("Ok", "ok"),)))
    (photo,) = api.calls_to("sendPhoto")
    assert photo.params["reply_markup"] == {"inline_keyboard": [[{"text": "Ok", "callback_data": "ok"}]]}
    assert api.calls_to("sendMessage") == []


async def test_a_missing_image_is_a_permanent_failure(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    with pytest.raises(PermanentSendError):
        await adapter.send(outbound("x", images=("/nonexistent/chart.png",)))
    assert api.calls_to("sendPhoto") == []


async def test_a_message_for_another_platform_is_refused(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    message = Outbound(recipient=Identity("slack", "U123"), text="hi", delivery_key="d-1")
    with pytest.raises(PermanentSendError):
        await adapter.send(message)
    assert api.calls == []


async def test_group_chats_can_be_sent_to(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    receipt = await adapter.send(outbound("Nieuwe vraag van een deelnemer", to=GROUP))
    assert api.calls_to("sendMessage")[0].chat_id == GROUP
    assert receipt.platform_message_id == f"{GROUP}:1"  # a message id is unique only in its chat


# --- replacing an earlier message (an edit) ---------------------------------------------------

CLAIM = (Choice("Ik neem deze", "claim:1"),)


async def test_a_replacing_message_edits_the_earlier_one_text_and_buttons(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    post = await adapter.send(outbound("Ada zoekt een **coach**", to=GROUP, key="post", choices=CLAIM))
    claimed = await adapter.send(
        outbound(
            "Ada zoekt een coach: geclaimd door *Carla* <3",
            to=GROUP,
            key="claimed",
            replaces=post.platform_message_id,
        )
    )
    assert claimed == post
    (edit,) = api.calls_to("editMessageText")
    assert (edit.ok, edit.chat_id, edit.params["message_id"]) == (True, GROUP, 1)
    assert edit.params["parse_mode"] == "HTML"
    assert edit.params["text"] == "Ada zoekt een coach: geclaimd door <i>Carla</i> &lt;3"
    assert "reply_markup" not in edit.params  # no buttons: the keyboard goes
    message = api.messages[(GROUP, 1)]
    assert (message.text, message.reply_markup) == ("Ada zoekt een coach: geclaimd door Carla <3", None)
    assert api.calls_to("sendMessage")[1:] == []  # nothing new was sent


async def test_a_replacing_message_with_choices_gets_their_keyboard(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    post = await adapter.send(outbound("Vraag", to=GROUP, key="post", choices=CLAIM))
    await adapter.send(
        outbound(
            "Vraag (opnieuw open)",
            to=GROUP,
            key="reopened",
            choices=(Choice("Claim", "claim:2"),),
            replaces=post.platform_message_id,
        )
    )
    assert api.messages[(GROUP, 1)].reply_markup == {
        "inline_keyboard": [[{"text": "Claim", "callback_data": "claim:2"}]]
    }


async def test_replacing_with_the_same_content_is_a_success(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    post = await adapter.send(outbound("Vraag", key="post"))
    again = await adapter.send(outbound("Vraag", key="again", replaces=post.platform_message_id))
    assert again == post
    assert [call.status for call in api.calls_to("editMessageText")] == [400]  # "message is not modified"


async def test_a_replacing_edit_waits_its_turn_under_the_chats_rate_limit(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    post = await adapter.send(outbound("Vraag", key="post", choices=CLAIM))
    await adapter.send(outbound("Geclaimd", key="claimed", replaces=post.platform_message_id))
    (sent,) = api.calls_to("sendMessage")
    (edit,) = api.calls_to("editMessageText")
    assert sent.at is not None
    assert edit.at is not None
    assert edit.at - sent.at == pytest.approx(1.0)


async def test_a_receipt_id_from_before_ids_named_their_chat_names_a_message_in_the_recipients_chat(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    await adapter.send(outbound("Vraag", to=GROUP, key="post", choices=CLAIM))
    receipt = await adapter.send(outbound("Geclaimd", to=GROUP, key="claimed", replaces="1"))
    assert receipt.platform_message_id == f"{GROUP}:1"
    assert api.messages[(GROUP, 1)].text == "Geclaimd"


@pytest.mark.parametrize(
    ("text", "images"),
    [("\n\n".join(f"Deel {n}. " + "woord " * 600 for n in range(2)), ()), ("Zie de grafiek", ("chart.png",))],
    ids=["several parts", "an image"],
)
async def test_only_a_short_text_can_replace_a_message(
    adapter: TelegramAdapter, api: FakeTelegramApi, tmp_path: Path, text: str, images: tuple[str, ...]
) -> None:
    for image in images:
        (tmp_path / image).write_bytes(b"png")
    with pytest.raises(PermanentSendError, match="replace"):
        await adapter.send(
            outbound(
                text, key="claimed", images=tuple(str(tmp_path / i) for i in images), replaces=f"{LEARNER}:1"
            )
        )
    assert api.calls == []


@pytest.mark.parametrize("replaces", ["", "abc", "4242:x", "C0SLACK:1700000000.000100"])
async def test_replacing_what_is_no_telegram_message_id_is_permanent(
    adapter: TelegramAdapter, api: FakeTelegramApi, replaces: str
) -> None:
    with pytest.raises(PermanentSendError):
        await adapter.send(outbound("Geclaimd", replaces=replaces))
    assert api.calls == []


async def test_a_failed_edit_is_mapped_like_a_send(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    with pytest.raises(PermanentSendError, match="not found"):
        await adapter.send(outbound("Geclaimd", key="gone", replaces=f"{LEARNER}:99"))
    post = await adapter.send(outbound("Vraag", key="post"))
    api.rate_limit_next("editMessageText", retry_after=7, chat_id=LEARNER)
    with pytest.raises(RateLimited) as raised:
        await adapter.send(outbound("Geclaimd", key="claimed", replaces=post.platform_message_id))
    assert (raised.value.retry_after, raised.value.scope) == (7, "chat")


async def test_commands_are_registered_per_language(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    await adapter.register_commands(
        {
            "nl": [("menu", "Het menu"), ("pauze", "Even pauzeren")],
            "en": [("menu", "The menu"), ("pause", "Pause for a while")],
        },
        default_language="en",
    )
    assert api.commands == {
        "nl": [
            {"command": "menu", "description": "Het menu"},
            {"command": "pauze", "description": "Even pauzeren"},
        ],
        "en": [
            {"command": "menu", "description": "The menu"},
            {"command": "pause", "description": "Pause for a while"},
        ],
        "": [
            {"command": "menu", "description": "The menu"},
            {"command": "pause", "description": "Pause for a while"},
        ],
    }


async def test_a_rejected_token_is_a_config_error_that_does_not_show_the_token(api: FakeTelegramApi) -> None:
    adapter = TelegramAdapter(
        token="999:WRONG-secret", base_url=api.base_url, clock=FrozenClock(datetime.now(UTC))
    )
    with pytest.raises(ConfigError) as raised:
        await adapter.start(_never_called)
    assert "WRONG-secret" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    await adapter.stop()


async def _never_called(inbound: object) -> object:
    raise AssertionError("no update expected")


# --- failures ---------------------------------------------------------------------------------


async def test_a_429_is_rate_limited_and_the_chat_waits_it_out(
    adapter: TelegramAdapter, api: FakeTelegramApi, timer: FakeTimer
) -> None:
    api.rate_limit_next("sendMessage", retry_after=7, chat_id=LEARNER)
    start = timer.monotonic()
    with pytest.raises(RateLimited) as raised:
        await adapter.send(outbound("een", key="d-1"))
    assert (raised.value.retry_after, raised.value.scope) == (7, "chat")

    # During the pause, nothing reaches Telegram for this chat: the limiter answers instead.
    with pytest.raises(RateLimited) as again:
        await adapter.send(outbound("een", key="d-1"))
    assert again.value.retry_after == pytest.approx(7)
    await adapter.send(outbound("ander", to=OTHER, key="d-2"))  # other chats carry on
    assert [call.chat_id for call in api.calls_to("sendMessage")] == [LEARNER, OTHER]

    timer.now += 7
    await adapter.send(outbound("een", key="d-1"))
    sends = [call for call in api.calls_to("sendMessage") if call.chat_id == LEARNER]
    assert [call.ok for call in sends] == [False, True]
    assert sends[1].at is not None
    assert sends[1].at >= start + 7


async def test_a_short_429_pause_is_waited_for_in_send(
    adapter: TelegramAdapter, api: FakeTelegramApi, timer: FakeTimer
) -> None:
    api.rate_limit_next("sendMessage", retry_after=2, chat_id=LEARNER)
    with pytest.raises(RateLimited):
        await adapter.send(outbound("een", key="d-1"))
    refused_at = api.calls[-1].at
    await adapter.send(outbound("een", key="d-1"))  # the dispatcher's retry: waits 2 s in acquire
    sent = api.calls_to("sendMessage")[-1]
    assert sent.ok
    assert refused_at is not None
    assert sent.at is not None
    assert sent.at - refused_at == pytest.approx(2)
    assert timer.sleeps == [pytest.approx(2)]


async def test_a_429_without_a_chat_pauses_everything(
    adapter: TelegramAdapter, api: FakeTelegramApi, timer: FakeTimer
) -> None:
    api.rate_limit_next("setMyCommands", retry_after=30)
    with pytest.raises(RateLimited) as raised:
        await adapter.register_commands({"en": [("menu", "The menu")]})
    assert raised.value.scope == "global"
    for chat_id in (LEARNER, OTHER, GROUP):
        with pytest.raises(RateLimited) as held:
            await adapter.send(outbound("x", to=chat_id))
        assert held.value.scope == "global"
    assert api.calls_to("sendMessage") == []


async def test_messages_to_one_chat_are_a_second_apart(
    adapter: TelegramAdapter, api: FakeTelegramApi, timer: FakeTimer
) -> None:
    for n in range(3):
        await adapter.send(outbound(f"bericht {n}", key=f"d-{n}"))
    times = [call.at for call in api.calls_to("sendMessage")]
    assert times == [pytest.approx(timer.now - 2), pytest.approx(timer.now - 1), pytest.approx(timer.now)]


async def test_messages_to_many_chats_are_spaced_by_the_global_rate(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    for chat_id in range(1, 46):
        await adapter.send(outbound("nudge", to=chat_id, key=f"d-{chat_id}"))
    times = [call.at or 0.0 for call in api.calls_to("sendMessage")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(1 / 30)
    assert times[-1] - times[0] == pytest.approx(44 / 30)


async def test_blocked_by_the_user_is_reported_after_exactly_one_call(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    api.block_next(chat_id=LEARNER)
    with pytest.raises(RecipientBlocked) as raised:
        await adapter.send(outbound("hallo"))
    assert not raised.value.retryable
    assert len(api.calls_to("sendMessage")) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(
    adapter: TelegramAdapter, api: FakeTelegramApi, status: int
) -> None:
    api.server_error_next("sendMessage", status=status)
    with pytest.raises(SendError) as raised:
        await adapter.send(outbound("hallo"))
    assert type(raised.value) is SendError
    assert raised.value.retryable
    await adapter.send(outbound("hallo"))
    assert [call.status for call in api.calls_to("sendMessage")] == [status, 200]


async def test_a_dropped_connection_is_retryable(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    api.drop_next("sendMessage")
    with pytest.raises(SendError) as raised:
        await adapter.send(outbound("hallo"))
    assert type(raised.value) is SendError
    assert raised.value.retryable
    assert not isinstance(raised.value, PossiblySent)


async def test_a_bad_request_is_permanent(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    with pytest.raises(PermanentSendError) as raised:
        await adapter.send(outbound("hallo"))
    assert "chat not found" in str(raised.value).lower()


async def test_a_migrated_group_names_its_new_id(adapter: TelegramAdapter, api: FakeTelegramApi) -> None:
    api.migrate_next(-4321, to=-1009876)
    with pytest.raises(ChatMoved) as raised:
        await adapter.send(outbound("hallo", to=-4321))
    assert raised.value.moved_to == Identity("telegram", "-1009876")
    assert raised.value.retryable
    await adapter.send(outbound("hallo", to=-1009876))  # the dispatcher's retry to the new id
    assert api.calls_to("sendMessage")[-1].ok


async def test_a_retry_after_a_partial_send_continues_with_the_first_unsent_part(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    message = outbound("\n\n".join(f"Deel {n}. " + "woord " * 600 for n in range(3)), key="d-long")
    api.server_error_next("sendMessage", after=1)  # the second part fails once
    with pytest.raises(SendError):
        await adapter.send(message)
    receipt = await adapter.send(message)  # the dispatcher's retry
    calls = api.calls_to("sendMessage")
    assert [call.status for call in calls] == [200, 502, 200, 200]
    delivered = [str(call.params["text"]).split(".")[0] for call in calls if call.ok]
    assert delivered == ["Deel 0", "Deel 1", "Deel 2"]  # nothing twice
    assert receipt.platform_message_id == f"{LEARNER}:3"


async def test_every_part_sent_is_html_telegram_accepts(
    adapter: TelegramAdapter, api: FakeTelegramApi
) -> None:
    tricky = "**vet <b>** & _schuin_ `a<b` [x](https://e.org/?q=<>) > quote\n\n" * 200
    await adapter.send(outbound(tricky))
    calls = api.calls_to("sendMessage")
    assert len(calls) > 1
    assert all(call.ok and html_problem(str(call.params["text"])) is None for call in calls)


async def test_a_limiter_can_be_shared_and_tuned(api: FakeTelegramApi, timer: FakeTimer) -> None:
    limiter = SendLimiter(limits=RateLimits(chat_interval=2.0), timer=timer)
    adapter = TelegramAdapter(
        token=api.token, base_url=api.base_url, clock=FrozenClock(datetime.now(UTC)), limiter=limiter
    )
    try:
        await adapter.send(outbound("een", key="d-1"))
        await adapter.send(outbound("twee", key="d-2"))
    finally:
        await adapter.stop()
    first, second = api.calls_to("sendMessage")
    assert adapter.limiter is limiter
    assert second.at is not None
    assert first.at is not None
    assert second.at - first.at == pytest.approx(2.0)


# --- connections ---------------------------------------------------------------------------------


async def test_concurrent_sends_each_get_a_connection_and_a_quiet_bot_keeps_one(api: FakeTelegramApi) -> None:
    """Each concurrent call has a connection of its own (none waits for another), and once
    they are done the next calls reuse a warm one rather than opening more."""
    adapter = TelegramAdapter(
        token=api.token,
        base_url=api.base_url,
        clock=FrozenClock(datetime(2027, 1, 12, 9, tzinfo=UTC)),
        limiter=SendLimiter(limits=RateLimits.lifted()),
    )
    try:
        await adapter.username()  # getMe, once, before the answers are held
        api.answers_gate = asyncio.Event()
        chats = (LEARNER, LEARNER + 1, LEARNER + 2)
        sending = asyncio.gather(*(adapter.send(outbound("Hoi", to=chat, key=f"c-{chat}")) for chat in chats))
        await api.wait_until(lambda: len(api.calls_to("sendMessage")) == 3)  # all three in flight
        api.answers_gate.set()
        await sending
        concurrent = {call.client_port for call in api.calls_to("sendMessage")}
        assert len(concurrent) == 3
        for n in range(3):
            await adapter.send(outbound("Nog eens", key=f"later-{n}"))
        later = {call.client_port for call in api.calls_to("sendMessage")[3:]}
        assert len(later) == 1
        assert later <= concurrent
    finally:
        await adapter.stop()
