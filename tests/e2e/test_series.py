"""Repeating meetings end to end: each occurrence announced by the tick (once, never when past),
cancelling one occurrence or the whole series, each chuyên đề occurrence's own theme, the .ics
rule; and a posted conclusion corrected.

The series is made through the service (the new-meeting form has tests of its own); everything
after that is driven as people would, on Telegram (buttons) and on Zalo (typed numbers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlmodel import select

from bot.models import (
    AuditEntry,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
    Member,
    Person,
    Recurrence,
    Role,
    Rsvp,
)
from bot.services import meetings as meeting_service
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot
from tests.e2e.test_meetings import HANOI_SUNDAY_10AM, set_clock
from tests.e2e.test_roll_call import _choose_all, _got, _meeting_under_way

# 19:30 in Hà Nội on Tuesday 15/12/2026: the first meeting; the series is on the 15th.
FIRST = datetime(2026, 12, 15, 12, 30, tzinfo=UTC)
NOTICE = "Thông báo sinh hoạt"


async def _cell(chat: Chat) -> tuple[Someone, Someone]:
    secretary, joined = await chat.cell_with_members(["Trần Thị Lan"])
    lan = joined["Trần Thị Lan"]
    if chat.group is not None:
        assert lan.tg is not None
        chat.api.add_to_group(chat.group, lan.tg, announce=False)
    return secretary, lan


def _make_series(
    bot: Bot, kind: MeetingKind = MeetingKind.REGULAR, topic: str = "", starts_at: datetime = FIRST
) -> int:
    """Schedules a meeting repeating monthly on its day, as the secretary; returns its id."""
    with bot.db.session() as session:
        secretary = session.exec(select(Member).where(Member.role == Role.SECRETARY)).one()
        person = session.get(Person, secretary.person_id)
        assert person is not None
        meeting = meeting_service.create_meeting(
            session=session,
            org_id=secretary.org_id,
            draft=meeting_service.MeetingDraft(
                kind=kind,
                starts_at=starts_at,
                topic=topic,
                place="Hội trường tầng 2",
                recurrence=Recurrence.MONTHLY_DAY,
            ),
            actor=person,
            now=HANOI_SUNDAY_10AM,
        )
        assert meeting.id is not None
        return meeting.id


def _meetings(bot: Bot) -> list[Meeting]:
    with bot.db.session() as session:
        return list(session.exec(select(Meeting).order_by(Meeting.starts_at)))  # type: ignore[arg-type]


def _series(bot: Bot) -> MeetingSeries:
    with bot.db.session() as session:
        return session.exec(select(MeetingSeries)).one()


async def _next_occurrence(chat: Chat) -> Meeting:
    """Lets the first meeting start and end: the tick makes (and announces) the next one."""
    set_clock(chat.bot, FIRST + timedelta(hours=3))
    await chat.bot.tick()
    _, second = _meetings(chat.bot)
    assert second.starts_at == datetime(2027, 1, 15, 12, 30, tzinfo=UTC)
    return second


async def _english(chat: Chat, who: Someone) -> None:
    picker = await chat.say(who, "/ngonngu")
    await chat.choose(who, picker, "English")


# --- 1. each occurrence announced ----------------------------------------------------------


async def test_each_occurrence_is_announced_once_before_its_reminders(chat: Chat) -> None:
    _, lan = await _cell(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    _make_series(chat.bot)
    await _next_occurrence(chat)

    [notice] = _got(chat, lan, "15/01/2027")
    assert notice.text.startswith(NOTICE), notice.text
    assert "Hội trường tầng 2" in notice.text
    if chat.telegram:
        assert "✅ Tham dự" in notice.options
    else:
        assert "✅ Tham dự" in notice.text
    # A second tick, or one a day later, announces nothing again.
    await chat.bot.tick()
    set_clock(chat.bot, FIRST + timedelta(days=1))
    await chat.bot.tick()
    assert len(_got(chat, lan, "15/01/2027")) == 1

    # The reminders come after the notice: three days before, the first of them.
    set_clock(chat.bot, datetime(2027, 1, 12, 12, 31, tzinfo=UTC))
    await chat.bot.tick()
    got = _got(chat, lan, "15/01/2027")
    assert len(got) == 2
    assert got[0].text.startswith(NOTICE)
    assert not got[1].text.startswith(NOTICE)

    if chat.telegram:
        # Lan answers the occurrence's notice: the answer is recorded for that occurrence.
        await chat.choose(lan, got[0], "✅ Tham dự")
        with chat.bot.db.session() as session:
            [rsvp] = session.exec(select(Rsvp)).all()
        assert rsvp.meeting_id == _meetings(chat.bot)[1].id


async def test_an_occurrence_made_after_it_started_is_never_announced(chat: Chat) -> None:
    _, lan = await _cell(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    _make_series(chat.bot)
    # The bot was down from before the first meeting until 20/01/2027.
    set_clock(chat.bot, datetime(2027, 1, 20, 3, 0, tzinfo=UTC))
    await chat.bot.tick()
    assert [m.starts_at.month for m in _meetings(chat.bot)] == [12, 1]
    assert _got(chat, lan, "15/01/2027") == []
    # The next tick makes February's, still ahead: that one is announced.
    await chat.bot.tick()
    [notice] = _got(chat, lan, "15/02/2027")
    assert notice.text.startswith(NOTICE)
    assert _got(chat, lan, "15/01/2027") == []


# --- 2. cancelling one occurrence or the series --------------------------------------------


async def _cancel_screen(chat: Chat, secretary: Someone) -> Msg:
    """/lichhop → ✏️ Sửa hoặc hủy → Hủy cuộc họp, on the next occurrence; returns the
    question that follows."""
    listing = await chat.say(secretary, "/lichhop")
    assert "15/01/2027" in listing.text, listing.text
    actions = await chat.choose(secretary, listing, "✏️ Sửa hoặc hủy")
    return await chat.choose(secretary, actions, "Hủy cuộc họp")


async def test_cancelling_the_whole_series_stops_it_with_one_notice(chat: Chat) -> None:
    secretary, lan = await _cell(chat)
    await _english(chat, lan)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    _make_series(chat.bot)
    await _next_occurrence(chat)

    scope = await _cancel_screen(chat, secretary)
    assert "Cuộc họp này lặp lại (hằng tháng vào ngày 15)" in scope.text, scope.text
    if chat.telegram:
        assert scope.options[:2] == ["Chỉ buổi này", "Cả chuỗi (các buổi từ buổi này trở đi)"]
    else:
        assert "1. Chỉ buổi này" in scope.text
        assert "2. Cả chuỗi (các buổi từ buổi này trở đi)" in scope.text
    confirm = await chat.choose(secretary, scope, "Cả chuỗi (các buổi từ buổi này trở đi)")
    assert "mọi buổi sau đó của chuỗi" in confirm.text
    done = await _choose_all(chat, secretary, confirm, "✅ Xác nhận")
    assert any("Đã hủy chuỗi cuộc họp từ buổi này trở đi" in text for text in done), done
    await chat.bot.settle()

    # The secretary's copy in Vietnamese, Lan's in English: one notice naming the series.
    [told] = _got(chat, secretary, "Hủy chuỗi cuộc họp định kỳ")
    assert "hằng tháng vào ngày 15, lúc 19:30" in told.text
    assert "15/01/2027" in told.text
    [told_en] = _got(chat, lan, "Repeating meeting cancelled")
    assert "held monthly on day 15 at 19:30" in told_en.text, told_en.text
    assert "15 Jan 2027" in told_en.text
    assert _got(chat, lan, "Meeting cancelled") == []
    assert (
        _got(chat, secretary, "Hủy cuộc họp</b>")
        == _got(chat, secretary, "❌ Hủy cuộc họp:")
        == []
    )
    assert _series(chat.bot).ended_at is not None
    assert [m.status for m in _meetings(chat.bot)] == [
        MeetingStatus.SCHEDULED,
        MeetingStatus.CANCELLED,
    ]

    # The series makes no more meetings, even once January's date has passed.
    set_clock(chat.bot, datetime(2027, 1, 16, 3, 0, tzinfo=UTC))
    await chat.bot.tick()
    await chat.bot.tick()
    assert len(_meetings(chat.bot)) == 2
    assert _got(chat, lan, "15 Feb 2027") == []


async def test_cancelling_only_this_occurrence_keeps_the_series(chat: Chat) -> None:
    secretary, lan = await _cell(chat)
    await _english(chat, lan)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    _make_series(chat.bot)
    await _next_occurrence(chat)

    scope = await _cancel_screen(chat, secretary)
    confirm = await chat.choose(secretary, scope, "Chỉ buổi này")
    assert "mọi buổi sau đó" not in confirm.text
    await _choose_all(chat, secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()

    # Lan reads English: one cancellation, of that meeting only.
    [told] = _got(chat, lan, "Meeting cancelled")
    assert "15 Jan 2027" in told.text, told.text
    assert _got(chat, lan, "Repeating meeting cancelled") == []
    assert _series(chat.bot).ended_at is None

    # February's meeting is still made, and announced.
    set_clock(chat.bot, datetime(2027, 1, 16, 3, 0, tzinfo=UTC))
    await chat.bot.tick()
    [february] = _got(chat, lan, "15 Feb 2027")
    assert february.text.startswith("Meeting notice"), february.text


# --- 3. each chuyên đề occurrence's own theme ----------------------------------------------


async def test_a_thematic_occurrence_shows_no_theme_until_the_committee_sets_it(
    chat: Chat,
) -> None:
    secretary, lan = await _cell(chat)
    await _english(chat, lan)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    _make_series(chat.bot, MeetingKind.THEMATIC, topic="Học tập Nghị quyết Trung ương 10")
    second = await _next_occurrence(chat)

    # Lan reads English; the secretary Vietnamese.
    [notice] = _got(chat, lan, "15 Jan 2027")
    assert "Topic: <i>no theme yet</i>" in notice.text or "Topic: no theme yet" in notice.text
    assert "Nghị quyết Trung ương 10" not in notice.text
    # The committee is asked for the theme, privately; members are not.
    [ask] = _got(chat, secretary, "chưa có chủ đề. Đồng chí đặt chủ đề")
    assert "19:30, Thứ Sáu, 15/01/2027" in ask.text
    assert _got(chat, lan, "has no theme yet") == []
    prompt = await chat.choose(secretary, ask, "✏️ Đặt chủ đề")
    assert "Hiện tại: chưa có chủ đề" in prompt.text
    refused = await chat.say(secretary, "x" * 600)
    assert "Chủ đề quá dài" in refused.text
    confirm = await chat.say(secretary, "Học tập và làm theo Bác <năm 2027>")
    # The edit menu lists the change before it is saved.
    assert "📝 Chủ đề: chưa có chủ đề → " in confirm.text, confirm.text
    await _choose_all(chat, secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()

    [changed] = _got(chat, lan, "Meeting changed")
    assert "Topic: no theme yet → " in changed.text, changed.text
    assert "&lt;năm 2027&gt;" in changed.text or "<năm 2027>" in changed.text
    first, occurrence = _meetings(chat.bot)
    assert occurrence.id == second.id
    assert occurrence.topic == "Học tập và làm theo Bác <năm 2027>"
    assert first.topic == "Học tập Nghị quyết Trung ương 10"


async def test_the_theme_is_changed_from_the_meetings_list(chat: Chat) -> None:
    secretary, _ = await _cell(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    _make_series(chat.bot, MeetingKind.THEMATIC, topic="Học tập Nghị quyết Trung ương 10")
    await _next_occurrence(chat)
    listing = await chat.say(secretary, "/lichhop")
    assert "Chủ đề: chưa có chủ đề" in listing.text, listing.text
    actions = await chat.choose(secretary, listing, "✏️ Sửa hoặc hủy")
    prompt = await chat.choose(secretary, actions, "Đổi chủ đề")
    assert "Hiện tại: chưa có chủ đề" in prompt.text
    confirm = await chat.say(secretary, "Sinh hoạt chuyên đề tháng Giêng")
    await _choose_all(chat, secretary, confirm, "✅ Xác nhận")
    _, occurrence = _meetings(chat.bot)
    assert occurrence.topic == "Sinh hoạt chuyên đề tháng Giêng"


# --- 4. the calendar file ------------------------------------------------------------------


async def test_the_calendar_file_of_a_series_carries_its_rule(chat: Chat) -> None:
    if not chat.telegram:
        pytest.skip("Zalo takes no files from the bot (test_meetings checks its listing)")
    _, lan = await _cell(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    # The 31st: shorter months get their last day, as the tick makes them.
    _make_series(chat.bot, starts_at=datetime(2026, 12, 31, 12, 30, tzinfo=UTC))
    await chat.say(lan, "/lichhop")
    assert lan.tg is not None
    lan_id = lan.tg.id
    sent = await chat.api.next_call("sendDocument", where=lambda c: c.params["chat_id"] == lan_id)
    content = chat.api.file_bytes(sent.result["document"]["file_id"])
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert "RRULE" in event
    rule = event["RRULE"].to_ical().decode()
    starts = event.decoded("DTSTART")
    expanded = list(rrulestr(rule, dtstart=starts, forceset=False, cache=False)[:4])
    assert [d.astimezone(UTC) for d in expanded] == [
        datetime(2026, 12, 31, 12, 30, tzinfo=UTC),
        datetime(2027, 1, 31, 12, 30, tzinfo=UTC),
        datetime(2027, 2, 28, 12, 30, tzinfo=UTC),
        datetime(2027, 3, 31, 12, 30, tzinfo=UTC),
    ]
    assert str(event["UID"]).startswith("series-")


# --- 5. correcting a posted conclusion -----------------------------------------------------


async def test_a_posted_conclusion_is_corrected_and_posted_again(chat: Chat) -> None:
    secretary, lan, duc, meeting = await _meeting_under_way(chat)
    await _english(chat, duc)
    checklist = await chat.say(secretary, "/diemdanh")
    for name in ("Nguyễn Văn Bình", "Trần Thị Lan", "Phạm Văn Đức"):
        checklist = await chat.choose(secretary, checklist, f"⬜ {name}")
    await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    await chat.bot.settle()
    [report] = _got(chat, secretary, "✅ Buổi sinh hoạt đạt yêu cầu")
    await chat.choose(secretary, report, "📝 Ghi kết luận")
    tasks = await chat.say(secretary, "Chi bộ thống nhất triển khai chuyên đề quý IV.")
    confirm = await chat.choose(secretary, tasks, "Bỏ qua")
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()
    [posted] = _got(chat, secretary, "lưu cùng cuộc họp")
    if chat.telegram:
        assert posted.options == ["✏️ Đính chính kết luận"]
    else:
        assert "1. ✏️ Đính chính kết luận" in posted.text

    if chat.telegram:
        # The closing report's button, tapped again, shows what was posted and the correction.
        again = await chat.choose(secretary, report, "📝 Ghi kết luận")
        assert "Kết luận của cuộc họp này đã được đăng" in again.text
        assert again.options == ["✏️ Đính chính kết luận"]
        # A member cannot correct it.
        assert lan.tg is not None
        own = chat.api.last_message(lan.tg)
        assert own is not None
        refused = await chat.bot.tap_data(lan.tg, own, f"kf|{meeting.id}")
        assert refused.get("text"), refused
        posted = again

    prompt = await chat.choose(secretary, posted, "✏️ Đính chính kết luận")
    assert "Kết luận đã đăng:" in prompt.text
    assert "triển khai chuyên đề quý IV." in prompt.text
    preview = await chat.say(secretary, "Chi bộ thống nhất triển khai chuyên đề quý I/2027.")
    assert "📝 <b>Kết luận (đính chính)</b>" in preview.text or (
        "📝 Kết luận (đính chính)" in preview.text
    )
    done = await _choose_all(chat, secretary, preview, "✅ Xác nhận")
    assert any("Đã đăng kết luận đính chính" in text for text in done), done
    await chat.bot.settle()

    # The same audience as the conclusion: Lan in Vietnamese, Đức in English.
    [fixed] = _got(chat, lan, "Kết luận (đính chính)")
    assert "quý I/2027" in fixed.text
    [fixed_en] = _got(chat, duc, "Conclusion (corrected)")
    assert "quý I/2027" in fixed_en.text
    with chat.bot.db.session() as session:
        stored = session.get(Meeting, meeting.id)
        assert stored is not None
        assert stored.conclusion == "Chi bộ thống nhất triển khai chuyên đề quý I/2027."
        [entry] = session.exec(
            select(AuditEntry).where(AuditEntry.action == "meeting.conclusion_corrected")
        ).all()
    assert entry.before == {"conclusion": "Chi bộ thống nhất triển khai chuyên đề quý IV."}
