"""Tests of the fake Telegram Bot API server, driven by PTB's Bot and by raw httpx."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import math
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MenuButtonCommands,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from fake_telegram import Call, FakeTelegram, FakeUser, RateLimits

TOKEN = "123456:TEST"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns when RetryAfter.retry_after is read as an int; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="chibot_test_bot") as server:
        yield server


def make_bot(api: FakeTelegram, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot")


@pytest.fixture
async def bot(api: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(api) as client:
        yield client


@pytest.fixture
async def raw(api: FakeTelegram) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}/", timeout=10) as client:
        yield client


async def started(api: FakeTelegram, name: str = "Lan", **kwargs: Any) -> FakeUser:
    """A user who has pressed Start (the update is drained from the queue)."""
    user = api.add_user(name, **kwargs)
    await api.user_sends(user, "/start")
    api.drop_pending_updates()
    return user


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in buttons])


# -- basics -------------------------------------------------------------------------------------


async def test_get_me_and_method_case(api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.first_name == "chibot"
    assert me.username == "chibot_test_bot"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False

    lower = (await raw.post("getme")).json()
    assert lower["ok"] is True
    assert lower["result"]["username"] == "chibot_test_bot"
    unknown = await raw.post("sendSticker", data={"chat_id": "1"})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert [c.method for c in api.calls][-2:] == ["getMe", "sendSticker"]


async def test_unknown_token_is_unauthorized(api: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{api.url}/bot999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json()["description"] == "Unauthorized"
    with pytest.raises(InvalidToken):
        async with make_bot(api, "999:WRONG"):
            pass


# -- long polling -------------------------------------------------------------------------------


async def test_long_poll_waits_and_wakes_on_user_sends(api: FakeTelegram, bot: Bot) -> None:
    alice = api.add_user("Lan", last_name="Nguyễn Thị", username="lan", language_code="vi")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done(), "getUpdates must hold the request while nothing is pending"
    sent_at = time.monotonic()
    sent = await api.user_sends(alice, "/start abc")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - sent_at < 1.0
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start abc"
    assert message.message_id == sent["message_id"]
    assert message.chat.id == alice.id == api.private_chat(alice).id
    assert message.from_user is not None
    assert message.from_user.full_name == "Lan Nguyễn Thị" == alice.full_name
    assert message.entities[0].type == "bot_command"
    assert (message.entities[0].offset, message.entities[0].length) == (0, 6)


async def test_long_poll_times_out_with_empty_list(
    api: FakeTelegram, raw: httpx.AsyncClient
) -> None:
    began = time.monotonic()
    body = (await raw.post("getUpdates", data={"timeout": "0.4"})).json()
    elapsed = time.monotonic() - began
    assert body == {"ok": True, "result": []}
    assert 0.35 <= elapsed < 2.0


async def test_offset_confirms_and_drops_older_updates(
    api: FakeTelegram, raw: httpx.AsyncClient
) -> None:
    alice = api.add_user("Lan")
    for text in ("một", "hai", "ba"):
        await api.user_sends(alice, text)
    first = (await raw.post("getUpdates", data={"limit": "2"})).json()["result"]
    assert [u["message"]["text"] for u in first] == ["một", "hai"]
    ids = [u["update_id"] for u in first]
    assert ids[1] == ids[0] + 1
    again = (await raw.post("getUpdates")).json()["result"]
    assert [u["message"]["text"] for u in again] == ["một", "hai", "ba"], "not confirmed yet"
    rest = (await raw.post("getUpdates", data={"offset": str(ids[1] + 1)})).json()["result"]
    assert [u["message"]["text"] for u in rest] == ["ba"]
    assert len(api.pending_updates) == 1
    done = (await raw.post("getUpdates", data={"offset": str(rest[0]["update_id"] + 1)})).json()
    assert done["result"] == []
    assert api.pending_updates == []


async def test_newer_poll_terminates_held_one_with_conflict(
    api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient
) -> None:
    held = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert (await raw.post("getUpdates")).json()["result"] == []
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(held, 2)


async def test_stop_releases_held_long_poll_promptly() -> None:
    api = FakeTelegram(token=TOKEN)
    await api.start()
    async with httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}/", timeout=10) as client:
        poll = asyncio.create_task(client.post("getUpdates", data={"timeout": "30"}))
        await asyncio.sleep(0.2)
        began = time.monotonic()
        await api.stop()
        assert time.monotonic() - began < 1.5
        response = await asyncio.wait_for(poll, 2)
    assert response.json() == {"ok": True, "result": []}


# -- sendMessage --------------------------------------------------------------------------------


async def test_send_message_html_is_validated_and_stripped(
    api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient
) -> None:
    alice = await started(api)
    html = (
        "<b>Họp chi bộ</b> tháng 5 &amp; <i>biểu quyết</i>\n"
        "<a href='https://example.org/x'>chi tiết</a> <tg-spoiler>bí mật</tg-spoiler>"
    )
    message = await bot.send_message(alice.id, html, parse_mode="HTML")
    assert message.text == "Họp chi bộ tháng 5 & biểu quyết\nchi tiết bí mật"
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    assert kinds == [
        ("bold", 0, 10),
        ("italic", 21, 10),
        ("text_link", 32, 8),
        ("spoiler", 41, 6),
    ]
    assert message.entities[2].url == "https://example.org/x"
    stored = api.last_message(alice)
    assert stored is not None
    assert stored["text"] == message.text
    assert stored["_html"] == html
    assert stored["_parse_mode"] == "HTML"

    bad = {
        "<b>không đóng": 'Can\'t find end tag corresponding to start tag "b"',
        "<div>x</div>": 'Unsupported start tag "div" at byte offset 0',
        "1 < 2": 'Unsupported start tag "" at byte offset 2',
        "<b>x</i>": 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        "x</b>": "Unexpected end tag at byte offset 1",
        '<span class="x">y</span>': 'Tag "span" must have class "tg-spoiler"',
    }
    for text, reason in bad.items():
        response = await raw.post(
            "sendMessage", data={"chat_id": str(alice.id), "text": text, "parse_mode": "HTML"}
        )
        assert response.status_code == 400, text
        description = response.json()["description"]
        assert description.startswith("Bad Request: can't parse entities: "), text
        assert reason in description, (text, description)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(alice.id, "<b>Tên: <Lan></b>", parse_mode="HTML")
    # Without parse_mode nothing is parsed.
    plain = await bot.send_message(alice.id, "<b>literal</b> & co")
    assert plain.text == "<b>literal</b> & co"
    assert api.sent_count(alice) == 2


async def test_message_length_limits(api: FakeTelegram, raw: httpx.AsyncClient) -> None:
    alice = await started(api)
    chat = str(alice.id)
    ok = await raw.post("sendMessage", data={"chat_id": chat, "text": "ắ" * 4096})
    assert ok.json()["ok"] is True
    # Tags do not count: the limit applies to the text after entity parsing.
    tagged = "<b>" + "a" * 4000 + "</b>" + "b" * 96
    ok = await raw.post(
        "sendMessage", data={"chat_id": chat, "text": tagged, "parse_mode": "HTML"}
    )
    assert ok.json()["ok"] is True
    too_long = await raw.post("sendMessage", data={"chat_id": chat, "text": "a" * 4097})
    assert too_long.status_code == 400
    assert too_long.json()["description"] == "Bad Request: message is too long"
    for empty in ("", "   \n"):
        response = await raw.post("sendMessage", data={"chat_id": chat, "text": empty})
        assert response.json()["description"] == "Bad Request: message text is empty"
    missing = await raw.post("sendMessage", data={"chat_id": "42", "text": "x"})
    assert missing.json()["description"] == "Bad Request: chat not found"
    assert api.sent_count() == 2


async def test_callback_data_over_64_bytes_is_rejected(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    await bot.send_message(alice.id, "ok", reply_markup=keyboard(("a", "x" * 64), ("b", "đ" * 32)))
    for data in ("x" * 65, "đ" * 33):  # "đ" is 2 bytes in UTF-8
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(alice.id, "no", reply_markup=keyboard(("a", data)))
    assert api.sent_count(alice) == 1


# -- callback queries ---------------------------------------------------------------------------


async def test_user_taps_by_text_and_by_data(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    sent = await bot.send_message(
        alice.id, "Họp chi bộ?", reply_markup=keyboard(("Tham dự", "att|1"), ("Vắng", "abs|1"))
    )
    call = await api.next_call("sendMessage")
    assert call.result["message_id"] == sent.message_id

    by_text = await api.user_taps(alice, call.result, "Tham dự")
    by_data = await api.user_taps(alice, call.result, "abs|1")
    raw_data = await api.user_taps(alice, call.result, data="f|abc|0|x")
    updates = await bot.get_updates(timeout=1)
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.id for q in queries] == [by_text, by_data, raw_data]
    assert [q.data for q in queries] == ["att|1", "abs|1", "f|abc|0|x"]
    first = queries[0]
    assert first.from_user.id == alice.id
    assert first.message is not None
    assert first.message.message_id == sent.message_id
    assert first.chat_instance

    assert await bot.answer_callback_query(by_text, text="Đã ghi nhận")
    assert api.callback_answer(by_text) == {
        "text": "Đã ghi nhận",
        "show_alert": False,
        "url": None,
        "cache_time": None,
    }
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(by_text)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("nonexistent")
    with pytest.raises(LookupError, match="Có mặt"):
        await api.user_taps(alice, call.result, "Có mặt")


async def test_answer_callback_query_text_limit(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    message = await bot.send_message(alice.id, "?", reply_markup=keyboard(("OK", "ok")))
    query = await api.user_taps(alice, message.to_dict(), "OK")
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(query, text="x" * 201)
    assert api.callback_answer(query) is None, "a rejected answer does not count"
    assert await bot.answer_callback_query(query, text="x" * 200, show_alert=True)
    answer = api.callback_answer(query)
    assert answer is not None
    assert answer["show_alert"] is True


# -- editing and deleting -----------------------------------------------------------------------


async def test_edit_message_text_and_not_modified(
    api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient
) -> None:
    alice = await started(api)
    markup = keyboard(("Tham dự", "att|1"))
    sent = await bot.send_message(alice.id, "Bản nháp", reply_markup=markup)
    edited = await bot.edit_message_text(
        "<b>Chốt</b> danh sách",
        chat_id=alice.id,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=markup,
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Chốt danh sách"
    assert edited.edit_date is not None
    current = api.messages_in(alice)
    assert len(current) == 1
    assert current[0]["text"] == "Chốt danh sách"
    assert current[0]["_html"] == "<b>Chốt</b> danh sách"

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Chốt</b> danh sách",
            chat_id=alice.id,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)

    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    await bot.edit_message_text("Đã chốt", chat_id=alice.id, message_id=sent.message_id)
    assert "reply_markup" not in api.messages_in(alice)[0]
    with pytest.raises(LookupError):
        await api.user_taps(alice, sent.to_dict(), "Tham dự")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=alice.id, message_id=sent.message_id)
    again = await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=sent.message_id, reply_markup=markup
    )
    assert not isinstance(again, bool)
    assert again.reply_markup == markup

    user_message = await api.user_sends(alice, "tin của tôi")
    response = await raw.post(
        "editMessageText",
        data={"chat_id": alice.id, "message_id": user_message["message_id"], "text": "y"},
    )
    assert response.json()["description"] == "Bad Request: message can't be edited"

    assert await bot.delete_message(alice.id, sent.message_id)
    assert api.messages_in(alice) == []
    assert api.last_message(alice) is None
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)


# -- permissions --------------------------------------------------------------------------------


async def test_forbidden_never_started_vs_blocked(
    api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient
) -> None:
    stranger = api.add_user("Minh")
    response = await raw.post("sendMessage", data={"chat_id": stranger.id, "text": "xin chào"})
    assert response.status_code == 403
    assert response.json() == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot can't initiate conversation with a user",
    }
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_document(stranger.id, InputFile(b"x", filename="a.txt"))

    alice = await started(api)
    await bot.send_message(alice.id, "trước khi chặn")
    api.user_blocks(alice)
    response = await raw.post("sendMessage", data={"chat_id": alice.id, "text": "x"})
    assert response.status_code == 403
    assert response.json()["description"] == "Forbidden: bot was blocked by the user"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_photo(alice.id, b"\x89PNG\r\n\x1a\n")
    blocked = [u for u in api.pending_updates if "my_chat_member" in u]
    assert blocked[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"

    api.user_unblocks(alice)
    assert (await bot.send_message(alice.id, "đã bỏ chặn")).text == "đã bỏ chặn"
    assert [m["text"] for m in api.messages_in(alice)] == ["trước khi chặn", "đã bỏ chặn"]


async def test_group_admin_checks(api: FakeTelegram, bot: Bot) -> None:
    alice = api.add_user("Lan")
    bob = api.add_user("Hùng")
    carol = api.add_user("Mai")
    dave = api.add_user("Tuấn")
    group = api.add_group("Chi bộ Văn phòng", members=[bob], admins=[alice], creator=carol)
    assert group.type == "group"
    assert group.id < 0
    supergroup = api.add_group("Đảng bộ", members=[bob], supergroup=True)
    assert supergroup.type == "supergroup"
    assert str(supergroup.id).startswith("-100")

    async def status(user: FakeUser) -> str:
        return (await bot.get_chat_member(group.id, user.id)).status

    assert await status(alice) == "administrator"
    assert await status(bob) == "member"
    assert await status(carol) == "creator"
    assert await status(dave) == "left"
    admins = await bot.get_chat_administrators(group.id)
    assert [(a.user.id, a.status) for a in admins] == [
        (carol.id, "creator"),
        (alice.id, "administrator"),
    ]
    assert await bot.get_chat_member_count(group.id) == 4  # three people and the bot
    chat = await bot.get_chat(group.id)
    assert chat.title == "Chi bộ Văn phòng"

    api.set_admin(group, bob, True)
    assert await status(bob) == "administrator"
    api.set_admin(group, alice, False)
    assert await status(alice) == "member"
    api.remove_from_group(group, bob)
    assert await status(bob) == "left"
    with pytest.raises(ValueError, match="not a member"):
        await api.user_sends(bob, "xin chào", chat=group)
    # The bot can write to a group it is in even though nobody "started" it there.
    assert (await bot.send_message(group.id, "Chào chi bộ")).chat.id == group.id
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat_member(-123, alice.id)


async def test_set_my_commands_per_scope_and_language(
    api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient
) -> None:
    alice = await started(api)
    group = api.add_group("Chi bộ", members=[alice])
    default = [BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")]
    private_vi = [BotCommand("start", "Bắt đầu"), BotCommand("hop", "Cuộc họp")]
    in_group = [BotCommand("diemdanh", "Điểm danh")]
    assert await bot.set_my_commands(default)
    assert await bot.set_my_commands(
        private_vi, scope=BotCommandScopeAllPrivateChats(), language_code="vi"
    )
    assert await bot.set_my_commands(in_group, scope=BotCommandScopeChat(group.id))

    assert [c["command"] for c in api.commands()] == ["start", "help"]
    assert api.commands("all_private_chats", "vi") == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "hop", "description": "Cuộc họp"},
    ]
    assert api.commands("all_private_chats") == []
    assert api.commands("chat", chat=group) == [
        {"command": "diemdanh", "description": "Điểm danh"}
    ]
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="vi")
    assert [c.command for c in got] == ["start", "hop"]
    assert await bot.get_my_commands(language_code="en") == ()

    for bad, reason in (
        ({"command": "Start", "description": "x"}, "BOT_COMMAND_INVALID"),
        ({"command": "a" * 33, "description": "x"}, "BOT_COMMAND_INVALID"),
        ({"command": "ok", "description": ""}, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ({"command": "ok", "description": "d" * 257}, "BOT_COMMAND_DESCRIPTION_INVALID"),
    ):
        response = await raw.post("setMyCommands", data={"commands": json.dumps([bad])})
        assert response.status_code == 400
        assert response.json()["description"] == f"Bad Request: {reason}"
    assert await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="vi")
    assert api.commands("all_private_chats", "vi") == []
    assert [c["command"] for c in api.commands()] == ["start", "help"]
    call = api.calls_of("setMyCommands")[1]
    assert call.params["scope"] == {"type": "all_private_chats"}
    assert call.params["language_code"] == "vi"


# -- files --------------------------------------------------------------------------------------


async def test_send_document_then_get_file_downloads_same_bytes(
    api: FakeTelegram, bot: Bot
) -> None:
    alice = await started(api)
    payload = b"%PDF-1.4\n" + bytes(range(256)) * 50
    message = await bot.send_document(
        alice.id,
        InputFile(payload, filename="bien-ban.pdf"),
        caption="<b>Biên bản</b> họp",
        parse_mode="HTML",
    )
    document = message.document
    assert document is not None
    assert document.file_name == "bien-ban.pdf"
    assert document.mime_type == "application/pdf"
    assert document.file_size == len(payload)
    assert message.caption == "Biên bản họp"
    call = await api.next_call("sendDocument")
    assert call.params["document"]["upload"] == "bien-ban.pdf"
    assert call.params["chat_id"] == alice.id

    file = await bot.get_file(document.file_id)
    assert file.file_size == len(payload)
    assert bytes(await file.download_as_bytearray()) == payload
    assert api.file_bytes(document.file_id) == payload

    # Re-sending by file_id works without an upload.
    again = await bot.send_document(alice.id, document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == document.file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(alice.id, "no-such-file-id")

    # A user's upload is downloadable by the bot too.
    sent = await api.user_sends_document(alice, "danh-sach.xlsx", b"PK\x03\x04data", caption="ds")
    assert sent["document"]["file_name"] == "danh-sach.xlsx"
    user_file = await bot.get_file(sent["document"]["file_id"])
    assert bytes(await user_file.download_as_bytearray()) == b"PK\x03\x04data"

    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x00\x80" + b"\x00" * 20
    photo = await bot.send_photo(alice.id, InputFile(png, filename="a.png"))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (256, 128)
    assert api.sent_count(alice) == 3


# -- migration ----------------------------------------------------------------------------------


async def test_migrate_group(api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient) -> None:
    alice = api.add_user("Lan")
    group = api.add_group("Chi bộ", members=[alice], creator=alice)
    await bot.send_message(group.id, "trước")
    new = await api.migrate_group(group)
    assert new.type == "supergroup"
    assert new.id != group.id
    assert str(new.id).startswith("-100")
    updates = await bot.get_updates()
    messages = [u.message for u in updates if u.message]
    assert [(m.chat.id, m.migrate_to_chat_id, m.migrate_from_chat_id) for m in messages] == [
        (group.id, new.id, None),
        (new.id, None, group.id),
    ]
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group.id, "sau")
    assert caught.value.new_chat_id == new.id
    response = await raw.post("sendMessage", data={"chat_id": group.id, "text": "x"})
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new.id},
    }
    assert (await bot.send_message(new.id, "sau")).chat.id == new.id
    assert (await bot.get_chat_member(new.id, alice.id)).status == "creator"
    await api.user_sends(alice, "trong siêu nhóm", chat=new)
    with pytest.raises(ValueError, match="upgraded"):
        await api.user_sends(alice, "nhóm cũ", chat=group)


# -- faults -------------------------------------------------------------------------------------


async def test_fault_retry_after(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    api.inject_fault("sendMessage", "retry_after", count=1, retry_after=2)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=2)
    assert api.rate_limited_count == 1
    assert api.messages_in(alice) == []
    await bot.send_message(alice.id, "y")
    assert api.sent_count(alice) == 1


async def test_fault_server_error(api: FakeTelegram, bot: Bot, raw: httpx.AsyncClient) -> None:
    alice = await started(api)
    api.inject_fault("sendMessage", "server_error", count=2)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(alice.id, "x")
    response = await raw.post("sendMessage", data={"chat_id": alice.id, "text": "x"})
    assert response.status_code == 502
    assert response.json() == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert (await raw.post("sendMessage", data={"chat_id": alice.id, "text": "x"})).json()["ok"]


async def test_fault_timeout_is_not_performed(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    api.inject_fault("sendMessage", "timeout", count=1, delay=1.0)
    with pytest.raises(TimedOut):
        await bot.send_message(alice.id, "x", read_timeout=0.3)
    call = await api.next_call("sendMessage")
    assert call.error is not None
    assert call.error["fault"] == "timeout"
    await asyncio.sleep(0.8)
    assert api.messages_in(alice) == [], "a timed-out request is not performed"
    await bot.send_message(alice.id, "y")
    assert api.sent_count(alice) == 1


async def test_fault_drop_and_forbidden(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    bob = await started(api, "Hùng")
    api.inject_fault("sendMessage", "drop", count=1)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(alice.id, "x")
    assert not isinstance(caught.value, TimedOut)
    assert api.messages_in(alice) == []
    api.inject_fault("sendMessage", "forbidden", count=1, chat_id=bob.id)
    await bot.send_message(alice.id, "cho Lan")  # other chats are not affected
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(bob.id, "cho Hùng")
    await bot.send_message(bob.id, "lần hai")
    assert api.sent_count() == 2


async def test_latency_slows_sends(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    api.set_latency(0.5)
    began = time.monotonic()
    await bot.send_message(alice.id, "chậm")
    assert time.monotonic() - began >= 0.5
    began = time.monotonic()
    await bot.get_me()  # only sends and edits are slowed
    assert time.monotonic() - began < 0.5
    api.set_latency(0)


# -- rate limits --------------------------------------------------------------------------------


async def _started_many(api: FakeTelegram, count: int) -> list[FakeUser]:
    users = [api.add_user(f"Người {i}") for i in range(count)]
    for user in users:
        await api.user_sends(user, "/start")
    return users


async def test_rate_limit_burst_to_distinct_chats_gets_429() -> None:
    limits = RateLimits(global_per_second=30, private_per_second=1, group_per_minute=20)
    async with FakeTelegram(token=TOKEN, rate_limits=limits) as api:
        users = await _started_many(api, 40)
        async with httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}/") as client:
            began = time.monotonic()
            responses = await asyncio.gather(
                *(client.post("sendMessage", data={"chat_id": u.id, "text": "x"}) for u in users)
            )
            elapsed = time.monotonic() - began
        codes = [r.status_code for r in responses]
        assert codes.count(200) + codes.count(429) == 40
        assert codes.count(429) >= 1
        # A full bucket of 30, plus whatever refilled while the burst was in flight.
        assert codes.count(200) <= 30 + math.ceil(elapsed * 30)
        limited = next(r.json() for r in responses if r.status_code == 429)
        assert limited["error_code"] == 429
        assert limited["parameters"]["retry_after"] >= 1
        assert limited["description"] == (
            f"Too Many Requests: retry after {limited['parameters']['retry_after']}"
        )
        assert api.rate_limited_count == codes.count(429)
        assert api.sent_count() == codes.count(200)


async def test_rate_limit_pacing_at_30_per_second_passes() -> None:
    limits = RateLimits(global_per_second=30, private_per_second=1, group_per_minute=20)
    async with FakeTelegram(token=TOKEN, rate_limits=limits) as api, make_bot(api) as bot:
        users = await _started_many(api, 60)
        began = time.monotonic()
        for i, user in enumerate(users):
            delay = began + i / 30 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await bot.send_message(user.id, "đều đặn")
        assert api.rate_limited_count == 0
        assert api.sent_count() == 60


async def test_rate_limit_per_private_chat_and_group() -> None:
    limits = RateLimits(global_per_second=1000, private_per_second=1, group_per_minute=20)
    async with FakeTelegram(token=TOKEN, rate_limits=limits) as api, make_bot(api) as bot:
        alice = await started(api)
        for _ in range(3):  # a short burst of 3 is tolerated
            await bot.send_message(alice.id, "x")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(alice.id, "x")
        assert caught.value.retry_after == dtm.timedelta(seconds=1)
        # An edit counts against the same chat.
        message = api.messages_in(alice)[0]
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("y", chat_id=alice.id, message_id=message["message_id"])

        group = api.add_group("Chi bộ", members=[alice])
        for _ in range(20):
            await bot.send_message(group.id, "x")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(group.id, "x")
        assert caught.value.retry_after == dtm.timedelta(seconds=3)  # 20/min -> 1 per 3 s
        assert api.rate_limited_count == 3
        assert api.sent_count(group) == 20


async def test_many_chats_concurrently_while_long_polling() -> None:
    async with FakeTelegram(token=TOKEN) as api:
        users = await _started_many(api, 300)
        async with httpx.AsyncClient(
            base_url=f"{api.url}/bot{TOKEN}/", limits=httpx.Limits(max_connections=50)
        ) as client:
            offset = api.pending_updates[-1]["update_id"] + 1
            await client.post("getUpdates", data={"offset": offset})
            poll = asyncio.create_task(client.post("getUpdates", data={"timeout": 10}))
            responses = await asyncio.gather(
                *(client.post("sendMessage", data={"chat_id": u.id, "text": "x"}) for u in users)
            )
            assert all(r.json()["result"]["message_id"] == 2 for r in responses)
            assert not poll.done()
            await api.user_sends(users[0], "xong")
            result = (await asyncio.wait_for(poll, 2)).json()["result"]
            assert result[0]["message"]["text"] == "xong"
        assert api.sent_count() == 300


# -- webhook ------------------------------------------------------------------------------------


async def test_webhook_push_with_secret_header(api: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    arrived = asyncio.Event()
    failures_left = [1]

    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        if failures_left[0]:
            failures_left[0] -= 1
            return web.Response(status=500)  # Telegram retries until it gets a 2xx
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        arrived.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        alice = api.add_user("Lan")
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="bi-mat_123")
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        await api.user_sends(alice, "/start qua webhook")
        await asyncio.wait_for(arrived.wait(), 3)
        secret, update = received[0]
        assert secret == "bi-mat_123"
        assert update["message"]["text"] == "/start qua webhook"
        assert Update.de_json(update, bot).effective_user.id == alice.id  # type: ignore[union-attr]
        info = await bot.get_webhook_info()
        assert info.url == url
        assert info.pending_update_count == 0
        assert info.last_error_message is not None  # from the one 500
        assert await bot.delete_webhook()
        await api.user_sends(alice, "lại polling")
        updates = await bot.get_updates()
        assert [u.message.text for u in updates if u.message] == ["lại polling"]
        assert len(received) == 1
    finally:
        await runner.cleanup()


async def test_delete_webhook_drop_pending_updates(api: FakeTelegram, bot: Bot) -> None:
    alice = api.add_user("Lan")
    await api.user_sends(alice, "cũ")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


# -- next_call ------------------------------------------------------------------------------------


async def test_next_call_consumes_in_order_and_filters(api: FakeTelegram, bot: Bot) -> None:
    alice = await started(api)
    bob = await started(api, "Hùng")
    await bot.send_message(alice.id, "một")
    await bot.send_message(bob.id, "hai")
    await bot.send_message(alice.id, "ba")
    to_bob = await api.next_call("sendmessage", where=lambda c: c.params["chat_id"] == bob.id)
    assert to_bob.params["text"] == "hai"
    assert isinstance(to_bob, Call)
    first = await api.next_call("sendMessage")
    second = await api.next_call("sendMessage")
    assert [first.params["text"], second.params["text"]] == ["một", "ba"]
    assert first.ok
    assert first.result["text"] == "một"
    assert first.at <= second.at

    waiter = asyncio.create_task(api.next_call("sendMessage", timeout=2))
    await asyncio.sleep(0.05)
    await bot.send_message(alice.id, "bốn")
    assert (await waiter).params["text"] == "bốn"

    await api.user_sends(alice, "ping")
    with pytest.raises(TimeoutError, match=r"no sendMessage call within 0\.2s") as caught:
        await api.next_call("sendMessage", timeout=0.2)
    assert "bốn" in str(caught.value)

    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "")
    failed = await api.next_call("sendMessage")
    assert failed.result is None
    assert failed.error is not None
    assert failed.error["description"] == "Bad Request: message text is empty"


# -- a real PTB Application ---------------------------------------------------------------------


async def test_ptb_application_round_trip(api: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id,
            f"<b>Chào</b> {context.args}",
            parse_mode="HTML",
            reply_markup=keyboard(("Tham dự", "att|1")),
        )

    async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Đã ghi nhận")
        await query.edit_message_text(f"Bạn chọn {query.data}")

    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(tapped))
    alice = api.add_user("Lan", username="lan")
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await api.user_sends(alice, "/start@chibot_test_bot abc")
        sent = await api.next_call("sendMessage", timeout=5)
        assert sent.result["text"] == "Chào ['abc']"
        query_id = await api.user_taps(alice, sent.result, "Tham dự")
        answer = await api.next_call("answerCallbackQuery", timeout=5)
        assert answer.params["callback_query_id"] == query_id
        edit = await api.next_call("editMessageText", timeout=5)
        assert edit.ok
        assert api.messages_in(alice)[0]["text"] == "Bạn chọn att|1"
        await application.updater.stop()
        await application.stop()


# -- standalone -----------------------------------------------------------------------------------


async def test_standalone_module_serves_and_exposes_control_api() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fake_telegram",
        "--port",
        "0",
        "--token",
        "123:ABC",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=url) as client:
            me = (await client.post("/bot123:ABC/getMe")).json()
            assert me["result"]["id"] == 123
            user = (await client.post("/_fake/users", json={"first_name": "Lan"})).json()
            sent = await client.post("/_fake/send", json={"user_id": user["id"], "text": "/start"})
            assert sent.json()["text"] == "/start"
            updates = (await client.post("/bot123:ABC/getUpdates")).json()["result"]
            assert updates[0]["message"]["from"]["id"] == user["id"]
            reply = await client.post(
                "/bot123:ABC/sendMessage", data={"chat_id": user["id"], "text": "chào"}
            )
            assert reply.json()["ok"]
            listed = (await client.get("/_fake/messages", params={"chat_id": user["id"]})).json()
            assert [m["text"] for m in listed] == ["chào"]
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0, "SIGTERM should stop the server cleanly"


async def test_bot_settings_and_misc_methods_are_accepted_and_recorded(
    api: FakeTelegram, bot: Bot
) -> None:
    alice = await started(api)
    assert await bot.set_my_description("Trợ lý chi bộ", language_code="vi")
    assert await bot.set_my_short_description("Chi bộ")
    assert await bot.set_my_name("Chi bộ bot")
    assert (await bot.get_my_description(language_code="vi")).description == "Trợ lý chi bộ"
    assert (await bot.get_my_name()).name == "Chi bộ bot"
    assert api.bot_text("description", "vi") == "Trợ lý chi bộ"
    assert api.bot_text("short_description") == "Chi bộ"
    with pytest.raises(BadRequest):
        await bot.set_my_short_description("x" * 121)
    assert await bot.set_chat_menu_button(alice.id, MenuButtonCommands())
    assert api.menu_button(alice) == {"type": "commands"}
    assert await bot.send_chat_action(alice.id, "typing")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(api.add_user("Minh").id, "typing")
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.log_out()
    assert await bot.close()
