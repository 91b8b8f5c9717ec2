"""Dates, times and lengths as people type them, end to end on Telegram and Zalo.

A day/month already past this year is asked about, never moved to next year silently; every
day and time typed is said back; a time typed with the day is kept; lengths read "2 tiếng";
people are named "đ/c Lan"; examples in prompts come from today, in the reader's language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from bot.models import Meeting, MeetingTask
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.test_announcements import ASK_ACK
from tests.e2e.test_meetings import (
    HANOI_SUNDAY_10AM,
    _cell_with_member,
    _edit_actions,
    _scheduled,
    set_clock,
    shown,
)
from tests.e2e.test_roll_call import _choose_all, _got, _meeting_under_way

# Wednesday 02/12/2026, 10:00 in Hà Nội.
HANOI_WEDNESDAY_10AM = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _parts(msg: Msg) -> list[str]:
    """The paragraphs of a message (the echo comes first, then the question)."""
    return shown(msg).split("\n\n")


async def _day_question(chat: Chat, secretary: Someone) -> Msg:
    """Opens /taohop at Wednesday 02/12/2026 10:00 and answers up to the day question."""
    set_clock(chat.bot, HANOI_WEDNESDAY_10AM)
    menu = await chat.say(secretary, "/taohop")
    topic = await chat.choose(secretary, menu, "Sinh hoạt chuyên đề")
    assert topic.text.startswith("Chủ đề")
    return await chat.say(secretary, "Chuyên đề quý IV")


async def _to_preview(chat: Chat, secretary: Someone, place_prompt: Msg) -> Msg:
    """Answers the rest of the form from the place question; returns the preview."""
    assert "Ở đâu?" in place_prompt.text
    chair = await chat.say(secretary, "Hội trường tầng 2")
    # A person is named as members name each other.
    presenter = await chat.say(secretary, "đ/c Lan")
    assert presenter.text.startswith("Ai là báo cáo viên?"), presenter.text
    agenda = await chat.say(secretary, "đồng chí Trần Thị Lan")
    assert agenda.text.startswith("Chương trình"), agenda.text
    recurrence = await chat.choose(secretary, agenda, "Bỏ qua")
    reminders = await chat.choose(secretary, recurrence, "Chỉ một lần")
    assert reminders.text.startswith("Nhắc đảng viên trước bao lâu?"), reminders.text
    assert chair.text.startswith("Ai chủ trì")
    return await chat.say(secretary, "1 tuần, 2 tiếng")


def _meeting(chat: Chat) -> Meeting:
    with chat.bot.db.session() as session:
        return session.exec(select(Meeting)).one()


async def test_a_past_day_month_is_asked_about_not_moved_silently(chat: Chat) -> None:
    secretary, _ = await _cell_with_member(chat)
    day_prompt = await _day_question(chat, secretary)
    assert day_prompt.text.startswith("Ngày nào?")

    question = await chat.say(secretary, "26/11 19h30")
    assert shown(question) == "26/11/2026 đã qua — ý đồng chí là 26/11/2027?"
    again = await chat.choose(secretary, question, "Không, tôi gõ lại ngày")
    assert again.text.startswith("Ngày nào?"), again.text

    question = await chat.say(secretary, "26/11 19h30")
    assert "26/11/2026 đã qua" in question.text
    duration = await chat.choose(secretary, question, "Đúng, Thứ Sáu, 26/11/2027")
    # The time typed with the day is kept: the form goes straight on to the length.
    echo, ask = _parts(duration)
    assert echo == "Ngày đã hiểu: Thứ Sáu, 26/11/2027 lúc 19:30."
    assert ask.startswith("Thời lượng?")

    place = await chat.choose(secretary, duration, duration.options[0])
    preview = await _to_preview(chat, secretary, place)
    assert "Ngày đã hiểu: Thứ Sáu, 26/11/2027." in preview.text
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    assert _meeting(chat).starts_at.replace(tzinfo=UTC) == datetime(
        2027, 11, 26, 12, 30, tzinfo=UTC
    )


async def test_the_day_and_time_typed_are_said_back(chat: Chat) -> None:
    secretary, _ = await _cell_with_member(chat)
    await _day_question(chat, secretary)
    # A refusal shows how to type a day, from today.
    refused = await chat.say(secretary, "hôm kia nữa")
    assert (
        "Tôi chưa hiểu ngày này. Đồng chí gõ ví dụ 12/12, 12/12/2026, mai, thứ 5 tuần sau, "
        "cuối tháng." in refused.text
    )

    duration = await chat.say(secretary, "mai 19h30")

    echo, ask = _parts(duration)
    assert echo == "Ngày đã hiểu: Thứ Năm, 03/12/2026 lúc 19:30."
    assert ask.startswith("Thời lượng?")


async def test_a_time_already_past_today_is_said_not_dropped(chat: Chat) -> None:
    secretary, _ = await _cell_with_member(chat)
    await _day_question(chat, secretary)

    time_prompt = await chat.say(secretary, "hôm nay 6h")

    echo, ask = _parts(time_prompt)
    assert echo == "Ngày đã hiểu: Thứ Tư, 02/12/2026."
    assert ask.startswith("06:00, Thứ Tư, 02/12/2026 đã qua. Mấy giờ?"), ask
    duration = await chat.say(secretary, "19h")
    assert _parts(duration)[0] == "Ngày đã hiểu: Thứ Tư, 02/12/2026 lúc 19:00."


async def test_a_length_typed_as_people_say_it(chat: Chat) -> None:
    secretary, _ = await _cell_with_member(chat)
    await _day_question(chat, secretary)
    duration = await chat.say(secretary, "thứ 5 tuần sau 19h30")

    refused = await chat.say(secretary, "2 tiếng nữa")
    assert "Tôi chưa hiểu thời lượng này" in refused.text
    assert "Thời lượng?" in refused.text
    place = await chat.say(secretary, "2 tiếng")
    echo, ask = _parts(place)
    assert echo == "Thời lượng đã hiểu: 120 phút."
    assert ask.startswith("Ở đâu?")
    assert duration.text.startswith("Ngày đã hiểu: Thứ Năm, 10/12/2026 lúc 19:30.")

    preview = await _to_preview(chat, secretary, place)
    assert "Nhắc trước: 7 ngày, 2 giờ." in preview.text
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    meeting = _meeting(chat)
    assert meeting.duration_minutes == 120
    assert meeting.chair_member_id is not None
    assert meeting.chair_member_id == meeting.presenter_member_id  # Lan, named "đ/c Lan"


async def test_english_prompts_give_english_examples_from_today(chat: Chat) -> None:
    secretary, _ = await _cell_with_member(chat)
    picker = await chat.say(secretary, "/language")
    await chat.choose(secretary, picker, "English")
    set_clock(chat.bot, HANOI_WEDNESDAY_10AM)
    menu = await chat.say(secretary, "/newmeeting")
    topic = await chat.choose(secretary, menu, "Regular meeting (sinh hoạt thường kỳ)")

    day = await chat.choose(secretary, topic, "Skip")

    assert shown(day) == (
        "Which day? Tap one, or type it: 12 Dec, 12 Dec 2026, tomorrow, next Thursday, end of "
        "the month. You may add the time too (7:30 pm)."
    )
    question = await chat.say(secretary, "26 Nov")
    assert shown(question) == "26 Nov 2026 has already passed — did you mean 26 Nov 2027?"
    time_prompt = await chat.choose(secretary, question, "Yes, Friday, 26 Nov 2027")
    echo, ask = _parts(time_prompt)
    assert echo == "Day understood: Friday, 26 Nov 2027."
    assert ask == "What time? Tap one, or type it: 19:30, 7:30 pm."
    # The examples read back as they are shown.
    duration = await chat.say(secretary, "7:30 pm")
    assert _parts(duration)[0] == "Understood: Friday, 26 Nov 2027 at 19:30."


async def test_a_task_due_on_a_past_day_month_is_asked_about(chat: Chat) -> None:
    secretary, _, _, meeting = await _meeting_under_way(chat)
    checklist = await chat.say(secretary, "/diemdanh")
    for name in ("Nguyễn Văn Bình", "Trần Thị Lan", "Phạm Văn Đức"):
        checklist = await chat.choose(secretary, checklist, f"⬜ {name}")
    await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    await chat.bot.settle()
    reports = _got(chat, secretary, "✅ Buổi sinh hoạt đạt yêu cầu")
    assert len(reports) == 1
    # The meeting started Thursday 26/11/2026 19:30: 20/11 has passed this year.
    prompt = await chat.choose(secretary, reports[0], "📝 Ghi kết luận")
    assert "kết luận của cuộc họp" in prompt.text
    tasks_prompt = await chat.say(secretary, "Chi bộ thống nhất triển khai chuyên đề.")
    example_day = (meeting.starts_at.replace(tzinfo=UTC) + timedelta(hours=7)).date()
    example_day += timedelta(days=10)
    assert f"— {example_day.day}/{example_day.month}”" in tasks_prompt.text

    question = await chat.say(secretary, "đ/c Lan: chuẩn bị báo cáo — 20/11")
    assert shown(question) == "Trần Thị Lan: 20/11/2026 đã qua — ý đồng chí là 20/11/2027?"
    again = await chat.choose(secretary, question, "Không, tôi gõ lại các nhiệm vụ")
    assert again.text.startswith("Phân công nhiệm vụ"), again.text

    question = await chat.say(
        secretary, "đ/c Lan: chuẩn bị báo cáo — 20/11\nPhạm Văn Đức: thu đảng phí — 30/11"
    )
    assert shown(question) == "Trần Thị Lan: 20/11/2026 đã qua — ý đồng chí là 20/11/2027?"
    confirm = await chat.choose(secretary, question, "Đúng, sang năm")
    assert "Trần Thị Lan: chuẩn bị báo cáo — hạn 20/11/2027" in confirm.text
    assert "Phạm Văn Đức: thu đảng phí — hạn 30/11/2026" in confirm.text
    await _choose_all(chat, secretary, confirm, "✅ Xác nhận")
    with chat.bot.db.session() as session:
        tasks = list(session.exec(select(MeetingTask).order_by(col(MeetingTask.id))))
    assert [t.due_on for t in tasks] == [date(2027, 11, 20), date(2026, 11, 30)]


async def test_moving_a_meeting_to_a_past_day_month_is_asked_about(chat: Chat) -> None:
    # Scheduled on Sunday 22/11/2026 for Thursday 26/11: 20/11 passed two days before.
    secretary, _, meeting = await _scheduled(chat)
    actions = await _edit_actions(chat, secretary)
    when = await chat.choose(secretary, actions, "Đổi ngày hoặc giờ")
    sample = (HANOI_SUNDAY_10AM + timedelta(hours=7)).date() + timedelta(days=10)
    assert f"ví dụ {sample.day}/{sample.month} 19:30, thứ 6 tuần sau, 20h" in when.text

    question = await chat.say(secretary, "20/11 20h")
    assert shown(question) == "20/11/2026 đã qua — ý đồng chí là 20/11/2027?"
    again = await chat.choose(secretary, question, "Không, tôi gõ lại ngày")
    assert again.text.startswith("Ngày và/hoặc giờ mới"), again.text
    confirm = await chat.say(secretary, "27/11 20h")
    echo, *menu = _parts(confirm)
    assert echo == "Ngày đã hiểu: Thứ Sáu, 27/11/2026 lúc 20:00."
    assert "→ 20:00, Thứ Sáu, 27/11/2026" in "\n\n".join(menu)
    await chat.choose(secretary, confirm, "✖️ Thoát")

    actions = await _edit_actions(chat, secretary)
    await chat.choose(secretary, actions, "Đổi ngày hoặc giờ")
    question = await chat.say(secretary, "20/11 20h")
    confirm = await chat.choose(secretary, question, "Đúng, 20:00, Thứ Bảy, 20/11/2027")
    assert "→ 20:00, Thứ Bảy, 20/11/2027" in confirm.text
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()
    moved = _meeting(chat)
    assert moved.version == meeting.version + 1
    assert moved.starts_at.replace(tzinfo=UTC) == datetime(2027, 11, 20, 13, 0, tzinfo=UTC)


async def test_an_announcement_for_a_past_day_month_is_refused_with_a_way_out(
    chat: Chat,
) -> None:
    secretary, _ = await _cell_with_member(chat)
    set_clock(chat.bot, HANOI_WEDNESDAY_10AM)
    menu = await chat.say(secretary, "/thongbao")
    form = await chat.choose(secretary, menu, "➕ Soạn thông báo mới")
    attach = await chat.say(secretary, "Họp chi bộ tối thứ Năm.")
    who = await chat.choose(secretary, attach, "Không đính kèm")
    asked = await chat.choose(secretary, who, "👥 Toàn chi bộ")
    timing = await chat.choose(secretary, asked, ASK_ACK)
    assert "ví dụ: “mai 7h30”, “12/12 8h”" in timing.text, timing.text
    assert form.text.startswith("✍️ Gõ nội dung thông báo")

    refused = await chat.say(secretary, "26/11 8h")
    assert "26/11/2026 đã qua. Nếu ý đồng chí là 26/11/2027, xin gõ kèm cả năm." in refused.text
    assert "Khi nào gửi?" in refused.text
    accepted = await chat.say(secretary, "26/11/2027 8h")
    assert "Khi nào gửi?" not in accepted.text
