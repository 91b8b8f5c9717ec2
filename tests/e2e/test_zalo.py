"""Zalo end to end: members join and answer on Zalo while the secretary works on Telegram.

The real runtime runs with both tokens against the fake Telegram and the fake Zalo Bot API
servers over HTTP; time moves by the injected clock and `bot.tick()`, never by sleeping.
"""

from __future__ import annotations

import time
from datetime import timedelta

import aiohttp
from sqlmodel import col, select

from bot.models import (
    Account,
    FlowState,
    Invite,
    Meeting,
    Member,
    OutboxMessage,
    OutboxStatus,
    Person,
    ProcessedUpdate,
    Rsvp,
    RsvpAnswer,
)
from fake_telegram import FakeChat, FakeTelegram, FakeUser
from fake_zalo import FakeZalo, FakeZaloUser
from tests.e2e.conftest import Bot
from tests.e2e.flows import LINK, join, linked_cell
from tests.e2e.zalo import (
    CODE,
    HANOI_SUNDAY_10AM,
    VI,
    ZALO_LIMIT,
    invitations,
    invite_again,
    invite_people,
    join_zalo,
    joined_label,
    launch_zalo_webhook,
    replies_zalo,
    say_zalo,
    schedule_on_telegram,
    sent_since,
    set_clock,
)

LAN = "Trần Thị Lan"
DUC = "Phạm Văn Đức"
CELL = "Chi bộ Văn phòng"
USED = "Link mời này đã được sử dụng"
NOTICE = "Thông báo sinh hoạt"
CODE_FOR_ZALO = (
    "This is a join code for Zalo: send it to chibot on Zalo. Here on {channel}, open "
    "the invite link that came with it. Nothing was changed."
)
LINK_FOR_TELEGRAM = (
    "This is an invite link for Telegram: open it in Telegram. Here on {channel}, send "
    "me the join code that came with it (8 characters, like ABCD-EFGH). Nothing was "
    "changed."
)


def _roster(bot: Bot) -> dict[str, Member]:
    with bot.db.session() as session:
        rows = session.exec(select(Member).where(col(Member.removed_at).is_(None))).all()
    return {m.full_name: m for m in rows}


def _zalo_person(bot: Bot, user: FakeZaloUser) -> int | None:
    with bot.db.session() as session:
        account = session.exec(
            select(Account).where(Account.channel == "zalo", Account.external_id == user.id)
        ).first()
        return account.person_id if account is not None else None


def _telegram_person(bot: Bot, user_id: int) -> int | None:
    with bot.db.session() as session:
        account = session.exec(
            select(Account).where(
                Account.channel == "telegram", Account.external_id == str(user_id)
            )
        ).first()
        return account.person_id if account is not None else None


def _meeting(bot: Bot) -> Meeting:
    with bot.db.session() as session:
        return session.exec(select(Meeting)).one()


def _texts(zapi: FakeZalo, user: FakeZaloUser) -> list[str]:
    return zapi.messages_to(user)


async def _zalo_member(bot: Bot, zapi: FakeZalo) -> tuple[FakeUser, FakeChat, FakeZaloUser]:
    """A cell linked on Telegram, and Lan (invited there) joined on Zalo."""
    secretary, group = await linked_cell(bot)
    codes = await invite_people(bot, secretary, [LAN])
    lan = zapi.add_user("Lan Zalo")
    welcome = await join_zalo(bot, zapi, lan, codes[LAN].code)
    assert welcome.startswith(f"Chào mừng đồng chí {LAN}!")
    return secretary, group, lan


async def _scheduled(bot: Bot, zapi: FakeZalo) -> tuple[FakeUser, FakeZaloUser, Meeting, float]:
    secretary, _, lan = await _zalo_member(bot, zapi)
    set_clock(bot, HANOI_SUNDAY_10AM)
    since = time.monotonic()
    preview = await schedule_on_telegram(bot, secretary)
    done = await bot.tap_edit(secretary, preview, "✅ Xác nhận")
    assert "Đã lên lịch" in done["text"]
    await bot.settle()
    return secretary, lan, _meeting(bot), since


# --- joining -------------------------------------------------------------------------------------


async def test_member_invited_on_telegram_joins_on_zalo(both: Bot, zalo_api: FakeZalo) -> None:
    secretary, _ = await linked_cell(both)
    menu = await both.say(secretary, "/moi")
    await both.tap_edit(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    role_prompt = await both.say(secretary, f"{LAN}\n{DUC}")
    status_prompt = await both.tap_edit(secretary, role_prompt, "Đảng viên")
    confirm = await both.tap_edit(secretary, status_prompt, "chính thức")
    done = await both.tap_edit(secretary, confirm, "✅ Xác nhận")
    # Both ways in, per person: the Telegram link and the code for Zalo.
    assert done["text"].count("Telegram: https://t.me/chibot_test_bot?start=") == 2
    assert done["text"].count("Zalo: ") == 2
    codes = invitations(done["text"])
    lan = zalo_api.add_user("Lan Zalo")
    duc = zalo_api.add_user("Đức Zalo")

    # /start CODE, then "1" confirms (the join form lists ✅ Xác nhận as 1).
    since = time.monotonic()
    prompt = await say_zalo(both, zalo_api, lan, f"/start {codes[LAN].code}")
    assert CELL in prompt
    assert LAN in prompt
    assert "1. ✅ Xác nhận" in prompt
    assert "<b>" not in prompt  # plain text on Zalo
    welcome = await say_zalo(both, zalo_api, lan, "1")
    assert welcome.startswith(f"Chào mừng đồng chí {LAN}!")
    joined = await both.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id and c.at >= since
    )
    assert f"Đồng chí {LAN} đã tham gia" in joined.result["text"]

    # The bare code, in small letters without its dash, works too.
    prompt = await say_zalo(both, zalo_api, duc, codes[DUC].code.lower().replace("-", " "))
    assert DUC in prompt
    welcome = await say_zalo(both, zalo_api, duc, "1")
    assert welcome.startswith(f"Chào mừng đồng chí {DUC}!")

    roster = _roster(both)
    assert roster[LAN].person_id == _zalo_person(both, lan)
    assert roster[DUC].person_id == _zalo_person(both, duc)
    assert roster[LAN].person_id != roster[DUC].person_id


async def test_start_on_zalo_without_a_code_explains_the_code(
    both: Bot, zalo_api: FakeZalo
) -> None:
    stranger = zalo_api.add_user("Khách")

    reply = await say_zalo(both, zalo_api, stranger, "/start")

    assert "/start ABCD-EFGH" in reply
    assert "t.me" not in reply


async def test_wrong_channel_and_used_secrets_change_nothing(
    both: Bot, zalo_api: FakeZalo
) -> None:
    secretary, _ = await linked_cell(both)
    codes = await invite_people(both, secretary, [LAN, DUC])
    lan = zalo_api.add_user("Lan Zalo")
    await join_zalo(both, zalo_api, lan, codes[LAN].code)
    impostor = zalo_api.add_user("Kẻ Lạ")
    with both.db.session() as session:
        invites_before = [(i.id, i.used_at) for i in session.exec(select(Invite))]
    people_before = _roster(both)

    # The same code again, from someone else: the existing "already used" answer.
    again = await say_zalo(both, zalo_api, impostor, f"/start {codes[LAN].code}")
    assert USED in again
    # Đức's Telegram link, typed to the Zalo bot (bare and with /start): for Telegram.
    for_telegram = VI.gettext(LINK_FOR_TELEGRAM, channel="Zalo")
    assert await say_zalo(both, zalo_api, impostor, f"/start {codes[DUC].token}") == (for_telegram)
    assert await say_zalo(both, zalo_api, impostor, codes[DUC].token) == for_telegram
    # Đức's Zalo code, sent to the Telegram bot: for Zalo.
    duc_tg = both.api.add_user("Đức")
    for_zalo = VI.gettext(CODE_FOR_ZALO, channel="Telegram")
    assert (await both.say(duc_tg, f"/start {codes[DUC].code}"))["text"] == for_zalo
    assert (await both.say(duc_tg, codes[DUC].code))["text"] == for_zalo

    with both.db.session() as session:
        assert [(i.id, i.used_at) for i in session.exec(select(Invite))] == invites_before
    after = _roster(both)
    assert {n: m.person_id for n, m in after.items()} == {
        n: m.person_id for n, m in people_before.items()
    }
    assert after[DUC].person_id is None
    assert _zalo_person(both, impostor) not in {m.person_id for m in after.values()}


async def test_a_cell_code_on_zalo_needs_the_secretarys_approval(
    both: Bot, zalo_api: FakeZalo
) -> None:
    secretary, _ = await linked_cell(both)
    menu = await both.say(secretary, "/moi")
    done = await both.tap_edit(secretary, menu, "🔗 Link mời chung (bí thư duyệt từng người)")
    # Both ways in: the Telegram cell link and its Zalo code.
    assert len(LINK.findall(done["text"])) == 1
    [code] = CODE.findall(done["text"])
    applicant = zalo_api.add_user("Hà Zalo")

    ask_name = await say_zalo(both, zalo_api, applicant, f"/start {code}")
    assert "gõ họ và tên" in ask_name
    confirm = await say_zalo(both, zalo_api, applicant, "Vũ Thị Hà")
    assert "1. ✅ Xác nhận" in confirm
    since = time.monotonic()
    sent = await say_zalo(both, zalo_api, applicant, "1")
    assert "Đã gửi đề nghị" in sent
    request = await both.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id and c.at >= since
    )
    assert "Vũ Thị Hà" in request.result["text"]
    assert "Zalo" in request.result["text"]
    assert "Vũ Thị Hà" not in _roster(both)

    decided = await both.tap_edit(secretary, request.result, "✅ Duyệt")
    assert "Đã duyệt" in decided["text"]
    await both.settle()
    assert "Bí thư đã duyệt" in _texts(zalo_api, applicant)[-1]
    assert _roster(both)["Vũ Thị Hà"].person_id == _zalo_person(both, applicant)


# --- meetings on Zalo ----------------------------------------------------------------------------


async def test_notice_answers_by_number_and_word(both: Bot, zalo_api: FakeZalo) -> None:
    _, lan, meeting, since = await _scheduled(both, zalo_api)
    [notice] = [t for t in sent_since(zalo_api, lan, since) if NOTICE in t]
    assert "Hội trường tầng 2" in notice
    assert "\n1. ✅ Tham dự" in notice
    assert "\n2. 🙏 Vắng có lý do" in notice
    assert "<b>" not in notice

    out_of_range = await say_zalo(both, zalo_api, lan, "7")
    assert out_of_range == "Số này không có trong danh sách: đồng chí hãy gõ một số từ 1 đến 2."

    # "2" on the notice: excused, and the reason is asked.
    asked = await replies_zalo(both, zalo_api, lan, "2")
    assert any("lý do" in t for t in asked)
    assert any("Chỉ chi ủy được xem" in t for t in asked), asked
    reason = "Đưa mẹ đi khám bệnh ở bệnh viện tỉnh"
    noted = await say_zalo(both, zalo_api, lan, reason)
    assert reason in noted
    with both.db.session() as session:
        rsvp = session.exec(select(Rsvp)).one()
    assert rsvp.answer == RsvpAnswer.EXCUSED
    assert rsvp.reason == reason

    # The confirmation lists the answers again: a word picks one ("vắng" = Vắng có lý do).
    asked = await replies_zalo(both, zalo_api, lan, "vắng")
    assert any("Chỉ chi ủy được xem" in t for t in asked), asked
    # "0" in the form: cancelled; the answer stays "excused".
    cancelled = await say_zalo(both, zalo_api, lan, "0")
    assert cancelled == "Đã thoát. Không có gì thay đổi."
    with both.db.session() as session:
        rsvp = session.exec(select(Rsvp)).one()
        assert session.exec(select(FlowState)).all() == []
    assert (rsvp.meeting_id, rsvp.answer) == (meeting.id, RsvpAnswer.EXCUSED)


async def test_reminders_reach_the_zalo_member(both: Bot, zalo_api: FakeZalo) -> None:
    _, lan, meeting, _ = await _scheduled(both, zalo_api)
    before = len(_texts(zalo_api, lan))

    both.clock.advance(meeting.starts_at - timedelta(days=3) - both.clock.now())
    await both.tick()
    await both.tick()

    reminders = [t for t in _texts(zalo_api, lan)[before:] if t.startswith("⏰ Nhắc lịch")]
    assert len(reminders) == 1
    assert "còn 3 ngày nữa" in reminders[0]


async def test_meeting_list_on_zalo_has_no_calendar_upload(both: Bot, zalo_api: FakeZalo) -> None:
    _, lan, _, _ = await _scheduled(both, zalo_api)

    replies = await replies_zalo(both, zalo_api, lan, "/lichhop")

    assert any("Hội trường tầng 2" in t and "Câu trả lời của đồng chí" in t for t in replies)
    assert not any(c.chat_id == lan.id for c in zalo_api.calls if c.method != "sendMessage")
    with both.db.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == lan.id)).all()
    assert rows
    assert {row.status for row in rows} == {OutboxStatus.SENT}


# --- long texts, other messages, replays ---------------------------------------------------------


async def test_a_long_answer_gets_a_short_reply(both: Bot, zalo_api: FakeZalo) -> None:
    _, lan, _, _ = await _scheduled(both, zalo_api)
    await replies_zalo(both, zalo_api, lan, "2")

    replies = await replies_zalo(both, zalo_api, lan, "Lý do " + "rất dài " * 312)

    assert replies
    assert all(len(t) <= ZALO_LIMIT for t in replies)
    assert any("Lý do quá dài" in t for t in replies), replies
    with both.db.session() as session:
        assert session.exec(select(Rsvp)).one().reason is None


async def test_a_long_screen_is_split_for_zalo(both: Bot, zalo_api: FakeZalo) -> None:
    # The secretary also uses Zalo (a link for another app), and adds 25 people from there:
    # the list of links and codes is longer than one Zalo message.
    secretary, _ = await linked_cell(both)
    mine, _ = await invite_again(both, secretary, joined_label("Nguyễn Văn Bình"))
    secretary_zalo = zalo_api.add_user("Bình Zalo")
    done = await join_zalo(both, zalo_api, secretary_zalo, mine.code)
    assert "Nguyễn Văn Bình" in done
    names = [f"Nguyễn Văn {given}" for given in _GIVEN_NAMES[:25]]

    menu = await say_zalo(both, zalo_api, secretary_zalo, "/moi")
    assert "1. ➕" in menu
    await say_zalo(both, zalo_api, secretary_zalo, "1")
    await say_zalo(both, zalo_api, secretary_zalo, "\n".join(names))
    await say_zalo(both, zalo_api, secretary_zalo, "Đảng viên")
    await say_zalo(both, zalo_api, secretary_zalo, "chính thức")
    parts = await replies_zalo(both, zalo_api, secretary_zalo, "1")

    assert len(parts) >= 2
    assert all(len(t) <= ZALO_LIMIT for t in parts)
    whole = "\n".join(parts)
    for name in names:
        assert name in whole
    assert whole.count("Zalo: ") >= 25


_GIVEN_NAMES = (
    "An",
    "Bảo",
    "Cường",
    "Dũng",
    "Đạt",
    "Giang",
    "Hải",
    "Hiếu",
    "Hòa",
    "Hùng",
    "Khang",
    "Khoa",
    "Lâm",
    "Long",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quân",
    "Quang",
    "Sơn",
    "Tài",
    "Thắng",
    "Thành",
    "Trung",
    "Tuấn",
    "Vinh",
)


async def test_an_image_gets_a_clear_reply_and_a_replay_is_acted_on_once(
    both: Bot, zalo_api: FakeZalo
) -> None:
    _, lan, _, _ = await _scheduled(both, zalo_api)

    since = time.monotonic()
    await zalo_api.user_sends_image(lan, "https://example.org/anh.jpg")
    reply = await zalo_api.next_call(
        "sendMessage", where=lambda c: c.params.get("chat_id") == lan.id and c.at >= since
    )
    assert reply.params["text"] == (
        "Ở đây tôi chỉ đọc được tin nhắn chữ. Đồng chí vui lòng gõ câu trả lời."
    )

    answered = await replies_zalo(both, zalo_api, lan, "1")
    assert any("tham dự" in t for t in answered), answered
    count = len(_texts(zalo_api, lan))
    replay_at = time.monotonic()
    replayed = zalo_api.replay_last_event()
    message_id = replayed["message"]["message_id"]
    # The bot fetches the same event again…
    await zalo_api.next_call(
        "getUpdates",
        where=lambda c: (
            c.at >= replay_at
            and isinstance(c.result, dict)
            and c.result.get("message", {}).get("message_id") == message_id
        ),
    )
    await both.settle()

    # …and does nothing with it: no second answer, one processed mark.
    assert len(_texts(zalo_api, lan)) == count
    with both.db.session() as session:
        assert session.exec(select(Rsvp)).one().answer == RsvpAnswer.ATTENDING
        marks = session.exec(
            select(ProcessedUpdate).where(
                ProcessedUpdate.channel == "zalo", ProcessedUpdate.update_id == str(message_id)
            )
        ).all()
    assert len(marks) == 1


# --- webhook mode --------------------------------------------------------------------------------


async def test_webhook_mode_checks_the_secret(
    api: FakeTelegram, zalo_api: FakeZalo, database_url: str
) -> None:
    secret = "zalo-webhook-secret-123"
    bot, url = await launch_zalo_webhook(api, zalo_api, database_url, secret)
    try:
        lan = zalo_api.add_user("Lan Zalo")
        reply = await say_zalo(bot, zalo_api, lan, "/start")
        assert "/start ABCD-EFGH" in reply
        [delivery] = [d for d in zalo_api.webhook_deliveries if d.ok]
        assert delivery.secret_token == secret
        assert delivery.url == url

        forged = {
            "ok": True,
            "result": {
                "event_name": "message.text.received",
                "message": {
                    "message_id": "forged-1",
                    "date": 1,
                    "text": "/start",
                    "from": {"id": lan.id, "display_name": "Lan", "is_bot": False},
                    "chat": {"id": lan.id, "chat_type": "PRIVATE"},
                },
            },
        }
        count = len(_texts(zalo_api, lan))
        async with aiohttp.ClientSession() as http:
            for headers in ({"X-Bot-Api-Secret-Token": "wrong-secret-456"}, {}):
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status == 401
        await bot.settle()
        assert len(_texts(zalo_api, lan)) == count
        with bot.db.session() as session:
            assert (
                session.exec(
                    select(ProcessedUpdate).where(ProcessedUpdate.update_id == "forged-1")
                ).first()
                is None
            )
    finally:
        await bot.stop()
        bot.db.dispose()


# --- one person on both channels ----------------------------------------------------------------


async def _lan_on_both_apps(
    both: Bot, zalo_api: FakeZalo
) -> tuple[FakeUser, FakeUser, FakeZaloUser]:
    """Lan joins on Telegram, then the same roster entry from Zalo with a fresh invite."""
    secretary, _ = await linked_cell(both)
    codes = await invite_people(both, secretary, [LAN])
    lan_tg = both.api.add_user("Lan")
    await join(both, lan_tg, codes[LAN].token)
    fresh, text = await invite_again(both, secretary, joined_label(LAN))
    assert "Zalo: " in text
    lan_zalo = zalo_api.add_user("Lan Zalo")
    prompt = await say_zalo(both, zalo_api, lan_zalo, f"/start {fresh.code}")
    assert LAN in prompt
    done = await say_zalo(both, zalo_api, lan_zalo, "1")
    assert LAN in done
    return secretary, lan_tg, lan_zalo


async def _notices_after_scheduling(
    both: Bot, zalo_api: FakeZalo, secretary: FakeUser, lan_tg: FakeUser, lan_zalo: FakeZaloUser
) -> tuple[list[str], list[str]]:
    """Schedules a meeting on Telegram; returns the notices Lan got on Zalo and on Telegram."""
    set_clock(both, HANOI_SUNDAY_10AM)
    preview = await schedule_on_telegram(both, secretary)
    await both.tap_edit(secretary, preview, "✅ Xác nhận")
    await both.settle()
    on_zalo = [t for t in _texts(zalo_api, lan_zalo) if NOTICE in t]
    on_telegram = [
        m.get("text", "")
        for m in both.api.messages_in(both.api.private_chat(lan_tg))
        if NOTICE in m.get("text", "")
    ]
    return on_zalo, on_telegram


async def test_joined_on_both_gets_one_copy_on_the_channel_joined_last(
    both: Bot, zalo_api: FakeZalo
) -> None:
    secretary, lan_tg, lan_zalo = await _lan_on_both_apps(both, zalo_api)
    person = _telegram_person(both, lan_tg.id)
    assert person is not None
    assert _zalo_person(both, lan_zalo) == person
    assert _roster(both)[LAN].person_id == person
    with both.db.session() as session:
        assert len(session.exec(select(Person)).all()) == 2  # the secretary and Lan

    on_zalo, on_telegram = await _notices_after_scheduling(
        both, zalo_api, secretary, lan_tg, lan_zalo
    )
    assert len(on_zalo) == 1
    assert on_telegram == []
    with both.db.session() as session:
        rows = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.person_id == person,
                col(OutboxMessage.dedupe_key).startswith("notice:"),
            )
        ).all()
    assert [row.channel for row in rows] == ["zalo"]


async def test_a_person_on_both_apps_chooses_where_notices_go(
    both: Bot, zalo_api: FakeZalo
) -> None:
    secretary, lan_tg, lan_zalo = await _lan_on_both_apps(both, zalo_api)

    # Joined Zalo last: notices go there until she chooses; the choice is offered with /ngonngu.
    screens = await replies_zalo(both, zalo_api, lan_zalo, "/ngonngu")
    where = screens[-1]
    assert "Thông báo hiện gửi cho đồng chí qua Zalo" in where
    assert "1. Telegram" in where
    assert "2. Zalo" in where
    done = await say_zalo(both, zalo_api, lan_zalo, "1")
    assert done == "Xong: từ nay thông báo sẽ gửi cho đồng chí qua Telegram."

    on_zalo, on_telegram = await _notices_after_scheduling(
        both, zalo_api, secretary, lan_tg, lan_zalo
    )
    assert on_zalo == []
    assert len(on_telegram) == 1

    # Only someone on one app sees no such choice.
    single = await both.say(secretary, "/ngonngu")
    assert single["text"] == "Chọn ngôn ngữ:"
    await both.settle()
    texts = [m.get("text", "") for m in both.api.messages_in(both.api.private_chat(secretary))]
    assert not any("Thông báo hiện gửi" in text for text in texts)
