"""Roll call: self check-in, the committee's checklist, figures and privacy — on Telegram (the
group, buttons) and on Zalo (no group: each member privately, numbered options)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.models import Attendance, AttendanceStatus, Meeting
from tests.e2e.chat import Chat, Msg, Someone, _telegram_msg, _zalo_msg
from tests.e2e.conftest import Bot
from tests.e2e.test_meetings import HANOI_SUNDAY_10AM, set_clock

START = "bắt đầu. Các đồng chí có mặt vui lòng chọn “Tôi có mặt”."
NICKNAMES = {"Trần Thị Lan": "Lan", "Phạm Văn Đức": "Đức"}
COUNTS = "2/3 đồng chí có mặt; vắng có lý do: 0."


async def _schedule(chat: Chat, secretary: Someone) -> Msg:
    """Runs /taohop (Lan presents); returns the confirmation preview."""
    menu = await chat.say(secretary, "/taohop")
    await chat.choose(secretary, menu, "Sinh hoạt chuyên đề")
    await chat.say(secretary, "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh")
    duration = await chat.say(secretary, "thứ 5 tuần sau 19h30")
    await chat.choose(secretary, duration, duration.options[0])
    chair = await chat.say(secretary, "Hội trường tầng 2")
    presenter = await chat.choose(secretary, chair, "Nguyễn Văn Bình")
    await chat.choose(secretary, presenter, "Trần Thị Lan")
    recurrence = await chat.say(secretary, "Khai mạc\nBáo cáo chuyên đề\nThảo luận")
    reminders = await chat.choose(secretary, recurrence, "Chỉ một lần")
    return await chat.choose(secretary, reminders, reminders.options[0])


async def _meeting_under_way(
    chat: Chat, others: tuple[str, ...] = ()
) -> tuple[Someone, Someone, Someone, Meeting]:
    """A cell (Lan and Đức joined, Lê Văn Cao exempt) whose meeting started a minute ago."""
    secretary = await chat.linked_cell()
    names = ["Trần Thị Lan", "Phạm Văn Đức", *others]
    keys = await chat.add_people(secretary, names)
    await chat.add_people(secretary, ["Lê Văn Cao"], status="miễn sinh hoạt")
    joined = {}
    for name in names:
        person = joined[name] = chat.add(NICKNAMES.get(name, name))
        await chat.join(person, keys[name])
        if chat.group is not None and person.tg is not None:
            chat.api.add_to_group(chat.group, person.tg, announce=False)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    preview = await _schedule(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    with chat.bot.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
    set_clock(chat.bot, meeting.starts_at + timedelta(minutes=1))
    await chat.bot.tick()
    return secretary, joined["Trần Thị Lan"], joined["Phạm Văn Đức"], meeting


def _start_notice(chat: Chat, member: Someone) -> Msg:
    """The "meeting starts" message with "✋ Tôi có mặt": the group's on Telegram; on Zalo (no
    group) the one the member got privately."""
    if chat.group is not None:
        posted = chat.api.last_message(chat.group)
        assert posted is not None
        return _telegram_msg(posted)
    return _zalo_msg(chat.last(member))


def _got(chat: Chat, who: Someone, containing: str) -> list[Msg]:
    """The messages this person got privately that contain `containing`, oldest first."""
    if who.tg is not None:
        found = [_telegram_msg(m) for m in chat.api.messages_in(who.tg)]
    else:
        found = [_zalo_msg(text) for text in chat.received(who)]
    return [m for m in found if containing in m.text]


async def _choose_all(chat: Chat, who: Someone, msg: Msg, label: str) -> list[str]:
    """Chooses `label`; returns every message (or edit) the person got for it, in order."""
    before = len(chat.received(who))
    await chat.choose(who, msg, label)
    return chat.received(who)[before:]


def _marks(bot: Bot) -> dict[int, Attendance]:
    with bot.db.session() as session:
        return {a.member_id: a for a in session.exec(select(Attendance))}


async def test_check_in_roll_call_and_figures(chat: Chat) -> None:
    secretary, lan, duc, _ = await _meeting_under_way(chat)
    start = _start_notice(chat, lan)
    assert START in start.text
    assert "✋ Tôi có mặt" in start.options
    for member in (secretary, lan, duc):
        # The group gets it on Telegram; on Zalo each member privately, with its number.
        assert len(_got(chat, member, START)) == (0 if chat.telegram else 1)
    if not chat.telegram:
        assert start.text.endswith("\n\n1. ✋ Tôi có mặt"), start.text

    answer = await chat.choose(lan, start, "✋ Tôi có mặt")
    assert answer.text == "Đã điểm danh: có mặt. Cảm ơn đồng chí."
    assert answer.toast == chat.telegram

    member_try = await chat.say(lan, "/diemdanh")
    assert "Chỉ chi ủy" in member_try.text
    checklist = await chat.say(secretary, "/diemdanh")
    assert "Miễn sinh hoạt (không tính): Lê Văn Cao" in checklist.text
    assert "✅ Trần Thị Lan" in checklist.options
    assert "⬜ Phạm Văn Đức" in checklist.options
    assert not any("Lê Văn Cao" in label for label in checklist.options)
    if not chat.telegram:
        assert "“1 3 5 có mặt”" in checklist.text
        assert "\n1. ⬜ Nguyễn Văn Bình\n2. ⬜ Phạm Văn Đức\n3. ✅ Trần Thị Lan\n" in (
            checklist.text
        )

    refused = await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    assert "Còn 2 đồng chí chưa được điểm danh" in refused.text
    checklist = await chat.choose(secretary, checklist, "⬜ Nguyễn Văn Bình")
    checklist = await chat.choose(secretary, checklist, "⬜ Phạm Văn Đức")
    checklist = await chat.choose(secretary, checklist, "✅ Phạm Văn Đức")
    checklist = await chat.choose(secretary, checklist, "🟡 Phạm Văn Đức")
    assert "❌ Phạm Văn Đức" in checklist.options
    closed = await _choose_all(chat, secretary, checklist, "🔒 Kết thúc điểm danh")
    assert closed[0].startswith("Đã kết thúc điểm danh."), closed
    await chat.bot.settle()

    # Counts only, never names: in the group on Telegram; on Zalo to each member privately.
    if chat.group is not None:
        summary = chat.api.last_message(chat.group)
        assert summary is not None
        assert COUNTS in summary["text"]
        assert "Phạm Văn Đức" not in summary["text"]
    for member in (secretary, lan, duc):
        summaries = _got(chat, member, COUNTS)
        assert len(summaries) == (0 if chat.telegram else 1), member.name
        assert all("Phạm Văn Đức" not in s.text for s in summaries)
    again = await chat.say(secretary, "/diemdanh")
    assert "Hiện chưa có cuộc họp nào để điểm danh" in again.text
    marks = _marks(chat.bot)
    assert sorted(m.status for m in marks.values()) == sorted(
        [AttendanceStatus.PRESENT, AttendanceStatus.PRESENT, AttendanceStatus.UNEXCUSED]
    )
    assert sum(1 for m in marks.values() if m.self_checked_in) == 1

    # The names go to the committee only.
    reports = _got(chat, secretary, "Có mặt 2/3 (66,7%)")
    assert len(reports) == 1, chat.received(secretary)[-3:]
    report = reports[0]
    assert "tổng số 4 trừ 1 miễn sinh hoạt và 0 sinh hoạt tạm thời nơi khác" in report.text
    assert "chưa đạt yêu cầu theo Hướng dẫn 12-HD/BTCTW (06/7/2018)" in report.text
    assert "Vắng không lý do:\n  • Phạm Văn Đức" in report.text
    assert not _got(chat, duc, "Vắng không lý do")
    assert not _got(chat, lan, "Vắng không lý do")


async def test_roll_call_typed_on_zalo(zalo_bot: Bot, zalo_api: Any) -> None:
    # Zalo has no buttons: "1 3 5 có mặt", "2 vắng có lý do", "4 vắng không lý do" mark
    # several comrades at once; one number alone moves that comrade to the next category.
    chat = Chat(zalo_bot, zalo_api, "zalo")
    secretary, lan, duc, _ = await _meeting_under_way(chat, others=("Hoàng Văn Nam",))
    checklist = await chat.say(secretary, "/diemdanh")
    number = {
        name: checklist.number_of(f"⬜ {name}")
        for name in ("Hoàng Văn Nam", "Nguyễn Văn Bình", "Phạm Văn Đức", "Trần Thị Lan")
    }
    assert sorted(number.values()) == [1, 2, 3, 4]
    assert checklist.number_of("🔒 Kết thúc điểm danh") == 5
    assert not any("Lê Văn Cao" in label for label in checklist.options)

    checklist = await chat.say(
        secretary, f"{number['Nguyễn Văn Bình']} {number['Trần Thị Lan']} có mặt"
    )
    assert f"\n{number['Nguyễn Văn Bình']}. ✅ Nguyễn Văn Bình" in checklist.text
    assert f"\n{number['Trần Thị Lan']}. ✅ Trần Thị Lan" in checklist.text
    assert f"\n{number['Phạm Văn Đức']}. ⬜ Phạm Văn Đức" in checklist.text
    checklist = await chat.say(
        secretary, f"{number['Phạm Văn Đức']}, {number['Hoàng Văn Nam']} Vắng có lý do"
    )
    assert "🟡 Phạm Văn Đức" in checklist.options
    assert "🟡 Hoàng Văn Nam" in checklist.options
    checklist = await chat.say(secretary, f"{number['Hoàng Văn Nam']} vắng không lý do")
    assert "❌ Hoàng Văn Nam" in checklist.options
    assert "🟡 Phạm Văn Đức" in checklist.options
    # One number alone cycles: 🟡 → ❌ → ✅.
    checklist = await chat.say(secretary, str(number["Phạm Văn Đức"]))
    assert "❌ Phạm Văn Đức" in checklist.options
    checklist = await chat.say(secretary, str(number["Phạm Văn Đức"]))
    assert "✅ Phạm Văn Đức" in checklist.options

    # A number off the list changes nothing.
    wrong = await chat.say(secretary, "2 9 có mặt")
    assert wrong.text == "Số này không có trong danh sách: đồng chí hãy gõ một số từ 1 đến 4."
    with chat.bot.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
    marks = _marks(chat.bot)
    assert sorted(m.status for m in marks.values()) == sorted(
        [AttendanceStatus.PRESENT] * 3 + [AttendanceStatus.UNEXCUSED]
    )
    assert all(m.meeting_id == meeting.id for m in marks.values())
    # A member's own list (the check-in) does not take the committee's grammar.
    member_try = await chat.say(lan, "1 2 có mặt")
    assert member_try.text.startswith("Tôi chưa hiểu ý đồng chí."), member_try.text
    assert len(_marks(chat.bot)) == 4

    closed = await chat.say(secretary, "5")
    assert closed.text.startswith("Đã kết thúc điểm danh.")
    await chat.bot.settle()
    for member in (secretary, lan, duc):
        assert len(_got(chat, member, "3/4 đồng chí có mặt; vắng có lý do: 0.")) == 1
    # The closed list is stale: typing on it changes nothing.
    stale = await chat.say(secretary, f"{number['Hoàng Văn Nam']} có mặt")
    assert stale.text.startswith("Tôi chưa hiểu ý đồng chí."), stale.text
    assert sorted(m.status for m in _marks(chat.bot).values()) == sorted(
        [AttendanceStatus.PRESENT] * 3 + [AttendanceStatus.UNEXCUSED]
    )


async def test_check_in_after_the_meeting_is_refused(chat: Chat) -> None:
    _, lan, _, meeting = await _meeting_under_way(chat)
    start = _start_notice(chat, lan)
    set_clock(chat.bot, meeting.starts_at + timedelta(minutes=meeting.duration_minutes + 1))

    answer = await chat.choose(lan, start, "✋ Tôi có mặt")

    assert answer.text == "Cuộc họp đã kết thúc; chi ủy sẽ điểm danh."
    assert not _marks(chat.bot)


async def test_conclusion_and_tasks_are_posted_and_kept(chat: Chat) -> None:
    secretary, lan, duc, _ = await _meeting_under_way(chat)
    checklist = await chat.say(secretary, "/diemdanh")
    for name in ("Nguyễn Văn Bình", "Trần Thị Lan", "Phạm Văn Đức"):
        checklist = await chat.choose(secretary, checklist, f"⬜ {name}")
    await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    await chat.bot.settle()
    reports = _got(chat, secretary, "✅ Buổi sinh hoạt đạt yêu cầu")
    assert len(reports) == 1, chat.received(secretary)[-3:]
    report = reports[0]

    prompt = await chat.choose(secretary, report, "📝 Ghi kết luận")
    assert "kết luận của cuộc họp" in prompt.text
    tasks_prompt = await chat.say(
        secretary, "Chi bộ thống nhất triển khai chuyên đề.\nGiao chi ủy theo dõi."
    )
    assert tasks_prompt.text.startswith("Phân công nhiệm vụ")
    wrong = await chat.say(secretary, "Hoàng Văn Khách: viết bài — 15/12")
    assert "không có ai tên “Hoàng Văn Khách”" in wrong.text
    confirm = await chat.say(
        secretary, "Lan: chuẩn bị báo cáo quý IV — 15/12\nPhạm Văn Đức: thu đảng phí — 30/11"
    )
    assert "Trần Thị Lan: chuẩn bị báo cáo quý IV — hạn 15/12/2026" in confirm.text
    done = await _choose_all(chat, secretary, confirm, "✅ Xác nhận")
    expected = (
        "Đã đăng vào nhóm và lưu cùng cuộc họp."
        if chat.telegram
        else "Đã gửi cho các đồng chí trong chi bộ và lưu cùng cuộc họp."
    )
    # (followed by the way to correct it: a button, or a numbered line on Zalo)
    assert done[0].split("\n\n")[0] == expected, done
    await chat.bot.settle()

    # Posted in the group (on Telegram) and to each member privately.
    if chat.group is not None:
        posted = chat.api.last_message(chat.group)
        assert posted is not None
        assert posted["text"].startswith("📝 Kết luận")
        assert "Phạm Văn Đức: thu đảng phí — hạn 30/11/2026" in posted["text"]
    for member in (secretary, lan, duc):
        copies = [m for m in _got(chat, member, "📝 Kết luận") if m.text.startswith("📝")]
        assert len(copies) == 1, member.name
        assert all("Phạm Văn Đức: thu đảng phí — hạn 30/11/2026" in c.text for c in copies)
    with chat.bot.db.session() as session:
        kept = session.exec(select(Meeting)).one()
    assert kept.conclusion == "Chi bộ thống nhất triển khai chuyên đề.\nGiao chi ủy theo dõi."
