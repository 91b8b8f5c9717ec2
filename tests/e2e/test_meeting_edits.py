"""Changing a meeting end to end: the /taohop summary's ✏️ per part (asked again, then straight
back to the summary), and the committee's form that changes any part of a scheduled meeting and
tells its audience once what changed (old → new)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.models import AuditEntry, FlowState, Meeting, MeetingReminder, Member
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.test_meetings import (
    HANOI_SUNDAY_10AM,
    choose_all,
    schedule_meeting,
    set_clock,
    shown,
)

THEME = "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
AGENDA = ["Khai mạc", "Báo cáo chuyên đề", "Thảo luận"]
# Thursday 26/11/2026 19:30 in Hà Nội ("thứ 5 tuần sau" typed on Sunday 22/11).
STARTS = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)


async def _cell(chat: Chat) -> tuple[Someone, Someone]:
    secretary, people = await chat.cell_with_members(["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    if chat.group is not None:
        assert lan.tg is not None
        chat.api.add_to_group(chat.group, lan.tg, announce=False)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    return secretary, lan


def _meeting(chat: Chat) -> Meeting:
    with chat.bot.db.session() as session:
        return session.exec(select(Meeting)).one()


def _member_id(chat: Chat, name: str) -> int:
    with chat.bot.db.session() as session:
        member = session.exec(select(Member).where(Member.full_name == name)).one()
    assert member.id is not None
    return member.id


def _changes_to(chat: Chat, who: Someone, since: int) -> list[str]:
    return [t for t in chat.received(who)[since:] if "Thay đổi lịch họp" in t]


async def _scheduled(chat: Chat) -> tuple[Someone, Someone]:
    secretary, lan = await _cell(chat)
    preview = await schedule_meeting(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    return secretary, lan


async def _edit_menu(chat: Chat, who: Someone) -> Msg:
    listing = await chat.say(who, "/lichhop")
    menu = await chat.choose(who, listing, "✏️ Sửa hoặc hủy")
    assert "muốn thay đổi gì" in menu.text
    return menu


async def test_taohop_summary_changes_a_part_and_comes_back_with_the_rest_kept(
    chat: Chat,
) -> None:
    secretary, _ = await _cell(chat)
    preview = await schedule_meeting(chat, secretary)
    assert "Hội trường tầng 2" in preview.text
    assert "✏️ Địa điểm" in preview.options
    assert "✏️ Chủ trì" in preview.options

    place = await chat.choose(secretary, preview, "✏️ Địa điểm")
    assert place.text.startswith("Ở đâu?")
    assert "↩️ Quay lại" in place.options
    # Straight back to the summary: not through the people, agenda, repetition, reminders.
    summary = await chat.say(secretary, "Phòng họp số 3")
    assert shown(summary).startswith("Đồng chí kiểm tra lại trước khi gửi:")
    assert "Phòng họp số 3" in summary.text
    assert "Hội trường tầng 2" not in summary.text
    assert "Chủ đề: " + THEME in summary.text
    assert "19:30, Thứ Năm, 26/11/2026 (90 phút)" in summary.text

    chair = await chat.choose(secretary, summary, "✏️ Chủ trì")
    assert shown(chair) == "Ai chủ trì?"
    summary = await chat.choose(secretary, chair, "Trần Thị Lan")
    assert "Chủ trì: đồng chí Trần Thị Lan" in summary.text
    assert "Phòng họp số 3" in summary.text

    # "↩️ Quay lại" leaves the part as it was.
    agenda = await chat.choose(secretary, summary, "✏️ Chương trình")
    assert agenda.text.startswith("Chương trình")
    summary = await chat.choose(secretary, agenda, "↩️ Quay lại")
    assert shown(summary).startswith("Đồng chí kiểm tra lại trước khi gửi:")
    assert "3. Thảo luận" in summary.text

    done = await choose_all(chat, secretary, summary, "✅ Xác nhận")
    assert any("Đã lên lịch" in t for t in done), done
    meeting = _meeting(chat)
    lan_id = _member_id(chat, "Trần Thị Lan")
    assert meeting.place == "Phòng họp số 3"
    assert meeting.chair_member_id == lan_id
    assert meeting.presenter_member_id == lan_id
    assert meeting.topic == THEME
    assert meeting.agenda == AGENDA
    assert meeting.duration_minutes == 90
    assert meeting.starts_at.replace(tzinfo=UTC) == STARTS


async def test_changing_the_day_from_the_summary_asks_the_time_again(chat: Chat) -> None:
    secretary, _ = await _cell(chat)
    preview = await schedule_meeting(chat, secretary)
    day = await chat.choose(secretary, preview, "✏️ Ngày giờ")
    assert day.text.startswith("Ngày nào?")
    time = await chat.say(secretary, "27/11")
    assert "Mấy giờ?" in time.text
    summary = await chat.say(secretary, "20:00")
    assert "20:00, Thứ Sáu, 27/11/2026 (90 phút)" in summary.text
    assert "Hội trường tầng 2" in summary.text
    await chat.choose(secretary, summary, "✅ Xác nhận")
    assert _meeting(chat).starts_at.replace(tzinfo=UTC) == datetime(2026, 11, 27, 13, tzinfo=UTC)


async def test_theme_and_length_changed_at_once_make_one_notice(chat: Chat) -> None:
    secretary, lan = await _scheduled(chat)
    before = len(chat.received(lan))
    menu = await _edit_menu(chat, secretary)
    assert "✅ Xác nhận" not in menu.options  # nothing to save yet

    theme = await chat.choose(secretary, menu, "Đổi chủ đề")
    assert theme.text.startswith("Chủ đề của buổi sinh hoạt chuyên đề")
    assert f"Hiện tại: {THEME}" in theme.text
    assert "↩️ Quay lại" in theme.options
    menu = await chat.say(secretary, "Nghị quyết Đại hội XIV của Đảng")
    assert "Những thay đổi sẽ lưu:" in menu.text
    assert f"📝 Chủ đề: {THEME} → Nghị quyết Đại hội XIV của Đảng" in menu.text

    await chat.choose(secretary, menu, "Đổi thời lượng")
    refused = await chat.say(secretary, "5 phút")
    assert "Tôi chưa hiểu thời lượng này" in refused.text
    menu = await chat.say(secretary, "2 tiếng")
    assert "Thời lượng đã hiểu: 120 phút." in menu.text
    assert "⏱ Thời lượng: 90 → 120 phút" in menu.text
    assert "📝 Chủ đề: " in menu.text  # the theme's change is kept

    saved = await choose_all(chat, secretary, menu, "✅ Xác nhận")
    assert "Đã lưu và đã thông báo cho mọi người." in saved
    await chat.bot.settle()
    [notice] = _changes_to(chat, lan, before)
    assert f"📝 Chủ đề: {THEME} → Nghị quyết Đại hội XIV của Đảng" in notice
    assert "⏱ Thời lượng: 90 → 120 phút" in notice
    assert "Thời gian:" not in notice  # the time did not change
    assert "các câu trả lời trước không còn giá trị" not in notice

    meeting = _meeting(chat)
    assert (meeting.topic, meeting.duration_minutes, meeting.version) == (
        "Nghị quyết Đại hội XIV của Đảng",
        120,
        2,
    )
    assert meeting.place == "Hội trường tầng 2"
    with chat.bot.db.session() as session:
        [entry] = session.exec(
            select(AuditEntry).where(AuditEntry.action == "meeting.update")
        ).all()
    assert entry.after == {"duration_minutes": 120, "topic": "Nghị quyết Đại hội XIV của Đảng"}
    assert entry.before is not None
    assert entry.before["topic"] == THEME


async def test_a_bad_length_is_refused_and_nothing_changes(chat: Chat) -> None:
    secretary, lan = await _scheduled(chat)
    before = len(chat.received(lan))
    menu = await _edit_menu(chat, secretary)
    length = await chat.choose(secretary, menu, "Đổi thời lượng")
    for typed in ("10 phút", "9 tiếng", "dài lắm"):
        refused = await chat.say(secretary, typed)
        assert "Tôi chưa hiểu thời lượng này" in refused.text, typed
        assert "từ 15 phút đến 8 tiếng" in refused.text
    # "↩️ Quay lại": back to the menu, nothing to save.
    menu = await chat.choose(secretary, length, "↩️ Quay lại")
    assert "muốn thay đổi gì" in menu.text
    assert "Những thay đổi sẽ lưu:" not in menu.text
    cancelled = await chat.choose(secretary, menu, "✖️ Thoát")
    assert "Không có gì thay đổi" in cancelled.text
    await chat.bot.settle()
    meeting = _meeting(chat)
    assert (meeting.duration_minutes, meeting.version) == (90, 1)
    assert _changes_to(chat, lan, before) == []


async def test_a_plain_member_cannot_open_the_edit_form(chat: Chat) -> None:
    _, lan = await _scheduled(chat)
    listing = await chat.say(lan, "/lichhop")
    assert "✏️ Sửa hoặc hủy" not in listing.options
    if lan.tg is not None:
        # The committee's button, forged by a member: refused, no form opened.
        meeting = _meeting(chat)
        message = chat.api.last_message(lan.tg)
        assert message is not None
        answer = await chat.bot.tap_data(lan.tg, message, f"me|{meeting.id}")
        assert str(answer["text"]).startswith("Chỉ chi ủy")
        with chat.bot.db.session() as session:
            assert session.exec(select(FlowState)).all() == []
    assert _meeting(chat).version == 1


async def test_reminders_changed_in_english_tell_no_member(chat: Chat) -> None:
    secretary, lan = await _scheduled(chat)
    picker = await chat.say(secretary, "/ngonngu")
    await chat.choose(secretary, picker, "English")
    before = len(chat.received(lan))
    listing = await chat.say(secretary, "/lichhop")
    menu = await chat.choose(secretary, listing, "✏️ Change or cancel")
    assert "what would you like to change?" in menu.text
    reminders = await chat.choose(secretary, menu, "Change the reminders")
    assert reminders.text.startswith("When should I remind members?")
    assert "Now: 3 days, 1 day, 2 hours" in reminders.text
    menu = await chat.say(secretary, "1 day")
    assert "Changes to save:" in menu.text
    assert "🔔 Reminders: " in menu.text
    saved = await choose_all(chat, secretary, menu, "✅ Confirm")
    assert "Saved. Reminders are the committee's setting: members were not told." in saved
    await chat.bot.settle()

    meeting = _meeting(chat)
    assert meeting.reminder_offsets == [1440]
    # The notice members hold stays valid: same version, no change notice.
    assert meeting.version == 1
    assert len(chat.received(lan)) == before
    with chat.bot.db.session() as session:
        pending = session.exec(
            select(MeetingReminder).where(col(MeetingReminder.done_at).is_(None))
        ).all()
    starts = meeting.starts_at.replace(tzinfo=UTC)
    assert sorted(r.due_at.replace(tzinfo=UTC) for r in pending) == [
        starts - timedelta(days=1),
        starts,
    ]
