from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, update
from sqlmodel import Session, col, select

from bot.datetext import ParsedTime, combine
from bot.db import Database
from bot.i18n import translator
from bot.models import (
    Meeting,
    MeetingKind,
    MeetingReminder,
    MemberStatus,
    OutboxMessage,
    Person,
    Priority,
    Role,
    RsvpAnswer,
)
from bot.services import meetings, members, people, reminders, rsvps
from bot.services.reminders import ReminderReport
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = 24 * 60
START = combine(date(2026, 11, 26), ParsedTime(19, 30), HCM)  # Thursday evening
LATE_NOTE = translator("vi").gettext("(This reminder is late: the bot was briefly unavailable.)")


@dataclass
class Setup:
    cell: factories.Cell
    meeting: Meeting
    expected: dict[str, int]  # who must be reminded: name → member id
    lan: Person


def setup(session: Session, now: datetime, offsets: list[int], start: datetime = START) -> Setup:
    """A cell whose roster has every status; only expected members and the committee count."""
    c = factories.cell(session, now)
    lan, lan_person = factories.joined_member(session, c, "Trần Thị Lan", now)
    hung, _ = factories.joined_member(
        session, c, "Lê Văn Hùng", now, status=MemberStatus.PROBATIONARY
    )
    factories.joined_member(session, c, "Phạm Thị Tư", now, status=MemberStatus.EXEMPT)
    factories.joined_member(
        session, c, "Đỗ Quang Minh", now, status=MemberStatus.ATTACHED_ELSEWHERE
    )
    son, _ = factories.joined_member(
        session, c, "Hoàng Văn Sơn", now, role=Role.COMMITTEE, status=MemberStatus.EXEMPT
    )
    members.add_members(  # on the roster, never joined: nobody to write to
        session=session,
        org_id=c.org.id,
        names=["Đặng Thị Mai"],
        role=Role.MEMBER,
        status=MemberStatus.FULL,
        actor=c.secretary,
        now=now,
    )
    draft = meetings.MeetingDraft(
        kind=MeetingKind.REGULAR, starts_at=start, reminder_offsets=offsets, place="Phòng họp A"
    )
    meeting = meetings.create_meeting(
        session=session, org_id=c.org.id, draft=draft, actor=c.secretary, now=now
    )
    expected = {
        "Nguyễn Văn Bí": c.secretary_member.id,
        "Trần Thị Lan": lan.id,
        "Lê Văn Hùng": hung.id,
        "Hoàng Văn Sơn": son.id,
    }
    return Setup(c, meeting, expected, lan_person)


def outbox_rows(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def send(db: Database, when: datetime) -> ReminderReport:
    with db.session() as session:
        return reminders.send_due(session=session, now=when)


def outcomes(db: Database, meeting: Meeting) -> dict[int, str | None]:
    with db.session() as session:
        rows = session.exec(
            select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id)
        )
        return {r.offset_minutes: r.outcome for r in rows}


def test_reminders_go_to_expected_members_and_the_group_only_last(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        s = setup(session, now, [DAY, 120])
    mid = s.meeting.id
    assert send(db, START - timedelta(days=1, minutes=1)) == ReminderReport(0, 0, 0, 0)
    assert send(db, START - timedelta(days=1)) == ReminderReport(1, 0, 0, 4)
    with db.session() as session:
        rows = outbox_rows(session)
    assert {r.dedupe_key for r in rows} == {
        f"reminder:{mid}:v1:{DAY}:{member_id}" for member_id in s.expected.values()
    }
    assert not any(r.is_group for r in rows)
    assert all(r.priority == Priority.BULK for r in rows)
    assert "Nhắc lịch" in rows[0].payload["text"]
    assert "Phòng họp A" in rows[0].payload["text"]
    assert LATE_NOTE not in rows[0].payload["text"]
    # The answer buttons name the meeting's version (an older notice's buttons stop counting).
    assert rows[0].payload["keyboard"][0][0]["data"] == f"rv|{mid}|a|1"
    # The last (smallest) offset also goes to the group.
    assert send(db, START - timedelta(hours=2)).rows == 5
    with db.session() as session:
        last = [r for r in outbox_rows(session) if f":{120}:" in r.dedupe_key]
    assert [r.chat_id for r in last if r.is_group] == [s.cell.org.group_chat_id]
    assert len(last) == 5
    assert outcomes(db, s.meeting) == {DAY: "sent", 120: "sent", 0: None}


def test_members_who_answered_excused_get_no_reminder(db: Database, now: datetime) -> None:
    with db.session() as session:
        s = setup(session, now, [120])
        rsvps.answer_rsvp(
            session=session,
            meeting_id=s.meeting.id,
            person=s.lan,
            answer=RsvpAnswer.EXCUSED,
            now=now,
            reason="Đi viện",
        )
    assert send(db, START - timedelta(hours=2)).rows == 4  # 3 members + the group
    with db.session() as session:
        keys = {r.dedupe_key for r in outbox_rows(session)}
    assert f"reminder:{s.meeting.id}:v1:120:{s.expected['Trần Thị Lan']}" not in keys
    assert f"reminder:{s.meeting.id}:v1:120:group" in keys


def test_running_twice_enqueues_nothing_more(db: Database, now: datetime) -> None:
    with db.session() as session:
        s = setup(session, now, [DAY])
    due = START - timedelta(days=1)
    assert send(db, due).rows == 5
    assert send(db, due) == ReminderReport(0, 0, 0, 0)
    # Even if a second process found the reminder still pending, the dedupe keys hold.
    with db.session() as session:
        session.execute(
            update(MeetingReminder)
            .where(col(MeetingReminder.meeting_id) == s.meeting.id)
            .values(done_at=None, outcome=None)
        )
    assert send(db, due + timedelta(minutes=1)).rows == 0
    with db.session() as session:
        assert len(outbox_rows(session)) == 5


def test_a_late_reminder_says_so(db: Database, now: datetime) -> None:
    with db.session() as session:
        s = setup(session, now, [DAY, 120])
    assert send(db, START - timedelta(days=1) + timedelta(minutes=10)).sent == 1  # not late yet
    report = send(db, START - timedelta(hours=2) + timedelta(minutes=11))
    assert (report.sent, report.late) == (0, 1)
    assert outcomes(db, s.meeting) == {DAY: "sent", 120: "late", 0: None}
    with db.session() as session:
        texts = {r.dedupe_key.split(":")[3]: r.payload["text"] for r in outbox_rows(session)}
    assert LATE_NOTE in texts["120"]
    assert "muộn" in texts["120"]
    assert LATE_NOTE not in texts[str(DAY)]


def test_after_the_start_only_the_group_check_in_is_posted(db: Database, now: datetime) -> None:
    with db.session() as session:
        s = setup(session, now, [DAY, 120])
    # The bot was down through both reminders; it comes back 5 minutes into the meeting.
    assert send(db, START + timedelta(minutes=5)) == ReminderReport(1, 0, 2, 1)
    assert outcomes(db, s.meeting) == {DAY: "skipped", 120: "skipped", 0: "sent"}
    with db.session() as session:
        [row] = outbox_rows(session)
    assert (row.dedupe_key, row.is_group) == (f"start:{s.meeting.id}:v1:group", True)
    assert row.chat_id == s.cell.org.group_chat_id
    assert row.payload["keyboard"] == [[{"text": "✋ Tôi có mặt", "data": f"ci|{s.meeting.id}"}]]


def test_the_start_message_is_skipped_once_the_meeting_has_ended(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        s = setup(session, now, [])
    assert s.meeting.duration_minutes == 90
    assert send(db, START + timedelta(minutes=90)) == ReminderReport(0, 0, 1, 0)
    assert outcomes(db, s.meeting) == {0: "skipped"}


def test_a_reminder_of_an_older_version_is_skipped(db: Database, now: datetime) -> None:
    with db.session() as session:
        s = setup(session, now, [120])
        # An edit committed after this reminder was derived (its own reminders not yet seen).
        session.execute(update(Meeting).where(col(Meeting.id) == s.meeting.id).values(version=2))
    assert send(db, START - timedelta(hours=2)) == ReminderReport(0, 0, 1, 0)


def count_statements(db: Database, when: datetime) -> tuple[int, ReminderReport]:
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        report = send(db, when)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements), report


def test_statement_count_does_not_grow_with_the_cell(db: Database, now: datetime) -> None:
    small_start = START
    big_start = combine(date(2026, 12, 10), ParsedTime(19, 30), HCM)
    with db.session() as session:
        for size, start, name in [(5, small_start, "Chi bộ Nhỏ"), (40, big_start, "Chi bộ Lớn")]:
            c = factories.cell(session, now, name=name)
            for i in range(size - 1):  # the secretary is the first member
                factories.joined_member(session, c, f"Nguyễn Thị Hằng {i:02d}", now)
            draft = meetings.MeetingDraft(
                kind=MeetingKind.REGULAR, starts_at=start, reminder_offsets=[DAY]
            )
            meetings.create_meeting(
                session=session, org_id=c.org.id, draft=draft, actor=c.secretary, now=now
            )
    small, small_report = count_statements(db, small_start - timedelta(days=1))
    send(db, small_start)  # the small cell's start message, out of the way
    big, big_report = count_statements(db, big_start - timedelta(days=1))
    assert (small_report.sent, small_report.rows) == (1, 5 + 1)
    assert (big_report.sent, big_report.rows) == (1, 40 + 1)
    assert small == big


def test_after_downtime_only_the_latest_due_reminder_goes_out(db: Database, now: datetime) -> None:
    with db.session() as session:
        s = setup(session, now, [DAY, 120])
    # The bot was down from before the 1-day mark until 90 minutes before the start.
    report = send(db, START - timedelta(minutes=90))
    assert (report.late, report.skipped) == (1, 1)
    assert outcomes(db, s.meeting) == {DAY: "skipped", 120: "late", 0: None}


def test_a_member_on_two_channels_is_reminded_once_where_they_chose(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        s = setup(session, now, [DAY, 120])
        zalo = factories.add_account(session, s.lan, now, channel="zalo")
        [telegram] = [
            a
            for a in people.accounts_of(session=session, person_id=s.lan.id)
            if a.channel == "telegram"
        ]
    lan = s.expected["Trần Thị Lan"]
    # Without a choice, the newest account (Zalo) gets it, and only that one.
    assert send(db, START - timedelta(days=1)).rows == 4
    with db.session() as session:
        [first] = [r for r in outbox_rows(session) if r.dedupe_key.endswith(f":{DAY}:{lan}")]
        assert (first.channel, first.chat_id, first.is_group) == ("zalo", zalo.external_id, False)
        people.set_notify_channel(
            session=session, person=session.get(Person, s.lan.id), channel="telegram"
        )
    assert send(db, START - timedelta(hours=2)).rows == 5
    with db.session() as session:
        [second] = [r for r in outbox_rows(session) if r.dedupe_key.endswith(f":120:{lan}")]
        assert (second.channel, second.chat_id) == ("telegram", telegram.external_id)
        group = [r for r in outbox_rows(session) if r.is_group]
        assert [(r.channel, r.chat_id) for r in group] == [("telegram", s.cell.org.group_chat_id)]
