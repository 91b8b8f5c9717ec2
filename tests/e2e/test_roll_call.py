"""Roll call: self check-in in the group, the committee's checklist, figures and privacy."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import Attendance, AttendanceStatus, Meeting
from tests.e2e.conftest import Bot
from tests.e2e.flows import add_people, join, linked_cell
from tests.e2e.test_meetings import HANOI_SUNDAY_10AM, schedule, set_clock


async def _meeting_under_way(bot: Bot):  # type: ignore[no-untyped-def]
    secretary, group = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan", "Phạm Văn Đức"])
    await add_people(bot, secretary, ["Lê Văn Cao"], status="miễn sinh hoạt")
    lan = bot.api.add_user("Lan")
    duc = bot.api.add_user("Đức")
    await join(bot, lan, tokens["Trần Thị Lan"])
    await join(bot, duc, tokens["Phạm Văn Đức"])
    for user in (lan, duc):
        bot.api.add_to_group(group, user, announce=False)
    set_clock(bot, HANOI_SUNDAY_10AM)
    preview = await schedule(bot, secretary)
    await bot.tap_edit(secretary, preview, "✅ Xác nhận")
    await bot.settle()
    with bot.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
    set_clock(bot, meeting.starts_at + timedelta(minutes=1))
    await bot.tick()
    return secretary, group, lan, duc, meeting


async def test_check_in_roll_call_and_figures(bot: Bot) -> None:
    secretary, group, lan, duc, _ = await _meeting_under_way(bot)
    start = bot.api.last_message(group)
    assert start is not None
    assert "bắt đầu" in start["text"]

    answer = await bot.tap(lan, start, "✋ Tôi có mặt")
    assert answer["text"] == "Đã điểm danh: có mặt. Cảm ơn đồng chí."

    member_try = await bot.say(lan, "/diemdanh")
    assert "Chỉ chi ủy" in member_try["text"]
    checklist = await bot.say(secretary, "/diemdanh")
    assert "Miễn sinh hoạt (không tính): Lê Văn Cao" in checklist["text"]
    labels = [b["text"] for row in checklist["reply_markup"]["inline_keyboard"] for b in row]
    assert "✅ Trần Thị Lan" in labels
    assert "⬜ Phạm Văn Đức" in labels
    assert not any("Lê Văn Cao" in label for label in labels)

    refused = await bot.tap(secretary, checklist, "🔒 Kết thúc điểm danh")
    assert "Còn 2 đồng chí chưa được điểm danh" in refused["text"]
    checklist = await bot.tap_edit(secretary, checklist, "⬜ Nguyễn Văn Bình")
    checklist = await bot.tap_edit(secretary, checklist, "⬜ Phạm Văn Đức")
    checklist = await bot.tap_edit(secretary, checklist, "✅ Phạm Văn Đức")
    checklist = await bot.tap_edit(secretary, checklist, "🟡 Phạm Văn Đức")
    assert "❌ Phạm Văn Đức" in str(checklist["reply_markup"])
    closed = await bot.tap_edit(secretary, checklist, "🔒 Kết thúc điểm danh")
    assert closed["text"].startswith("Đã kết thúc điểm danh.")
    await bot.settle()

    summary = bot.api.last_message(group)
    assert summary is not None
    assert "2/3 đồng chí có mặt; vắng có lý do: 0." in summary["text"]
    assert "Phạm Văn Đức" not in summary["text"]
    report = bot.api.last_message(bot.api.private_chat(secretary))
    assert report is not None
    assert "Có mặt 2/3 (66,7%)" in report["text"]
    assert "tổng số 4 trừ 1 miễn sinh hoạt và 0 sinh hoạt tạm thời nơi khác" in report["text"]
    assert "chưa đạt yêu cầu" in report["text"]
    assert "Vắng không lý do:\n  • Phạm Văn Đức" in report["text"]
    assert bot.api.last_message(bot.api.private_chat(duc))["text"] != report["text"]  # type: ignore[index]

    again = await bot.say(secretary, "/diemdanh")
    assert "Hiện chưa có cuộc họp nào để điểm danh" in again["text"]
    with bot.db.session() as session:
        marks = {a.member_id: a for a in session.exec(select(Attendance))}
    assert sorted(m.status for m in marks.values()) == sorted(
        [AttendanceStatus.PRESENT, AttendanceStatus.PRESENT, AttendanceStatus.UNEXCUSED]
    )
    assert sum(1 for m in marks.values() if m.self_checked_in) == 1


async def test_check_in_after_the_meeting_is_refused(bot: Bot) -> None:
    _, group, lan, _, meeting = await _meeting_under_way(bot)
    start = bot.api.last_message(group)
    assert start is not None
    set_clock(bot, meeting.starts_at + timedelta(minutes=meeting.duration_minutes + 1))

    answer = await bot.tap(lan, start, "✋ Tôi có mặt")

    assert answer["text"] == "Cuộc họp đã kết thúc; chi ủy sẽ điểm danh."


async def test_conclusion_and_tasks_are_posted_and_kept(bot: Bot) -> None:
    secretary, group, _, _, _ = await _meeting_under_way(bot)
    checklist = await bot.say(secretary, "/diemdanh")
    for name in ("Nguyễn Văn Bình", "Trần Thị Lan", "Phạm Văn Đức"):
        checklist = await bot.tap_edit(secretary, checklist, f"⬜ {name}")
    await bot.tap_edit(secretary, checklist, "🔒 Kết thúc điểm danh")
    await bot.settle()
    report = bot.api.last_message(bot.api.private_chat(secretary))
    assert report is not None
    assert "✅ Buổi sinh hoạt đạt yêu cầu" in report["text"]

    await bot.api.user_taps(secretary, report, "📝 Ghi kết luận")
    prompt = await bot.api.next_call(
        "sendMessage", where=lambda c: "kết luận của cuộc họp" in c.params["text"]
    )
    assert prompt.result is not None
    tasks_prompt = await bot.say(
        secretary, "Chi bộ thống nhất triển khai chuyên đề.\nGiao chi ủy theo dõi."
    )
    assert tasks_prompt["text"].startswith("Phân công nhiệm vụ")
    wrong = await bot.say(secretary, "Hoàng Văn Khách: viết bài — 15/12")
    assert "không có ai tên “Hoàng Văn Khách”" in wrong["text"]
    confirm = await bot.say(
        secretary, "Lan: chuẩn bị báo cáo quý IV — 15/12\nPhạm Văn Đức: thu đảng phí — 30/11"
    )
    assert "Trần Thị Lan: chuẩn bị báo cáo quý IV — hạn 15/12/2026" in confirm["text"]
    done = await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert done["text"] == "Đã đăng vào nhóm và lưu cùng cuộc họp."
    await bot.settle()

    posted = bot.api.last_message(group)
    assert posted is not None
    assert posted["text"].startswith("📝 Kết luận")
    assert "Phạm Văn Đức: thu đảng phí — hạn 30/11/2026" in posted["text"]
    with bot.db.session() as session:
        kept = session.exec(select(Meeting)).one()
    assert kept.conclusion == "Chi bộ thống nhất triển khai chuyên đề.\nGiao chi ủy theo dõi."
