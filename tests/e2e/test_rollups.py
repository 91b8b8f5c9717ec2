"""The officers' roll-up end to end: /tonghop and the weekly tick give an officer of a đảng bộ
one line per cell (counts only; cells below a bar first) with its chart; /baocao gives a
period's roll-up with its XLSX on Telegram and the message on Zalo; a cell outside their đảng
bộ is refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlmodel import select

from bot.models import AttendanceStatus, MeetingKind, Member, Organisation, Person
from bot.services import attendance, meetings
from tests.e2e.chat import Chat, Someone
from tests.e2e.test_commitments import ask, pick, set_clock
from tests.e2e.test_digest_chart import png_size, telegram_photos
from tests.e2e.test_study import PARTY, officer_over_two_cells

NAMES = ("Nguyễn Văn Bình", "Trần Thị Lan", "Phạm Văn Đức", "Lê Văn Hùng")
TITLE = "📊 Tổng hợp các chi bộ trực thuộc Đảng bộ Khối Cơ quan: "
OFFICE = "• Chi bộ Văn phòng: 2 đảng viên · dự họp 50% · 1 lượt vắng không lý do"
FINANCE = "• Chi bộ Tài vụ: 2 đảng viên · chưa có điểm danh"


def hold_office_meeting(chat: Chat, at: datetime) -> None:
    """Văn phòng's regular meeting at `at`: its secretary present, Lan unexcused."""
    with chat.bot.db.session() as session:
        office = session.exec(
            select(Organisation).where(Organisation.name == "Chi bộ Văn phòng")
        ).one()
        on_roster = {
            m.full_name: m for m in session.exec(select(Member).where(Member.org_id == office.id))
        }
        secretary = session.get(Person, on_roster["Nguyễn Văn Bình"].person_id)
        assert secretary is not None
        meeting = meetings.create_meeting(
            session=session,
            org_id=office.id or 0,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.REGULAR, starts_at=at, place="Hội trường"
            ),
            actor=secretary,
            now=chat.bot.clock.now(),
        )
        held = at + timedelta(minutes=20)
        for name, status in (
            ("Nguyễn Văn Bình", AttendanceStatus.PRESENT),
            ("Trần Thị Lan", AttendanceStatus.UNEXCUSED),
        ):
            attendance.mark_many(
                session=session,
                meeting_id=meeting.id or 0,
                member_ids=[on_roster[name].id or 0],
                status=status,
                person=secretary,
                now=held,
            )
        attendance.close_roll_call(
            session=session, meeting_id=meeting.id or 0, person=secretary, now=held
        )


async def party_with_a_held_meeting(chat: Chat) -> Someone:
    """The đảng bộ of test_study with its officer; Văn phòng held a meeting on 10/01/2027 with
    its secretary present and Lan unexcused (50%, below the 85% bar)."""
    officer, _, _ = await officer_over_two_cells(chat)
    hold_office_meeting(chat, datetime(2027, 1, 10, 12, 0, tzinfo=UTC))
    set_clock(chat.bot, datetime(2027, 1, 13, 3, 0, tzinfo=UTC))
    return officer


def assert_no_names(text: str) -> None:
    for name in NAMES:
        assert name not in text


async def test_an_officer_gets_the_weekly_roll_up_with_the_cells_below_the_bar_first(
    chat: Chat,
) -> None:
    officer = await party_with_a_held_meeting(chat)
    answer = await ask(chat, officer, "/tonghop")
    lines = answer.text.splitlines()
    assert lines[0].startswith(TITLE + "tuần đến ")
    assert lines[2] == "⚠️ Chưa đạt mức (dự họp trên 85%, tham gia từ 95%):"
    below, rest = lines.index(OFFICE), lines.index(FINANCE)
    assert below < lines.index("✅ Đạt mức:") < rest
    assert "Σ Tổng cộng: 2 chi bộ; 4 đảng viên; dự họp 50%; 1 lượt vắng không lý do." in lines
    assert_no_names(answer.text)
    await chat.bot.settle()
    if chat.telegram:
        assert officer.tg is not None
        [chart] = telegram_photos(chat, officer.tg.id)
        assert png_size(chart["data"])[0] <= 1280

    # The weekly tick sends it on the đảng bộ's day (Monday 07:30), to the officer only.
    set_clock(chat.bot, datetime(2027, 1, 17, 3, 0, tzinfo=UTC))
    await chat.bot.tick()
    set_clock(chat.bot, datetime(2027, 1, 18, 0, 31, tzinfo=UTC))
    await chat.bot.tick()
    await chat.bot.settle()
    weekly = [t for t in chat.received(officer) if t.startswith(TITLE + "tuần đến 18/01/2027")]
    assert len(weekly) == 1
    assert OFFICE in weekly[0]
    with chat.bot.db.session() as session:
        party = session.exec(select(Organisation).where(Organisation.name == PARTY)).one()
        assert party.digest_due_at == datetime(2027, 1, 25, 0, 30, tzinfo=UTC)


async def test_a_period_roll_up_with_its_xlsx_and_a_cell_outside_is_refused(chat: Chat) -> None:
    officer = await party_with_a_held_meeting(chat)
    menu = await ask(chat, officer, "/baocao")
    if len(menu.options) > 0 and "Đảng bộ Khối Cơ quan" in menu.options:
        menu = await pick(chat, officer, menu, "Đảng bộ Khối Cơ quan")
    report = await pick(chat, officer, menu, "Tháng 01/2027")
    assert report.text.startswith(TITLE + "tháng 01/2027"), report.text
    assert "• Chi bộ Văn phòng: 2 đảng viên · 1 buổi sinh hoạt · dự họp 50%" in report.text
    assert "• Chi bộ Tài vụ: 2 đảng viên · 0 buổi sinh hoạt · chưa có điểm danh" in report.text
    assert_no_names(report.text)
    if not chat.telegram:
        return
    assert officer.tg is not None
    await chat.bot.settle()
    [call] = [
        c
        for c in chat.api.calls
        if c.method == "sendDocument" and c.params.get("chat_id") == officer.tg.id and c.result
    ]
    data = chat.api.world.files[call.result["document"]["file_id"]].data  # type: ignore[index]
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows[0][:5] == ["Chi bộ Văn phòng", 2, 1, 50, 1]
    assert rows[0][-1] == "có"
    assert rows[1][:5] == ["Chi bộ Tài vụ", 2, 0, None, 0]
    assert rows[2][:5] == ["Tổng cộng", 4, 1, 50, 1]

    # The officer forges the report button of a cell (not a đảng bộ they serve): refused.
    with chat.bot.db.session() as session:
        cell = session.exec(
            select(Organisation).where(Organisation.name == "Chi bộ Văn phòng")
        ).one()
    message = chat.api.last_message(officer.tg)
    assert message is not None
    before = len(chat.received(officer))
    answer = await chat.bot.tap_data(officer.tg, message, f"bp|{cell.id}|2027-01")
    assert answer["text"].startswith("Chỉ chi ủy"), answer
    await chat.bot.settle()
    assert len(chat.received(officer)) == before


async def test_a_future_period_is_refused_for_the_roll_up_too(chat: Chat) -> None:
    officer = await party_with_a_held_meeting(chat)
    answer = await ask(chat, officer, "/baocao 2027-H2")
    assert "chưa bắt đầu" in answer.text, answer.text


async def test_the_roll_up_and_the_chart_in_english(chat: Chat) -> None:
    officer = await party_with_a_held_meeting(chat)
    picker = await chat.say(officer, "/ngonngu")
    await chat.choose(officer, picker, "English")
    answer = await ask(chat, officer, "/tonghop")
    lines = answer.text.splitlines()
    assert lines[0] == "📊 Cells of Đảng bộ Khối Cơ quan: week to 13 Jan 2027"
    assert "⚠️ Below the bar (attendance above 85%, participation from 95%):" in lines
    assert "• Chi bộ Văn phòng: 2 members · attendance 50% · 1 unexcused absence" in lines
    assert "Σ Total: 2 cells; 4 members; attendance 50%; 1 unexcused absence." in lines
    report = await ask(chat, officer, "/baocao 2027-01")
    assert report.text.startswith("📊 Cells of Đảng bộ Khối Cơ quan: month 01/2027")
    assert "• Chi bộ Tài vụ: 2 members · 0 meetings held · no roll call yet" in report.text
