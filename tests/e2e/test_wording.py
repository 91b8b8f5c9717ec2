"""Wording and permission replies (issue 12): /moi reads a role and a status per line,
/dangvien renames, group posts address the comrades, a file nobody asked for is not called a
command, stale buttons name their command, an overlong answer gives the limit, the form's exit
reads apart from cancelling a meeting, /lichhop in a group posts the cell's schedule once, and
each person's command menu follows their role and language."""

from __future__ import annotations

import time

import pytest
from sqlmodel import col, select

from bot.models import AuditEntry, Member, MemberStatus, Role
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.test_meetings import (
    HANOI_SUNDAY_10AM,
    _edit_actions,
    _group_texts,
    _scheduled,
    schedule_meeting,
    set_clock,
    shown,
)
from tests.e2e.test_roster import _pick, _tap_data

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _roster(chat: Chat) -> dict[str, tuple[Role, MemberStatus]]:
    with chat.bot.db.session() as session:
        found = session.exec(
            select(Member).where(col(Member.removed_at).is_(None)).order_by(col(Member.id))
        ).all()
        return {m.full_name: (m.role, m.status) for m in found}


async def _english(chat: Chat, who: Someone) -> None:
    picker = await chat.say(who, "/ngonngu")
    done = await chat.choose(who, picker, "English")
    assert "Language set: English." in done.text


async def _add_screen(chat: Chat, secretary: Someone, label: str) -> Msg:
    menu = await chat.say(secretary, "/moi")
    return await chat.choose(secretary, menu, label)


# --- 1. /moi reads the role and the status on each line ---------------------------------------


async def test_moi_reads_role_and_status_per_line_and_asks_for_the_rest(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    prompt = await _add_screen(chat, secretary, "➕ Thêm người và tạo link mời riêng")
    assert "“Nguyễn Thị Hồng Nhung - phó bí thư - dự bị”" in prompt.text
    before = _roster(chat)

    refused = await chat.say(secretary, "Lê Văn Hùng\nNgô Văn Tư - trưởng thôn")
    assert "Dòng 2: tôi không hiểu “trưởng thôn”." in refused.text
    assert _roster(chat) == before

    role = await chat.say(
        secretary,
        "Nguyễn Thị Hồng Nhung - phó bí thư - dự bị\n"
        "lê văn hùng – chi ủy viên, chính thức\n"
        "Phạm Thị Mai",
    )
    assert shown(role).startswith("Chức vụ trong chi bộ của những người chưa ghi chức vụ:")
    status = await chat.choose(secretary, role, "Đảng viên")
    assert shown(status).startswith("Loại đảng viên của những người chưa ghi loại:")
    confirm = await chat.choose(secretary, status, "chính thức")
    assert "Nguyễn Thị Hồng Nhung — Phó bí thư, dự bị" in confirm.text
    assert "Lê Văn Hùng — Chi ủy viên, chính thức" in confirm.text
    assert "Phạm Thị Mai — Đảng viên, chính thức" in confirm.text
    done = await chat.choose(secretary, confirm, "✅ Xác nhận")
    chat.invitations(done.text, ["Nhung", "Hùng", "Mai"])

    roster = _roster(chat)
    assert roster["Nguyễn Thị Hồng Nhung"] == (Role.DEPUTY, MemberStatus.PROBATIONARY)
    assert roster["Lê Văn Hùng"] == (Role.COMMITTEE, MemberStatus.FULL)
    assert roster["Phạm Thị Mai"] == (Role.MEMBER, MemberStatus.FULL)


async def test_moi_in_english_with_everything_on_the_line_asks_nothing_more(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await _english(chat, secretary)
    prompt = await _add_screen(chat, secretary, "➕ Add people and create personal links")
    refused = await chat.say(secretary, "Do Van Ba - mayor")
    assert "Line 1: I do not know “mayor”." in refused.text
    twice = await chat.say(secretary, "Do Van Ba - deputy - committee member")
    assert "Line 1 gives two roles: please keep one." in twice.text

    confirm = await chat.say(secretary, "Tran Van Nam, deputy, probationary")
    assert prompt.text != confirm.text
    assert "Add 1 comrade to the roster of" in confirm.text
    assert "as Deputy secretary (phó bí thư), probationary (dự bị)?" in confirm.text
    await chat.choose(secretary, confirm, "✅ Confirm")
    assert _roster(chat)["Tran Van Nam"] == (Role.DEPUTY, MemberStatus.PROBATIONARY)


# --- 2. /dangvien renames ---------------------------------------------------------------------


async def test_dangvien_renames_with_the_checks_of_moi_and_an_audit_line(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await chat.add_people(secretary, ["Trần Thị Lan", "Lê Văn Hùng"])
    roster = await chat.say(secretary, "/dangvien")
    card = await _pick(chat, secretary, roster, "Trần Thị Lan")
    prompt = await chat.choose(secretary, card, "✏️ Đổi tên")
    assert "họ và tên mới của Trần Thị Lan" in prompt.text

    taken = await chat.say(secretary, "le van HÙNG")
    assert "Lê Văn Hùng đã có trong danh sách." in taken.text
    confirm = await chat.say(secretary, "TRẦN THỊ LAN ANH")
    assert "Đổi tên Trần Thị Lan thành Trần Thị Lan Anh?" in confirm.text
    saved = await chat.choose(secretary, confirm, "✅ Xác nhận")
    assert saved.text == "Đã lưu: danh sách nay ghi Trần Thị Lan Anh."

    names = _roster(chat)
    assert "Trần Thị Lan Anh" in names
    assert "Trần Thị Lan" not in names
    with chat.bot.db.session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "member.rename")).one()
        assert entry.before is not None
        assert entry.after is not None
        assert (entry.before["full_name"], entry.after["full_name"]) == (
            "Trần Thị Lan",
            "Trần Thị Lan Anh",
        )


async def test_dangvien_rename_in_english(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await chat.add_people(secretary, ["Trần Thị Lan"])
    await _english(chat, secretary)
    roster = await chat.say(secretary, "/dangvien")
    card = await _pick(chat, secretary, roster, "Trần Thị Lan")
    prompt = await chat.choose(secretary, card, "✏️ Rename")
    assert "Type the new full name (họ và tên) of Trần Thị Lan:" in prompt.text
    confirm = await chat.say(secretary, "trần thị lan hương")
    saved = await chat.choose(secretary, confirm, "✅ Confirm")
    assert saved.text == "Saved: the roster now reads Trần Thị Lan Hương."


# --- 3. The group is addressed as the comrades ------------------------------------------------


async def test_a_notice_addresses_the_group_as_comrades_and_a_member_as_comrade(
    chat: Chat,
) -> None:
    _, lan, _ = await _scheduled(chat)
    private = [text for text in chat.received(lan) if "cho chi bộ biết" in text]
    assert private
    assert "Đồng chí vui lòng cho chi bộ biết có tham dự hay không." in private[-1]
    if chat.group is not None:
        [notice] = [text for text in _group_texts(chat) if "cho chi bộ biết" in text]
        assert "Các đồng chí vui lòng cho chi bộ biết có tham dự hay không." in notice
        assert lan.tg is not None
        help_ = await chat.bot.say(lan.tg, "/trogiup", chat=chat.group)
        assert "các đồng chí làm trong tin nhắn riêng với tôi" in str(help_["text"])
        await _english(chat, lan)
        english = await chat.bot.say(lan.tg, "/trogiup", chat=chat.group)
        assert "Everything else, comrades, works in a private chat with me" in str(english["text"])


# --- 4. A file nobody asked for ---------------------------------------------------------------


async def _send_file(chat: Chat, who: Someone, photo: bool = False) -> list[Msg]:
    since = time.monotonic()
    if who.tg is not None:
        if photo:
            await chat.api.user_sends_photo(who.tg, b"\xff\xd8\xff\xe0jpeg")
        else:
            await chat.api.user_sends_document(
                who.tg, "bao-cao.pdf", PDF, mime_type="application/pdf"
            )
    else:
        assert who.zalo is not None
        await chat.zapi.user_sends_image(who.zalo, "https://example.org/anh.jpg")
    await chat._first_reply(who, since)
    return chat._sent_since(who, since)


async def test_a_file_from_a_member_is_not_called_a_command(chat: Chat) -> None:
    _, people = await chat.cell_with_members(["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    [reply] = await _send_file(chat, lan)
    assert "lệnh" not in reply.text.replace("/trogiup", "")
    if chat.telegram:
        assert reply.text.startswith("Tôi không chờ tệp nào từ đồng chí")
        await _english(chat, lan)
        [english] = await _send_file(chat, lan, photo=True)
        assert english.text.startswith("I was not expecting a file from you, comrade")
        assert "command" not in english.text


# --- 5. Stale buttons and overlong answers ----------------------------------------------------


async def test_stale_buttons_name_the_command_to_start_again(chat: Chat) -> None:
    if not chat.telegram:
        pytest.skip("buttons are Telegram's: Zalo reads numbers of the latest list")
    secretary = await chat.linked_cell()
    await chat.add_people(secretary, ["Trần Thị Lan", "Lê Văn Hùng"])
    menu = await chat.say(secretary, "/moi")
    await chat.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    assert menu.raw is not None
    old = menu.raw["reply_markup"]["inline_keyboard"][1][0]["callback_data"]
    stale = await _tap_data(chat, secretary, menu, old)
    assert stale == (
        "Nút này đã cũ. Đồng chí trả lời câu hỏi mới nhất, hoặc gửi /moi để bắt đầu lại."
    )

    roster = await chat.say(secretary, "/dangvien")
    card = await _pick(chat, secretary, roster, "Lê Văn Hùng")
    confirm = await chat.choose(secretary, card, "Xóa khỏi danh sách")
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    assert roster.raw is not None
    [gone] = [
        button["callback_data"]
        for row in roster.raw["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"].endswith("Lê Văn Hùng")
    ]
    answer = await _tap_data(chat, secretary, roster, gone)
    assert answer.startswith("Nút này không còn hiệu lực. Gửi /dangvien để xem lại.")
    # The /moi form closed when /dangvien opened another: its message still names /moi.
    closed = await _tap_data(chat, secretary, menu, old)
    assert closed == "Nút này đã cũ: biểu mẫu đã đóng. Gửi /moi để bắt đầu lại."

    await _english(chat, secretary)
    menu = await chat.say(secretary, "/moi")
    await chat.choose(secretary, menu, "🔗 A cell link (I approve each join)")
    assert menu.raw is not None
    old = menu.raw["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    closed = await _tap_data(chat, secretary, menu, old)
    assert closed == "This button is out of date: its form is closed. Send /moi to start again."


async def test_an_overlong_answer_is_told_the_limit(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await _add_screen(chat, secretary, "➕ Thêm người và tạo link mời riêng")
    reply = await chat.say(secretary, "Nguyễn Văn A\n" * 400)
    assert "Nội dung quá dài: tối đa 4.000 ký tự." in reply.text
    await chat.say(secretary, "/huy")
    await _english(chat, secretary)
    await _add_screen(chat, secretary, "➕ Add people and create personal links")
    english = await chat.say(secretary, "Nguyen Van A\n" * 400)
    assert "That is too long: at most 4,000 characters." in english.text


# --- 6. Leaving a form and cancelling a meeting read apart ------------------------------------


async def test_leaving_a_form_and_cancelling_a_meeting_read_apart(chat: Chat) -> None:
    secretary, _, _ = await _scheduled(chat)
    menu = await chat.say(secretary, "/moi")
    assert "✖️ Thoát" in menu.options
    assert not any(option.endswith("Hủy") for option in menu.options)
    if not chat.telegram:
        left = await chat.say(secretary, "thoát")
        assert left.text != menu.text
        assert "🔗" not in left.text  # the form closed: its options are not listed again
    actions = await _edit_actions(chat, secretary)
    assert "Hủy cuộc họp" in actions.options
    assert "✖️ Thoát" in actions.options

    await chat.say(secretary, "/huy")
    await _english(chat, secretary)
    menu = await chat.say(secretary, "/moi")
    assert "✖️ Exit" in menu.options
    listing = await chat.say(secretary, "/lichhop")
    actions = await chat.choose(secretary, listing, "✏️ Change or cancel")
    assert "Cancel meeting" in actions.options
    assert "✖️ Exit" in actions.options


# --- 7. /lichhop in a group -------------------------------------------------------------------


async def test_lichhop_in_the_group_posts_the_schedule_once(chat: Chat) -> None:
    if not chat.telegram:
        pytest.skip("Zalo has no groups")
    secretary, lan, _ = await _scheduled(chat)
    assert chat.group is not None
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    second = await schedule_meeting(chat, secretary, when="thứ 6 tuần sau 8h")
    await chat.choose(secretary, second, "✅ Xác nhận")
    await chat.bot.settle()
    assert lan.tg is not None
    before = len(_group_texts(chat))
    private_before = len(chat.received(lan))
    await chat.bot.say(lan.tg, "/lichhop", chat=chat.group)
    await chat.bot.settle()
    posted = _group_texts(chat)[before:]
    assert len(posted) == 1
    [schedule] = posted
    assert schedule.startswith("📅 Lịch họp sắp tới của Chi bộ Văn phòng")
    lines = [line for line in schedule.splitlines() if line.startswith("• Sinh hoạt chuyên đề")]
    assert len(lines) == 2, schedule
    assert "📍 Hội trường tầng 2" in lines[0]
    assert "Các đồng chí gửi /lichhop trong tin nhắn riêng với tôi" in schedule
    assert "chưa trả lời" not in schedule
    assert "tham dự —" not in schedule
    assert len(chat.received(lan)) == private_before
    assert not any(
        c.method == "sendDocument" and c.params.get("chat_id") == chat.group.id
        for c in chat.api.calls
    )

    await _english(chat, lan)
    english = await chat.bot.say(lan.tg, "/meetings", chat=chat.group)
    assert str(english["text"]).startswith("📅 Upcoming meetings of Chi bộ Văn phòng")
    assert "Comrades, send /lichhop to me in a private chat" in str(english["text"])


# --- 8. Command menus follow role and language ------------------------------------------------


def _menu_of(chat: Chat, who: Someone) -> dict[str, str]:
    """The menu this person's private chat shows, as Telegram picks it: the chat's own, else
    the one of every private chat (in Vietnamese, the clients' default here)."""
    assert who.tg is not None
    own = chat.api.commands("chat", chat=who.tg.id)
    found = own or chat.api.commands("all_private_chats", "")
    return {c["command"]: c["description"] for c in found}


async def test_each_private_menu_follows_role_and_language(chat: Chat) -> None:
    if not chat.telegram:
        pytest.skip("Zalo has no command menus")
    secretary, people = await chat.cell_with_members(["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    await chat.say(secretary, "/trogiup")
    await chat.bot.settle()
    everyone = {c["command"] for c in chat.api.commands("all_private_chats", "")}
    assert "lichhop" in everyone
    assert "taohop" not in everyone

    mine = _menu_of(chat, secretary)
    assert mine["taohop"] == "Tạo cuộc họp (chi ủy)"
    assert "moi" in mine
    hers = _menu_of(chat, lan)
    assert "lichhop" in hers
    assert "taohop" not in hers
    assert "duyet" not in hers

    await _english(chat, lan)
    await chat.bot.settle()
    assert _menu_of(chat, lan)["lichhop"] == "Upcoming meetings"
    assert "taohop" not in _menu_of(chat, lan)

    roster = await chat.say(secretary, "/dangvien")
    card = await _pick(chat, secretary, roster, "Trần Thị Lan")
    roles = await chat.choose(secretary, card, "Đổi chức vụ")
    confirm = await chat.choose(secretary, roles, "Chi ủy viên")
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()
    promoted = _menu_of(chat, lan)
    assert promoted["taohop"] == "Schedule a meeting (cell committee)"
    assert "moi" not in promoted
