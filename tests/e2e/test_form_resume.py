"""Suspend and resume end to end: a form half-filled is set aside by a shorter one (the reason
of an excused absence) and taken up again where it was, on Telegram and on Zalo."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.models import Meeting, Rsvp, RsvpAnswer
from tests.e2e.chat import Chat
from tests.e2e.test_meetings import HANOI_SUNDAY_10AM, latest, schedule_meeting, set_clock, shown

BACK = "↩️ Quay lại biểu mẫu đang dở: Tạo cuộc họp"
TOPIC = "Chuyển đổi số trong sinh hoạt chi bộ"


async def test_a_reason_for_absence_keeps_a_half_filled_taohop(chat: Chat) -> None:
    secretary, people = await chat.cell_with_members(["Trần Thị Lan"], role="Phó bí thư")
    lan = people["Trần Thị Lan"]
    set_clock(chat.bot, HANOI_SUNDAY_10AM)

    # The deputy starts scheduling a thematic meeting and stops at the day.
    menu = await chat.say(lan, "/taohop")
    topic_prompt = await chat.choose(lan, menu, "Sinh hoạt chuyên đề")
    assert topic_prompt.text.startswith("Chủ đề của buổi sinh hoạt chuyên đề")
    day_prompt = await chat.say(lan, TOPIC)
    assert day_prompt.text.startswith("Ngày nào?")

    # Meanwhile the secretary schedules the regular meeting: its notice reaches her.
    preview = await schedule_meeting(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    notice = latest(chat, lan)
    assert notice.text.startswith("Thông báo sinh hoạt")

    reason_prompt = await chat.choose(lan, notice, "🙏 Vắng có lý do")
    assert "Biểu mẫu đang dở “Tạo cuộc họp” đã được lưu tạm" in reason_prompt.text
    assert "Chỉ chi ủy được xem" in reason_prompt.text
    noted = await chat.choose(lan, reason_prompt, "Đi công tác, học tập")
    assert "Đi công tác, học tập" in noted.text
    assert BACK in noted.options
    with chat.bot.db.session() as session:
        [rsvp] = session.exec(select(Rsvp)).all()
    assert rsvp.answer == RsvpAnswer.EXCUSED

    # Back to the form: the same question, with the kind and topic kept.
    back = await chat.choose(lan, noted, BACK)
    assert "Quay lại “Tạo cuộc họp”" in back.text
    assert "Ngày nào?" in back.text
    duration = await chat.say(lan, "thứ 6 tuần sau 8h")
    # The day typed is said back before the next question.
    assert shown(duration).startswith("Ngày đã hiểu: Thứ Sáu, ")
    assert "Thời lượng?" in shown(duration)
    place_prompt = await chat.choose(lan, duration, duration.options[0])
    chair = await chat.say(lan, "Phòng họp nhỏ")
    presenter = await chat.choose(lan, chair, "Nguyễn Văn Bình")
    agenda_prompt = await chat.choose(lan, presenter, "Trần Thị Lan")
    recurrence = await chat.say(lan, "Khai mạc\nThảo luận")
    reminders = await chat.choose(lan, recurrence, "Chỉ một lần")
    lan_preview = await chat.choose(lan, reminders, reminders.options[0])
    assert TOPIC in lan_preview.text
    assert place_prompt.text.startswith("Ở đâu?")
    assert agenda_prompt.text.startswith("Chương trình")
    await chat.choose(lan, lan_preview, "✅ Xác nhận")
    await chat.bot.settle()

    with chat.bot.db.session() as session:
        found = {m.topic: m for m in session.exec(select(Meeting))}
    assert TOPIC in found
    # Friday 27/11/2026 08:00 in Hà Nội.
    assert found[TOPIC].starts_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


async def test_going_back_twice_says_the_form_is_no_longer_kept(chat: Chat) -> None:
    secretary, people = await chat.cell_with_members(["Trần Thị Lan"], role="Phó bí thư")
    lan = people["Trần Thị Lan"]
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    menu = await chat.say(lan, "/taohop")
    await chat.choose(lan, menu, "Sinh hoạt chuyên đề")
    await chat.say(lan, TOPIC)
    preview = await schedule_meeting(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    reason_prompt = await chat.choose(lan, latest(chat, lan), "🙏 Vắng có lý do")
    noted = await chat.choose(lan, reason_prompt, "✖️ Thoát")
    assert BACK in noted.options
    back = await chat.choose(lan, noted, BACK)
    assert "Ngày nào?" in back.text
    # The form is open again: cancelling it leaves nothing parked behind.
    cancelled = await chat.say(lan, "/huy")
    assert BACK not in cancelled.options
    if chat.telegram:
        # The old button, tapped again (on Zalo a number only picks from the newest list).
        again = await chat.choose(lan, noted, BACK)
        assert "không còn được lưu" in again.text
        assert "Không có gì thay đổi" in again.text
