"""Receiving through the real python-telegram-bot client: long polling and webhook, buttons,
membership changes, and the rule that an update is confirmed only after it was handled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.adapters.telegram import SECRET_HEADER, TelegramAdapter, WebhookSettings
from bot.domain.errors import ConfigError
from bot.domain.messages import Choice, Identity, Inbound, InboundAck, MembershipChange, Outbound
from scheduler.clock import FrozenClock
from tests.fakes.telegram_api import FakeTelegramApi, FakeTimer

NOW = datetime(2027, 1, 12, 9, 30, tzinfo=UTC)
LEARNER = 4242
OTHER_LEARNER = 4343
GROUP = -1001234
COACH = 7070
SECRET = "s3cret-token_for-tests"


class Core:
    """Stands in for the core: records what arrives and answers with a scripted ack."""

    def __init__(self) -> None:
        self.inbound: list[Inbound] = []
        self.membership: list[MembershipChange] = []
        self.ack = InboundAck(accepted=True)
        self.fail_first: set[str] = set()  # event ids whose first handling raises
        self.changed = asyncio.Event()

    async def on_inbound(self, inbound: Inbound) -> InboundAck:
        self.inbound.append(inbound)
        self._changed()
        if inbound.event_id in self.fail_first:
            self.fail_first.discard(inbound.event_id)
            raise RuntimeError("the database went away")
        return self.ack

    async def on_membership(self, change: MembershipChange) -> None:
        self.membership.append(change)
        self._changed()

    def _changed(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


@pytest.fixture
def core() -> Core:
    return Core()


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi() as fake:
        yield fake


AdapterFactory = Callable[..., Awaitable[TelegramAdapter]]


@pytest.fixture
async def started(api: FakeTelegramApi, core: Core) -> AsyncIterator[AdapterFactory]:
    """Start adapters against the fake; every one is stopped after the test."""
    adapters: list[TelegramAdapter] = []

    async def start(**settings: object) -> TelegramAdapter:
        defaults: dict[str, object] = {"on_membership": core.on_membership, "timer": FakeTimer()}
        adapter = TelegramAdapter(
            token=api.token,
            base_url=api.base_url,
            clock=FrozenClock(NOW),
            **(defaults | settings),  # type: ignore[arg-type]
        )
        adapters.append(adapter)
        await adapter.start(core.on_inbound)
        return adapter

    yield start
    for adapter in adapters:
        await adapter.stop()


async def handled(api: FakeTelegramApi) -> None:
    """Wait until the adapter has handled and confirmed everything pushed and polls again."""
    await api.wait_until(lambda: api.waiting_for_updates)


# --- polling: what arrives ----------------------------------------------------------------------


async def test_a_text_message_becomes_an_inbound(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    update_id = api.push_text(LEARNER, "Hoi coach", first_name="Ada")
    await handled(api)
    assert core.inbound == [
        Inbound(
            identity=Identity("telegram", str(LEARNER)),
            event_id=str(update_id),
            received_at=NOW,
            text="Hoi coach",
            display_name="Ada",
        )
    ]


async def test_start_with_a_token_arrives_as_the_command_text(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    api.push_start(LEARNER, "tok_3f9a")
    await handled(api)
    (inbound,) = core.inbound
    assert inbound.text == "/start tok_3f9a"
    assert inbound.command == ("start", "tok_3f9a")


async def test_a_group_message_is_the_senders_written_in_a_room(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    update_id = api.push_group_text(GROUP, "Ik neem deze", user_id=COACH, first_name="Carla")
    await handled(api)
    assert core.inbound == [
        Inbound(
            identity=Identity("telegram", str(COACH)),  # a user id is their private chat's id
            event_id=str(update_id),
            received_at=NOW,
            text="Ik neem deze",
            display_name="Carla",
            in_room=True,
        )
    ]


async def test_a_reply_in_a_group_names_the_bots_message_it_answers(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    post = await adapter.send(
        Outbound(
            recipient=Identity("telegram", str(GROUP)), text="Een vraag voor een coach", delivery_key="p"
        )
    )
    _, _, post_id = post.platform_message_id.partition(":")
    api.push_group_text(GROUP, "Ik help je graag", user_id=COACH, first_name="Carla", reply_to=int(post_id))
    await handled(api)
    (inbound,) = core.inbound
    assert post.platform_message_id == f"{GROUP}:{post_id}"
    assert (inbound.identity, inbound.in_room) == (Identity("telegram", str(COACH)), True)
    assert inbound.reply_to == post.platform_message_id
    assert inbound.text == "Ik help je graag"


async def test_a_reply_in_a_private_chat_names_the_message_it_answers(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    sent = await adapter.send(
        Outbound(recipient=Identity("telegram", str(LEARNER)), text="Hoe ging het?", delivery_key="q")
    )
    api.push_text(LEARNER, "Goed", reply_to=int(sent.platform_message_id.split(":")[1]))
    api.push_text(LEARNER, "Zonder antwoord")
    await handled(api)
    assert [(i.reply_to, i.in_room) for i in core.inbound] == [
        (sent.platform_message_id, False),
        (None, False),
    ]
    assert core.inbound[0].identity == Identity("telegram", str(LEARNER))


async def test_a_group_message_on_behalf_of_a_chat_is_nobodys(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    group = {"id": GROUP, "type": "supergroup", "title": "Coaches"}
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    api.push_update(
        {
            "message": {
                "message_id": 9,
                "date": 0,
                "chat": group,
                "from": anonymous,
                "sender_chat": group,
                "text": "x",
            }
        }
    )
    api.push_text(LEARNER, "daarna")
    await handled(api)
    assert [inbound.text for inbound in core.inbound] == ["daarna"]


async def test_a_photo_or_document_is_an_attachment_with_its_caption_as_text(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    api.push_file(LEARNER, kind="photo", caption="Mijn aantekeningen")
    api.push_file(LEARNER, kind="document")
    api.push_file(GROUP, kind="photo", caption="Voor de coaches", user_id=COACH)
    await handled(api)
    assert [(i.identity.external_id, i.text, i.attachment, i.in_room) for i in core.inbound] == [
        (str(LEARNER), "Mijn aantekeningen", True, False),
        (str(LEARNER), "", True, False),
        (str(COACH), "Voor de coaches", True, True),
    ]


async def test_a_text_is_no_attachment(api: FakeTelegramApi, core: Core, started: AdapterFactory) -> None:
    await started()
    api.push_text(LEARNER, "gewoon tekst")
    await handled(api)
    assert core.inbound[0].attachment is False


async def test_polling_removes_an_old_webhook_and_asks_only_for_what_it_handles(
    api: FakeTelegramApi, started: AdapterFactory
) -> None:
    api.webhook = {"url": "https://old.example.com/hook"}
    await started()
    await handled(api)
    assert api.webhook is None
    poll = api.calls_to("getUpdates")[0]
    assert poll.params["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert poll.params["timeout"] == 30


async def test_a_service_message_is_confirmed_and_not_handed_on(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    group = {"id": GROUP, "type": "group", "title": "C"}
    api.push_update(
        {"message": {"message_id": 9, "date": 0, "chat": group, "new_chat_title": "Coaches 2027"}}
    )
    api.push_text(LEARNER, "na de titel")
    await handled(api)
    assert [inbound.text for inbound in core.inbound] == ["na de titel"]


async def test_an_update_python_telegram_bot_cannot_read_is_skipped_not_stuck(
    api: FakeTelegramApi, core: Core, started: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # PTB's DEBUG records hold every answer: never on in production
    await started()
    promoted = {
        "status": "administrator",
        "user": {"id": 1, "is_bot": True, "first_name": "C"},
    }  # rights missing
    chat = {"id": GROUP, "type": "supergroup", "title": "C"}
    broken = {
        "chat": chat,
        "from": {"id": 9, "is_bot": False, "first_name": "Bodil"},
        "date": 0,
        "old_chat_member": {"status": "left", "user": promoted["user"]},
        "new_chat_member": promoted,
    }
    api.push_update({"my_chat_member": broken})
    after = api.push_text(LEARNER, "daarna")
    await handled(api)
    assert [inbound.event_id for inbound in core.inbound] == [str(after)]
    assert core.membership == []
    assert "Bodil" not in caplog.text  # PTB's record of the answer it could not read is dropped
    assert "could not be read; skipped" in caplog.text
    offsets = [call.params.get("offset") for call in api.calls_to("getUpdates")]
    assert offsets[:2] == [None, None]  # fetched again, carefully, then moved on


# --- polling: nothing is confirmed before it was handled ----------------------------------------


async def test_an_update_whose_handling_fails_is_fetched_again(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    first = api.push_text(LEARNER, "een")
    second = api.push_text(LEARNER, "twee")
    core.fail_first = {str(first)}
    await started()
    await handled(api)
    assert [inbound.event_id for inbound in core.inbound] == [str(first), str(first), str(second)]
    offsets = [call.params.get("offset") for call in api.calls_to("getUpdates")]
    # The offset never passed `first` before its handling succeeded.
    assert offsets[:2] == [None, None]
    assert offsets[-1] == second + 1


async def test_chats_of_one_batch_are_handled_side_by_side_and_each_chat_in_order(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    """The core commits events that arrive together in one transaction, so the adapter hands
    over one update of every chat at once; a chat's next update waits for its previous one."""
    release = asyncio.Event()
    entered: list[str] = []
    both_entered = asyncio.Event()

    async def slow(inbound: Inbound) -> InboundAck:
        entered.append(inbound.text)
        if len(entered) == 2:
            both_entered.set()
        await release.wait()
        return InboundAck(accepted=True)

    core.on_inbound = slow  # type: ignore[method-assign]
    api.push_text(LEARNER, "een")
    api.push_text(OTHER_LEARNER, "a")
    api.push_text(LEARNER, "twee")
    await started()
    await asyncio.wait_for(both_entered.wait(), timeout=10)  # a guard: one at a time would hang
    assert entered == ["een", "a"]  # "twee" waits for "een" of the same chat
    release.set()
    await handled(api)
    assert entered == ["een", "a", "twee"]
    assert api.pending == []


async def test_an_update_is_not_confirmed_while_it_is_being_handled(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow(inbound: Inbound) -> InboundAck:
        entered.set()
        await release.wait()
        return InboundAck(accepted=True)

    core.on_inbound = slow  # type: ignore[method-assign]
    update_id = api.push_text(LEARNER, "een")
    await started()
    await entered.wait()
    assert [u["update_id"] for u in api.pending] == [update_id]  # still Telegram's to re-deliver
    assert all(call.params.get("offset") is None for call in api.calls_to("getUpdates"))
    release.set()
    await handled(api)
    assert api.pending == []


async def test_a_crash_before_handling_finished_loses_nothing(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    update_id = api.push_text(LEARNER, "een")
    core.fail_first = {str(update_id)}  # this process "dies" while handling it
    crashed = await started()
    await core.changed.wait()
    await crashed.stop()
    assert [u["update_id"] for u in api.pending] == [update_id]

    await started()  # the next process
    await handled(api)
    assert [inbound.event_id for inbound in core.inbound] == [str(update_id), str(update_id)]


async def test_stop_confirms_what_was_handled(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    api.push_text(LEARNER, "een")
    await handled(api)
    await adapter.stop()
    assert api.pending == []
    assert api.calls_to("getUpdates")[-1].params["timeout"] == 0


async def test_failed_polls_back_off_and_recover(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    api.server_error_next("getUpdates", times=3)
    timer = FakeTimer()
    await started(timer=timer)
    api.push_text(LEARNER, "een")
    await handled(api)
    assert len(core.inbound) == 1
    assert timer.sleeps == [1.0, 2.0, 4.0]


# --- buttons ------------------------------------------------------------------------------------


async def press_after_sending(api: FakeTelegramApi, adapter: TelegramAdapter, text: str) -> int:
    """Send a question with buttons, press one, and wait until the press was fully dealt with
    (stopping the adapter waits for the edit it may make in the background)."""
    choices = (Choice("Ja, gedaan", "done:42"), Choice("Nog niet", "later:42"))
    receipt = await adapter.send(
        Outbound(recipient=Identity("telegram", str(LEARNER)), text=text, delivery_key="d-1", choices=choices)
    )
    chat, _, message_id = receipt.platform_message_id.partition(":")
    assert chat == str(LEARNER)
    api.push_callback(LEARNER, int(message_id), "done:42")
    await handled(api)
    await adapter.stop()
    return int(message_id)


async def test_a_press_is_an_inbound_choice_answered_and_shown(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    core.ack = InboundAck(accepted=True, notice="Genoteerd", chosen_label="Ja, gedaan <3")
    message_id = await press_after_sending(api, adapter, "Heb je het **geprobeerd**? a < b")

    (inbound,) = core.inbound
    assert (inbound.choice, inbound.reply_to, inbound.text) == ("done:42", f"{LEARNER}:{message_id}", "")
    assert (inbound.identity, inbound.in_room) == (Identity("telegram", str(LEARNER)), False)
    assert api.callback_answers[-1]["text"] == "Genoteerd"
    (edit,) = api.calls_to("editMessageText")
    assert edit.ok
    assert edit.params["message_id"] == message_id
    assert edit.params["text"] == "Heb je het geprobeerd? a &lt; b\n\n✓ Ja, gedaan &lt;3"
    assert "reply_markup" not in edit.params
    assert api.messages[(LEARNER, message_id)].reply_markup is None


async def test_a_press_in_a_group_is_the_pressers_in_a_room(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    core.ack = InboundAck(accepted=True, chosen_label="Geclaimd")
    post = await adapter.send(
        Outbound(
            recipient=Identity("telegram", str(GROUP)),
            text="Ada zoekt een coach",
            delivery_key="case-1",
            choices=(Choice("Ik neem deze", "claim:1"),),
        )
    )
    post_id = int(post.platform_message_id.split(":")[1])
    update_id = api.push_callback(GROUP, post_id, "claim:1", user_id=COACH, first_name="Carla")
    await handled(api)
    await adapter.stop()
    assert core.inbound == [
        Inbound(
            identity=Identity("telegram", str(COACH)),
            event_id=str(update_id),
            received_at=NOW,
            choice="claim:1",
            reply_to=f"{GROUP}:{post_id}",
            display_name="Carla",
            in_room=True,
        )
    ]
    assert api.messages[(GROUP, post_id)].text == "Ada zoekt een coach\n\n✓ Geclaimd"


async def test_the_edit_waits_its_turn_under_the_chats_rate_limit(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    timer = FakeTimer()
    api.stamp = timer.monotonic
    adapter = await started(timer=timer)
    core.ack = InboundAck(accepted=True, chosen_label="Ja")
    await press_after_sending(api, adapter, "Vraag")  # pressed at once, in the same second
    (sent,) = api.calls_to("sendMessage")
    (edit,) = api.calls_to("editMessageText")
    assert sent.at is not None
    assert edit.at is not None
    assert edit.at - sent.at == pytest.approx(1.0)


async def test_a_press_on_an_old_keyboard_is_answered_and_changes_nothing(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    core.ack = InboundAck(accepted=False, notice="Deze vraag is al beantwoord", chosen_label="Ja, gedaan")
    message_id = await press_after_sending(api, adapter, "Heb je het geprobeerd?")
    assert api.callback_answers[-1]["text"] == "Deze vraag is al beantwoord"
    assert api.calls_to("editMessageText") == []
    assert api.calls_to("editMessageReplyMarkup") == []
    assert api.messages[(LEARNER, message_id)].reply_markup is not None


async def test_a_press_without_a_label_is_only_answered(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    core.ack = InboundAck(accepted=True)
    await press_after_sending(api, adapter, "Vraag")
    assert "text" not in api.callback_answers[-1]
    assert api.calls_to("editMessageText") == []


async def test_a_press_under_a_photo_removes_the_keyboard(
    api: FakeTelegramApi, core: Core, started: AdapterFactory, tmp_path: object
) -> None:
    adapter = await started()
    core.ack = InboundAck(accepted=True, chosen_label="Ok")
    image = tmp_path / "x.png"  # type: ignore[operator]
    image.write_bytes(b"png")
    receipt = await adapter.send(
        Outbound(
            recipient=Identity("telegram", str(LEARNER)),
            text="",
            delivery_key="d-1",
            images=(str(image),),
            choices=(Choice("Ok", "ok"),),
        )
    )
    api.push_callback(LEARNER, int(receipt.platform_message_id.split(":")[1]), "ok")
    await handled(api)
    await adapter.stop()
    (edit,) = api.calls_to("editMessageReplyMarkup")
    assert edit.ok
    assert "reply_markup" not in edit.params


async def test_a_failed_edit_does_not_fail_the_press(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    adapter = await started()
    core.ack = InboundAck(accepted=True, chosen_label="Ja")
    api.fail_next("editMessageText", status=400, description="Bad Request: message can't be edited")
    await press_after_sending(api, adapter, "Vraag")
    assert len(core.inbound) == 1  # handled once, confirmed, not re-delivered
    assert api.pending == []
    assert [call.status for call in api.calls_to("editMessageText")] == [400]


# --- membership ---------------------------------------------------------------------------------


async def test_blocking_and_unblocking_are_reported_as_membership_changes(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    blocked = api.push_my_chat_member(LEARNER, old="member", new="kicked")
    unblocked = api.push_my_chat_member(LEARNER, old="kicked", new="member")
    api.push_my_chat_member(GROUP, old="member", new="administrator")  # nothing changes for sending
    await handled(api)
    assert [(change.kind, change.event_id) for change in core.membership] == [
        ("blocked", str(blocked)),
        ("unblocked", str(unblocked)),
    ]
    assert core.membership[0].identity == Identity("telegram", str(LEARNER))
    assert core.membership[0].received_at == NOW
    assert core.inbound == []


async def test_a_group_moving_to_a_supergroup_is_reported(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    await started()
    api.push_migration(-4321, to=-1009876)
    await handled(api)
    (change,) = core.membership
    assert change.kind == "moved"
    assert change.identity == Identity("telegram", "-4321")
    assert change.moved_to == Identity("telegram", "-1009876")


async def test_without_a_membership_handler_the_changes_are_just_confirmed(
    api: FakeTelegramApi, core: Core
) -> None:
    adapter = TelegramAdapter(token=api.token, base_url=api.base_url, clock=FrozenClock(NOW))
    await adapter.start(core.on_inbound)
    try:
        api.push_my_chat_member(LEARNER, old="member", new="kicked")
        api.push_text(LEARNER, "hoi")
        await handled(api)
    finally:
        await adapter.stop()
    assert [inbound.text for inbound in core.inbound] == ["hoi"]
    assert api.pending == []


# --- webhook ------------------------------------------------------------------------------------


def webhook(**overrides: object) -> WebhookSettings:
    settings: dict[str, object] = {
        "url": "https://coachbot.example.com/telegram/hook",
        "secret_token": SECRET,
        "listen_port": 0,
    }
    return WebhookSettings(**(settings | overrides))  # type: ignore[arg-type]


async def post_update(adapter: TelegramAdapter, body: object, *, secret: str | None = SECRET) -> int:
    address = adapter.webhook_address
    assert address is not None
    host, port = address
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://{host}:{port}/telegram/hook", json=body, headers=headers) as response,
    ):
        return response.status


def text_update(update_id: int, text: str) -> dict[str, object]:
    chat = {"id": LEARNER, "type": "private", "first_name": "Ada"}
    user = {"id": LEARNER, "is_bot": False, "first_name": "Ada"}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": text}
    return {"update_id": update_id, "message": message}


async def test_webhook_mode_registers_the_url_with_the_secret(
    api: FakeTelegramApi, started: AdapterFactory
) -> None:
    await started(webhook=webhook())
    assert api.webhook == {
        "url": "https://coachbot.example.com/telegram/hook",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query", "my_chat_member"],
    }
    assert api.calls_to("getUpdates") == []


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1], "é"])
async def test_a_webhook_call_without_the_right_secret_is_refused(
    core: Core, started: AdapterFactory, secret: str | None
) -> None:
    adapter = await started(webhook=webhook())
    assert await post_update(adapter, text_update(1, "hoi"), secret=secret) == 403
    assert core.inbound == []


async def test_a_webhook_update_is_handled_before_the_answer(core: Core, started: AdapterFactory) -> None:
    adapter = await started(webhook=webhook())
    assert await post_update(adapter, text_update(51, "hoi")) == 200
    (inbound,) = core.inbound  # already there when Telegram gets its 200
    assert (inbound.event_id, inbound.text) == ("51", "hoi")


async def test_a_webhook_update_whose_handling_fails_gets_a_non_2xx(
    core: Core, started: AdapterFactory
) -> None:
    adapter = await started(webhook=webhook())
    core.fail_first = {"52"}
    assert await post_update(adapter, text_update(52, "hoi")) == 500
    assert await post_update(adapter, text_update(52, "hoi")) == 200  # Telegram's re-delivery
    assert [inbound.event_id for inbound in core.inbound] == ["52", "52"]


@pytest.mark.parametrize("body", [["not", "an", "update"], {"message": {}}, "null"])
async def test_a_webhook_body_that_is_no_update_is_a_bad_request(
    core: Core, started: AdapterFactory, body: object
) -> None:
    adapter = await started(webhook=webhook())
    assert await post_update(adapter, body) == 400
    assert core.inbound == []


async def test_a_webhook_update_that_cannot_be_read_is_skipped(core: Core, started: AdapterFactory) -> None:
    adapter = await started(webhook=webhook())
    unreadable = {"update_id": 53, "message": {"message_id": 1, "text": "no chat, no date"}}
    assert await post_update(adapter, unreadable) == 200  # re-delivering it would not help
    assert core.inbound == []


async def test_switching_back_to_polling_deletes_the_webhook(
    api: FakeTelegramApi, core: Core, started: AdapterFactory
) -> None:
    hooked = await started(webhook=webhook())
    await hooked.stop()
    assert api.webhook is not None
    await started()
    api.push_text(LEARNER, "weer via polling")
    await handled(api)
    assert [inbound.text for inbound in core.inbound] == ["weer via polling"]
    assert [call.status for call in api.calls_to("getUpdates")][:1] == [200]


@pytest.mark.parametrize(
    "settings",
    [
        {"secret_token": "has spaces"},
        {"secret_token": ""},
        {"secret_token": "x" * 257},
        {"url": "http://insecure.example.com/hook"},
    ],
)
def test_webhook_settings_telegram_would_refuse_fail_fast(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        webhook(**settings)
