"""Announcements end to end: compose and send, "✅ Đã nắm", the committee's figures, reminders,
the delivery ledger, scheduling across a restart, editing and cancelling, bad input.

The scenarios run on Telegram (buttons, the cell's group) and on Zalo (typed numbers, no group).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.models import Announcement, AnnouncementRecipient, AuditEntry
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot, launch, zalo_overrides
from tests.e2e.test_meetings import choose_all, latest, set_clock, shown

# 10:00 on Tuesday 5 January 2027 in Hà Nội (UTC+7): day time, well ahead of the real clock.
MORNING = datetime(2027, 1, 5, 3, 0, tzinfo=UTC)
TEXT = "Kính gửi các đồng chí: buổi sinh hoạt chi bộ tháng 1 chuyển sang 19h30 thứ Năm."
ACK = "✅ Đã nắm"
ASK_ACK = "Có: yêu cầu “✅ Đã nắm”"
NAMES = ["Trần Thị Lan", "Lê Văn Hùng", "Phạm Văn Đức"]


async def cell(chat: Chat) -> tuple[Someone, dict[str, Someone]]:
    set_clock(chat.bot, MORNING)
    return await chat.cell_with_members(NAMES)


async def compose(
    chat: Chat,
    secretary: Someone,
    text: str = TEXT,
    *,
    when: str = "📤 Gửi ngay",
    audience: str = "👥 Toàn chi bộ",
    ack: str = ASK_ACK,
    group: str = "Không",
) -> Msg:
    """Runs /thongbao → new announcement through its questions; returns the preview."""
    menu = await chat.say(secretary, "/thongbao")
    form = await chat.choose(secretary, menu, "➕ Soạn thông báo mới")
    assert form.text.startswith("✍️ Gõ nội dung thông báo"), form.text
    attach = await chat.say(secretary, text)
    assert attach.text.startswith("📎"), attach.text
    who = await chat.choose(secretary, attach, "Không đính kèm")
    assert shown(who) == "Gửi cho ai?"
    asked = await chat.choose(secretary, who, audience)
    timing = await chat.choose(secretary, asked, ack)
    assert timing.text.startswith("Khi nào gửi?"), timing.text
    if when == "📤 Gửi ngay":
        nxt = await chat.choose(secretary, timing, when)
    else:
        nxt = await chat.say(secretary, when)
    if chat.telegram:
        assert shown(nxt) == "Đăng cả vào nhóm chat của chi bộ?", nxt.text
        nxt = await chat.choose(secretary, nxt, group)
    return nxt


async def open_announcement(chat: Chat, secretary: Someone, index: int = 1) -> Msg:
    """Opens /thongbao and the `index`-th listed announcement (1: the newest)."""
    menu = await chat.say(secretary, "/thongbao")
    return await chat.choose(secretary, menu, menu.options[index])


def announcements_of(chat: Chat, who: Someone) -> list[str]:
    return [t for t in chat.received(who) if t.startswith("📢 Thông báo của")]


async def test_announce_now_members_confirm_and_the_committee_reminds_the_rest(
    chat: Chat,
) -> None:
    secretary, people = await cell(chat)
    lan, hung = people["Trần Thị Lan"], people["Lê Văn Hùng"]

    preview = await compose(chat, secretary)
    assert preview.text.startswith("👀 Xem trước — mỗi đồng chí sẽ nhận được:")
    assert TEXT in preview.text
    assert "👥 Gửi tới: toàn chi bộ (4 đồng chí)" in preview.text
    assert "🕐 Gửi: ngay bây giờ" in preview.text
    assert announcements_of(chat, lan) == []  # nothing goes before the confirmation

    after = await choose_all(chat, secretary, preview, "✅ Xác nhận")
    assert [t for t in after if t.startswith("📤 Đã gửi.")] != [], after
    await chat.bot.settle()
    [message] = announcements_of(chat, lan)
    expected = (
        f"📢 Thông báo của Chi bộ Văn phòng\n\n{TEXT}\n\n"
        "Đề nghị đồng chí đọc và xác nhận bằng “✅ Đã nắm”."
    )
    assert message == (expected if chat.telegram else f"{expected}\n\n1. ✅ Đã nắm")
    assert len(announcements_of(chat, hung)) == 1

    thanks = await chat.choose(lan, latest(chat, lan), ACK)
    assert thanks.text == "✅ Đã ghi nhận: đồng chí đã nắm thông báo. Cảm ơn đồng chí."
    again = await chat.choose(lan, latest(chat, lan) if chat.telegram else _ack_msg(), ACK)
    assert again.text == "Xác nhận của đồng chí đã được ghi nhận trước đó. Cảm ơn đồng chí."

    view = await open_announcement(chat, secretary)
    # The author's own copy counts as confirmed.
    assert (
        "📊 Đã gửi tới: 4/4 · đã nắm: 2 · chưa xác nhận: 2 · không liên lạc được: 0" in view.text
    )
    assert "Chưa xác nhận: Phạm Văn Đức, Lê Văn Hùng" in view.text

    reminded = await chat.choose(secretary, view, "🔔 Nhắc người chưa xác nhận")
    assert reminded.text.startswith("🔔 Đã gửi lời nhắc tới 2 đồng chí."), reminded.text
    await chat.bot.settle()
    nudge = "🔔 Nhắc: đề nghị đồng chí đọc thông báo của Chi bộ Văn phòng"
    assert [t for t in chat.received(hung) if t.startswith(nudge)] != []
    assert [t for t in chat.received(lan) if t.startswith(nudge)] == []

    # Hùng confirms from the reminder; a second reminder the same day is refused.
    await chat.choose(hung, latest(chat, hung), ACK)
    set_clock(chat.bot, MORNING + timedelta(hours=5))
    view = await open_announcement(chat, secretary)
    assert "đã nắm: 3 · chưa xác nhận: 1" in view.text
    assert "Chưa xác nhận: Phạm Văn Đức" in view.text
    refused = await chat.choose(secretary, view, "🔔 Nhắc người chưa xác nhận")
    assert refused.text.startswith(
        "⚠️ Lời nhắc trước mới gửi chưa đầy 24 giờ. Có thể nhắc lại từ"
    ), refused.text
    assert len([t for t in chat.received(hung) if t.startswith(nudge)]) == 1


def _ack_msg() -> Msg:
    """The Zalo listing the member answers with a number (the bot keeps the last options)."""
    return Msg(text="1. ✅ Đã nắm")


async def test_a_reminder_asked_at_night_waits_for_seven_in_the_morning(chat: Chat) -> None:
    secretary, people = await cell(chat)
    hung = people["Lê Văn Hùng"]
    preview = await compose(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    set_clock(chat.bot, datetime(2027, 1, 5, 15, 0, tzinfo=UTC))  # 22:00 in Hà Nội
    view = await open_announcement(chat, secretary)
    queued = await chat.choose(secretary, view, "🔔 Nhắc người chưa xác nhận")
    assert queued.text.startswith(
        "🌙 Đang là ban đêm ở chi bộ (21:00–07:00): lời nhắc sẽ được gửi lúc 07:00 06/01/2027."
    ), queued.text
    nudge = "🔔 Nhắc: đề nghị đồng chí"
    await chat.bot.tick()
    assert [t for t in chat.received(hung) if t.startswith(nudge)] == []
    set_clock(chat.bot, datetime(2027, 1, 6, 0, 1, tzinfo=UTC))  # 07:01
    await chat.bot.tick()
    await chat.bot.tick()
    assert len([t for t in chat.received(hung) if t.startswith(nudge)]) == 1


async def test_the_ledger_lists_the_unreachable_and_records_told_in_person(chat: Chat) -> None:
    secretary, people = await cell(chat)
    hung = people["Lê Văn Hùng"]
    if chat.telegram:
        assert hung.tg is not None
        chat.api.user_blocks(hung.tg)
    else:
        assert hung.zalo is not None
        chat.zapi.user_blocks(hung.zalo)
    preview = await compose(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()

    view = await open_announcement(chat, secretary)
    assert (
        "📊 Đã gửi tới: 3/4 · đã nắm: 1 · chưa xác nhận: 2 · không liên lạc được: 1" in view.text
    )
    ledger = await chat.choose(secretary, view, "📋 Sổ theo dõi gửi")
    lines = shown(ledger).splitlines()
    assert lines[1] == "4 đồng chí = 3 đã nhận + 1 không liên lạc được + 0 đang chờ gửi"
    assert lines[lines.index("⚠️ Không liên lạc được:") + 1] == "• Lê Văn Hùng — đã chặn bot"
    told = await chat.choose(secretary, ledger, "🗣 Đã báo trực tiếp: Lê Văn Hùng")
    assert told.text.startswith("🗣 Đã ghi nhận: đồng chí Lê Văn Hùng đã được báo trực tiếp.")
    assert "• Lê Văn Hùng — đã chặn bot — 🗣 đã báo trực tiếp" in told.text
    with chat.bot.db.session() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "announcement.told_in_person")
        ).one()
        assert entry.after is not None
        assert entry.after["member"] == "Lê Văn Hùng"


async def test_a_scheduled_announcement_goes_out_once_after_a_restart(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    preview = await compose(chat, secretary, when="mai 8h")
    assert "🕐 Gửi lúc: 08:00, Thứ Tư, 06/01/2027" in preview.text
    scheduled = await chat.choose(secretary, preview, "✅ Xác nhận")
    assert scheduled.text.startswith("⏰ Đã hẹn gửi lúc 08:00, Thứ Tư, 06/01/2027.")
    await chat.bot.tick()
    assert announcements_of(chat, lan) == []

    bot = chat.bot
    both_channels = zalo_overrides(chat.zapi)
    await bot.stop()
    restarted = await launch(bot.api, bot.database_url, bot.clock, **both_channels)
    try:
        set_clock(restarted, datetime(2027, 1, 6, 1, 1, tzinfo=UTC))  # 08:01
        await restarted.tick()
        await restarted.tick()
    finally:
        await restarted.stop()
    third = await launch(bot.api, bot.database_url, bot.clock, **both_channels)
    try:
        await third.tick()
    finally:
        await third.stop()
    assert len(announcements_of(chat, lan)) == 1
    with bot.db.session() as session:
        assert len(session.exec(select(AnnouncementRecipient)).all()) == 4


async def test_edit_then_cancel_before_it_goes_out(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    preview = await compose(chat, secretary, when="mai 8h")
    view = await chat.choose(secretary, preview, "✅ Xác nhận")
    what = await chat.choose(secretary, view, "✏️ Sửa")
    prompt = await chat.choose(secretary, what, "✍️ Nội dung")
    changed = await chat.say(secretary, "Nội dung mới: họp lúc 19h thứ Sáu.")
    assert changed.text.startswith("✅ Đã sửa."), changed.text
    assert "Nội dung mới: họp lúc 19h thứ Sáu." in changed.text
    assert prompt.text.startswith("✍️ Gõ nội dung thông báo")
    what = await chat.choose(secretary, changed, "✏️ Sửa")
    moved = await chat.choose(secretary, what, "🕐 Thời gian gửi")
    past = await chat.say(secretary, "7h")  # 07:00 today: already over
    assert past.text.startswith("⚠️ Thời điểm này đã qua."), past.text
    later = await chat.say(secretary, "mai 9h")
    assert "⏰ Hẹn gửi lúc 09:00, Thứ Tư, 06/01/2027" in later.text
    assert moved.text.startswith("Khi nào gửi?")

    ask = await chat.choose(secretary, later, "🗑 Hủy thông báo")
    done = await chat.choose(secretary, ask, "🗑 Đồng ý hủy")
    assert done.text.startswith("🚫 Đã hủy. Không ai nhận được tin nào.")
    set_clock(chat.bot, datetime(2027, 1, 6, 3, 0, tzinfo=UTC))
    await chat.bot.tick()
    assert announcements_of(chat, lan) == []
    with chat.bot.db.session() as session:
        found = session.exec(select(Announcement)).one()
        assert found.text == "Nội dung mới: họp lúc 19h thứ Sáu."
        assert found.status == "cancelled"
    if chat.telegram:
        # The buttons of the screens shown before the cancellation say so.
        assert secretary.tg is not None
        assert later.raw is not None
        edit_answer = await chat.bot.tap_data(secretary.tg, later.raw, data=f"ae|{found.id}")
        assert edit_answer["text"] == "Thông báo này đã bị hủy."
        ack_answer = await chat.bot.tap_data(secretary.tg, later.raw, data=f"aa|{found.id}")
        assert ack_answer["text"] == "Thông báo này đã bị hủy."


async def test_refusals_change_nothing(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    refused = await chat.say(lan, "/thongbao")
    assert refused.text == (
        "Chỉ chi ủy (bí thư, phó bí thư, chi ủy viên) mới dùng được lệnh này."
    ), refused.text

    await chat.add_people(secretary, ["Phạm Văn Chưa"])  # on the roster, not joined
    menu = await chat.say(secretary, "/thongbao")
    await chat.choose(secretary, menu, "➕ Soạn thông báo mới")
    empty = await chat.say(secretary, "   ")
    assert empty.text.startswith("⚠️ Thông báo đang trống."), empty.text
    attach = await chat.say(secretary, TEXT)
    if chat.telegram:
        # A file of a refused type, then one too large: refused as meeting documents are.
        refusals = []
        for name, data, mime in (
            ("virus.exe", b"MZ", "application/x-msdownload"),
            ("Bien-ban.pdf", b"%" * (20 * 1024 * 1024 + 1), "application/pdf"),
        ):
            assert secretary.tg is not None
            since = time.monotonic()
            await chat.api.user_sends_document(secretary.tg, name, data, mime_type=mime)
            call = await chat.api.next_call(
                "sendMessage",
                where=lambda c, since=since: (
                    c.params["chat_id"] == secretary.chat_id and c.at >= since
                ),
            )
            refusals.append(str(call.params["text"]).split("\n")[0])
        assert refusals[0].startswith("⚠️ "), refusals
        assert refusals[1] == "⚠️ Tệp quá lớn: tối đa 20 MB.", refusals
    who = await chat.choose(secretary, attach, "Không đính kèm")
    names = await chat.choose(secretary, who, "✍️ Chọn đảng viên theo tên")
    nobody = await chat.say(secretary, "Phạm Văn Chưa")
    assert nobody.text.startswith(
        "⚠️ Trong nhóm người nhận này chưa ai tham gia bot nên không ai nhận được."
    ), nobody.text
    unknown = await chat.say(secretary, "Hoàng Văn Không")
    assert unknown.text.startswith("⚠️ Trong danh sách không có ai tên “Hoàng Văn Không”.")
    asked = await chat.say(secretary, "Lan")
    timing = await chat.choose(secretary, asked, ASK_ACK)
    past = await chat.say(secretary, "8h")  # 08:00 today; it is 10:00
    assert past.text.startswith("⚠️ Thời điểm này đã qua."), past.text
    assert names.text.startswith("Gõ tên các đồng chí")
    assert timing.text.startswith("Khi nào gửi?")
    await chat.say(secretary, "/huy")
    with chat.bot.db.session() as session:
        assert session.exec(select(Announcement)).all() == []
    assert announcements_of(chat, lan) == []


async def test_a_file_and_the_group_post_on_telegram(bot: Bot) -> None:
    from tests.e2e.test_meetings import telegram_only

    chat = telegram_only(bot)
    set_clock(bot, MORNING)
    secretary, people = await chat.cell_with_members(NAMES)
    lan = people["Trần Thị Lan"]
    assert secretary.tg is not None
    assert chat.group is not None
    menu = await chat.say(secretary, "/thongbao")
    form = await chat.choose(secretary, menu, "➕ Soạn thông báo mới")
    assert form.text.startswith("✍️")
    attach = await chat.say(secretary, TEXT)
    assert attach.text.startswith("📎 Gửi tệp hoặc ảnh")
    since = time.monotonic()
    await bot.api.user_sends_document(
        secretary.tg, "Ke hoach.pdf", b"%PDF-1.4", mime_type="application/pdf"
    )
    call = await bot.api.next_call(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == secretary.tg.id and c.at >= since,  # type: ignore[union-attr]
    )
    await bot.settle()
    assert call.result is not None
    who = latest(chat, secretary)
    assert shown(who) == "Gửi cho ai?", who.text
    asked = await chat.choose(secretary, who, "👥 Toàn chi bộ")
    timing = await chat.choose(secretary, asked, ASK_ACK)
    grouped = await chat.choose(secretary, timing, "📤 Gửi ngay")
    preview = await chat.choose(secretary, grouped, "Có")
    assert "📎 Đính kèm: Ke hoach.pdf" in preview.text
    assert "📣 Đăng cả vào nhóm chat của chi bộ." in preview.text
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await bot.settle()
    documents = [
        c
        for c in bot.api.calls_of("sendDocument")
        if c.params.get("chat_id") == lan.tg.id  # type: ignore[union-attr]
    ]
    assert len(documents) == 1
    group_posts = [
        c
        for c in bot.api.calls_of("sendMessage")
        if c.params.get("chat_id") == chat.group.id
        and str(c.params.get("text", "")).startswith("📢")
    ]
    assert len(group_posts) == 1
    assert "Mỗi đồng chí xác nhận “✅ Đã nắm” trong tin nhắn riêng tôi gửi." in str(
        group_posts[0].params["text"]
    )
    assert "reply_markup" not in group_posts[0].params
    with bot.db.session() as session:
        found = session.exec(select(Announcement).order_by(col(Announcement.id))).one()
        assert (found.file_name, found.post_to_group) == ("Ke hoach.pdf", True)


async def test_a_member_in_english_gets_it_and_confirms_in_english(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    picker = await chat.say(lan, "/ngonngu")
    await chat.choose(lan, picker, "English")
    preview = await compose(chat, secretary)
    await choose_all(chat, secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    message = latest(chat, lan)
    assert message.text.startswith(f"📢 Announcement from Chi bộ Văn phòng\n\n{TEXT}")
    assert "Comrade, please read it and confirm with “✅ Got it”." in message.text
    thanks = await chat.choose(lan, message, "✅ Got it")
    assert thanks.text == "✅ Recorded: you have read the announcement. Thank you, comrade."
