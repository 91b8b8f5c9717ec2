"""The demo cell's last three months: a regular meeting each month, held, with its roll call
closed (most present, one excused, one unexcused the first time), so that the digest and its
chart have a history to show. Seeded through the real services, once; none of their reminders
or starts is announced."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select

from bot.db import Database
from bot.models import AttendanceStatus, Meeting, MeetingKind, MeetingReminder, Member, Person
from bot.services import attendance, meetings, orgs
from sandbox.seed import CELL_NAME

MONTHS = 3


def ensure_history(db: Database, now: datetime) -> None:
    """Holds the three past meetings described above, once."""
    with db.session() as session:
        cell = orgs.find_org(session=session, name=CELL_NAME)
        if cell is None or cell.id is None:
            raise RuntimeError("the demo cell does not exist yet")
        if session.exec(
            select(Meeting.id).where(Meeting.org_id == cell.id, col(Meeting.starts_at) < now)
        ).first():
            return
        joined = session.exec(
            select(Member)
            .where(Member.org_id == cell.id, col(Member.person_id).is_not(None))
            .order_by(col(Member.id))
        ).all()
        secretary = session.get(Person, joined[0].person_id)
        assert secretary is not None
        zone = ZoneInfo(cell.timezone)
        today = now.astimezone(zone).date()
        for back in range(MONTHS, 0, -1):
            month_start = (today.replace(day=1) - timedelta(days=28 * back)).replace(day=10)
            starts = datetime.combine(month_start, time(19, 30), tzinfo=zone)
            meeting = meetings.create_meeting(
                session=session,
                org_id=cell.id,
                draft=meetings.MeetingDraft(
                    kind=MeetingKind.REGULAR,
                    starts_at=starts,
                    place="Phòng họp tầng 2",
                    topic="Sinh hoạt chi bộ thường kỳ",
                    reminder_offsets=[],
                ),
                actor=secretary,
                now=starts - timedelta(days=7),
            )
            held = starts + timedelta(minutes=15)
            # Long past: its start ("Tôi có mặt") is not announced now.
            session.execute(
                update(MeetingReminder)
                .where(col(MeetingReminder.meeting_id) == meeting.id)
                .values(done_at=held)
            )
            excused = joined[-1 - back % 2 :][:1]
            unexcused = joined[-3:-2] if back == MONTHS else []
            present = [m for m in joined if m not in excused and m not in unexcused]
            for group, status in (
                (present, AttendanceStatus.PRESENT),
                (excused, AttendanceStatus.EXCUSED),
                (unexcused, AttendanceStatus.UNEXCUSED),
            ):
                if group:
                    attendance.mark_many(
                        session=session,
                        meeting_id=meeting.id or 0,
                        member_ids=[m.id or 0 for m in group],
                        status=status,
                        person=secretary,
                        now=held,
                    )
            attendance.close_roll_call(
                session=session, meeting_id=meeting.id or 0, person=secretary, now=held
            )
