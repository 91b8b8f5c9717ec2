"""Meetings on the calendar: the .ics file, and monthly recurrence (day, nth weekday, DST)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import Session, select

from bot.calendar_files import meeting_ics
from bot.datetext import ParsedTime, combine
from bot.db import Database
from bot.i18n import translator
from bot.models import (
    Meeting,
    MeetingKind,
    MeetingReminder,
    MeetingSeries,
    Organisation,
    Person,
    Recurrence,
)
from bot.services import meetings, orgs, rollover
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
DAY = 24 * 60


def at(y: int, m: int, d: int, hh: int, mm: int = 0, tz: ZoneInfo = HCM) -> datetime:
    return combine(date(y, m, d), ParsedTime(hh, mm), tz)


def schedule(session: Session, org_id: int, actor: Person, starts_at: datetime, now, **kw):
    draft = meetings.MeetingDraft(
        kind=kw.pop("kind", MeetingKind.REGULAR), starts_at=starts_at, **kw
    )
    return meetings.create_meeting(
        session=session, org_id=org_id, draft=draft, actor=actor, now=now
    )


def move(session: Session, meeting: Meeting, actor: Person, now: datetime, **changes):
    return meetings.reschedule(
        session=session,
        meeting_id=meeting.id,
        version=meeting.version,
        actor=actor,
        now=now,
        **changes,
    )


def words(text: str) -> list[str]:
    return text.split()


def series(recurrence: Recurrence, local_time: str, **kw) -> MeetingSeries:
    return MeetingSeries(org_id=1, recurrence=recurrence, local_time=local_time, **kw)


def chain(s: MeetingSeries, first: datetime, n: int, tz: ZoneInfo = HCM) -> list[datetime]:
    out = [first]
    for _ in range(n):
        out.append(meetings.next_occurrence(s, out[-1], tz))
    return out[1:]


# --- the .ics file -------------------------------------------------------------------------------


def test_meeting_ics_round_trips(db: Database, now: datetime) -> None:
    start = at(2026, 11, 26, 19, 30)
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(
            session,
            c.org.id,
            c.secretary,
            start,
            now,
            kind=MeetingKind.THEMATIC,
            topic="Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
            place="Hội trường Đảng ủy phường Bến Nghé",
            agenda=["Khai mạc", "Đề dẫn chuyên đề", "Thảo luận, liên hệ bản thân"],
            duration_minutes=120,
            reminder_offsets=[3 * DAY, DAY, 120],
        )
        meeting = move(session, meeting, c.secretary, now, place="Hội trường Đảng ủy Bến Nghé")
    data = meeting_ics(translator("vi"), meeting, c.org, now)
    [event] = Calendar.from_ical(data).walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
    summary = str(event["summary"])
    assert "sinh hoạt chuyên đề" in summary.lower()
    assert "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh" in summary
    assert "Chi bộ Văn phòng" in summary
    assert str(event["location"]) == "Hội trường Đảng ủy Bến Nghé"
    assert "2. Đề dẫn chuyên đề" in str(event["description"])
    assert int(event["sequence"]) == 2 == meeting.version
    assert str(event["uid"]) == f"meeting-{meeting.id}@chibot"
    triggers = sorted(alarm.decoded("trigger") for alarm in event.walk("VALARM"))
    assert triggers == [-timedelta(days=3), -timedelta(days=1), -timedelta(hours=2)]


def test_meeting_ics_without_offsets_has_no_alarm(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(
            session, c.org.id, c.secretary, at(2026, 12, 3, 7, 30), now, reminder_offsets=[]
        )
    [event] = Calendar.from_ical(meeting_ics(translator("vi"), meeting, c.org, now)).walk("VEVENT")
    assert event.walk("VALARM") == []
    assert "location" not in event
    assert str(event["summary"]).startswith("Sinh hoạt thường kỳ")


# --- recurrence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 26), (3, 4)),  # 4th Thursday
        (date(2026, 11, 27), (4, 4)),  # 4th Friday (also the last one: 4th wins)
        (date(2027, 1, 29), (4, -1)),  # 5th Friday → "the last Friday"
        (date(2026, 11, 1), (6, 1)),
    ],
)
def test_nth_weekday_of(day: date, expected: tuple[int, int]) -> None:
    assert meetings.nth_weekday_of(day) == expected


def test_monthly_on_the_31st_uses_the_last_day_of_shorter_months() -> None:
    s = series(Recurrence.MONTHLY_DAY, "19:00", day_of_month=31)
    starts = chain(s, at(2026, 10, 31, 19, 0), 16)
    assert [d.astimezone(HCM).strftime("%d/%m/%Y") for d in starts] == words(
        "30/11/2026 31/12/2026 31/01/2027 28/02/2027 31/03/2027 30/04/2027 31/05/2027 "
        "30/06/2027 31/07/2027 31/08/2027 30/09/2027 31/10/2027 30/11/2027 31/12/2027 "
        "31/01/2028 29/02/2028"
    )
    assert {d.astimezone(HCM).strftime("%H:%M") for d in starts} == {"19:00"}
    assert all(d.tzinfo is not None and d.utcoffset() == timedelta(0) for d in starts)


def test_monthly_on_the_fourth_thursday_and_the_last_friday(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        thursday = schedule(
            session,
            c.org.id,
            c.secretary,
            at(2026, 11, 26, 19, 30),
            now,
            recurrence=Recurrence.MONTHLY_WEEKDAY,
        )
        friday = schedule(
            session,
            c.org.id,
            c.secretary,
            at(2027, 1, 29, 14, 0),
            now,
            recurrence=Recurrence.MONTHLY_WEEKDAY,
        )
        s4 = session.get(MeetingSeries, thursday.series_id)
        last = session.get(MeetingSeries, friday.series_id)
    assert (s4.weekday, s4.nth, s4.local_time) == (3, 4, "19:30")
    assert (last.weekday, last.nth, last.local_time) == (4, -1, "14:00")
    assert chain(s4, thursday.starts_at, 3) == [
        at(2026, 12, 24, 19, 30),
        at(2027, 1, 28, 19, 30),
        at(2027, 2, 25, 19, 30),
    ]
    # April 2027 has five Fridays: the last is the 30th, not the 4th (23rd).
    assert chain(last, friday.starts_at, 3) == [
        at(2027, 2, 26, 14, 0),
        at(2027, 3, 26, 14, 0),
        at(2027, 4, 30, 14, 0),
    ]


def test_extend_series_once_the_latest_has_started(db: Database, now: datetime) -> None:
    start = at(2026, 12, 31, 19, 0)
    with db.session() as session:
        c = factories.cell(session, now)
        first = schedule(
            session,
            c.org.id,
            c.secretary,
            start,
            now,
            topic="Tổng kết năm",
            place="Phòng họp tầng 3",
            reminder_offsets=[DAY, 60],
            recurrence=Recurrence.MONTHLY_DAY,
        )
        assert rollover.extend_series(session=session, now=start - timedelta(minutes=1)) == []
    with db.session() as session:
        [made] = rollover.extend_series(session=session, now=start)
        assert rollover.extend_series(session=session, now=start) == []
        assert rollover.extend_series(session=session, now=start + timedelta(days=3)) == []
        assert (made.series_id, made.starts_at) == (first.series_id, at(2027, 1, 31, 19, 0))
        assert (made.topic, made.place, made.reminder_offsets) == (
            "Tổng kết năm",
            "Phòng họp tầng 3",
            [DAY, 60],
        )
        due = session.exec(
            select(MeetingReminder.offset_minutes, MeetingReminder.due_at).where(
                MeetingReminder.meeting_id == made.id
            )
        ).all()
        assert sorted(due) == [
            (0, made.starts_at),
            (60, made.starts_at - timedelta(hours=1)),
            (DAY, made.starts_at - timedelta(days=1)),
        ]
    with db.session() as session:
        [feb] = rollover.extend_series(session=session, now=made.starts_at)
        assert feb.starts_at == at(2027, 2, 28, 19, 0)
        assert len(session.exec(select(Meeting)).all()) == 3


def berlin_cell(session: Session, now: datetime) -> tuple[Organisation, Person]:
    org, code = orgs.create_org(
        session=session,
        name="Chi bộ Cộng đồng Berlin",
        parent_name=None,
        timezone="Europe/Berlin",
        locale="vi",
        now=now,
    )
    admin = factories.person(session, "Vũ Thị Thu", now)
    org, _ = orgs.link_group(
        session=session,
        code=code,
        channel="telegram",
        chat_id="-4242",
        chat_title=org.name,
        admin=admin,
        now=now,
    )
    return org, admin


def test_monthly_meeting_keeps_local_time_across_dst(db: Database) -> None:
    september = datetime(2026, 9, 1, tzinfo=UTC)
    with db.session() as session:
        org, admin = berlin_cell(session, september)
        first = schedule(
            session,
            org.id,
            admin,
            at(2026, 10, 20, 19, 30, BERLIN),
            september,
            recurrence=Recurrence.MONTHLY_DAY,
        )
    assert first.starts_at == datetime(2026, 10, 20, 17, 30, tzinfo=UTC)  # CEST, UTC+2
    starts = [first.starts_at]
    for _ in range(6):
        with db.session() as session:
            [made] = rollover.extend_series(session=session, now=starts[-1])
        starts.append(made.starts_at)
    assert [s.astimezone(BERLIN).strftime("%d/%m@%H:%M") for s in starts] == words(
        "20/10@19:30 20/11@19:30 20/12@19:30 20/01@19:30 20/02@19:30 20/03@19:30 20/04@19:30"
    )
    assert [s.hour for s in starts] == [17, 18, 18, 18, 18, 18, 17]  # CET is UTC+1 in winter


def test_moving_an_occurrence_earlier_does_not_double_the_month(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        first = schedule(
            session,
            c.org.id,
            c.secretary,
            at(2026, 12, 10, 19, 30),
            now,
            recurrence=Recurrence.MONTHLY_DAY,
        )
        moved = move(session, first, c.secretary, now, starts_at=at(2026, 12, 8, 19, 30))
    with db.session() as session:
        [made] = rollover.extend_series(session=session, now=moved.starts_at)
    # The series is "monthly on the 10th": December already has its meeting (moved to the 8th).
    assert made.starts_at == at(2027, 1, 10, 19, 30)
