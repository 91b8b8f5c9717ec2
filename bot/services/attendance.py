"""Roll call (điểm danh) and the attendance figures of domain §1.5."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.models import (
    COMMITTEE_ROLES,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    MemberStatus,
    Organisation,
    Person,
    RsvpAnswer,
)
from bot.services import audit, meetings, members, rsvps
from bot.services.errors import Conflict, NotAllowed

QUALITY_BAR = 0.85
# The roll call opens a little before the start, and self check-in stays open this long after.
OPENS_BEFORE = timedelta(hours=1)
CYCLE = [AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.UNEXCUSED]
# Meetings whose roll call feeds the member figures (a chi ủy meeting is not a cell meeting).
CELL_MEETINGS = {MeetingKind.REGULAR, MeetingKind.THEMATIC, MeetingKind.COMBINED}


@dataclass
class RollCall:
    """The checklist: expected members with their mark (None = not marked yet), others apart."""

    meeting: Meeting
    expected: list[tuple[Member, Attendance | None]]
    exempt: list[Member]
    attached: list[Member]


@dataclass
class Figures:
    """What the committee needs after a meeting (domain §1.5)."""

    total: int
    exempt: int
    attached: int
    present: int
    excused: int
    unexcused: int
    unmarked: int
    excused_names: list[tuple[str, str]] = field(default_factory=list)
    unexcused_names: list[str] = field(default_factory=list)
    consecutive_excused: list[tuple[str, int]] = field(default_factory=list)
    missed_three_months: list[str] = field(default_factory=list)

    @property
    def denominator(self) -> int:
        """Members counted: total − exempt − attached elsewhere."""
        return self.total - self.exempt - self.attached

    @property
    def rate(self) -> float:
        """Attendance rate = present ÷ (total − exempt − attached elsewhere)."""
        return self.present / self.denominator if self.denominator else 0.0

    @property
    def meets_bar(self) -> bool:
        """The 2018 guidance: more than 85% present and no unexcused absence."""
        return self.rate > QUALITY_BAR and self.unexcused == 0


def _require_open(meeting: Meeting, now: datetime) -> None:
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    if meeting.roll_call_closed_at is not None:
        raise Conflict("roll_call_closed")
    if now < meeting.starts_at - OPENS_BEFORE:
        raise Conflict("roll_call_not_open")


def roll_call(*, session: Session, meeting_id: int, person: Person, now: datetime) -> RollCall:
    """Returns the checklist for a committee member; pre-marks excused answers."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    members.require_committee(session=session, person=person, org_id=meeting.org_id)
    _require_open(meeting, now)
    roster = _roster_for(session, meeting)
    marks = _marks(session, meeting_id)
    answers = rsvps.by_member(session=session, meeting_id=meeting_id)
    for member in roster:
        if member.id in marks or member.status not in {
            MemberStatus.FULL,
            MemberStatus.PROBATIONARY,
        }:
            continue
        answer = answers.get(member.id or 0)
        if answer is not None and answer.answer == RsvpAnswer.EXCUSED:
            # A reason given beforehand is what "vắng có lý do" means; the secretary can change it.
            marks[member.id or 0] = _mark(
                session,
                meeting,
                member,
                AttendanceStatus.EXCUSED,
                person,
                now,
                reason=answer.reason,
            )
    return _checklist(meeting, roster, marks)


def _roster_for(session: Session, meeting: Meeting) -> list[Member]:
    """Who is called at a meeting: the cell, or its committee alone at a họp chi ủy."""
    roster = members.active_members(session=session, org_id=meeting.org_id)
    if meeting.kind == MeetingKind.COMMITTEE:
        return [m for m in roster if m.role in COMMITTEE_ROLES]
    return roster


def _marks(session: Session, meeting_id: int) -> dict[int, Attendance]:
    return {
        a.member_id: a
        for a in session.exec(select(Attendance).where(Attendance.meeting_id == meeting_id))
    }


def _checklist(meeting: Meeting, roster: list[Member], marks: dict[int, Attendance]) -> RollCall:
    expected = [
        (m, marks.get(m.id or 0))
        for m in roster
        if m.status in {MemberStatus.FULL, MemberStatus.PROBATIONARY}
    ]
    return RollCall(
        meeting=meeting,
        expected=expected,
        exempt=[m for m in roster if m.status == MemberStatus.EXEMPT],
        attached=[m for m in roster if m.status == MemberStatus.ATTACHED_ELSEWHERE],
    )


def _mark(
    session: Session,
    meeting: Meeting,
    member: Member,
    status: AttendanceStatus,
    person: Person | None,
    now: datetime,
    reason: str | None = None,
    self_check: bool = False,
) -> Attendance:
    row = session.exec(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.member_id == member.id
        )
    ).first()
    if row is None:
        row = Attendance(meeting_id=meeting.id or 0, member_id=member.id or 0, at=now)
    row.status = status
    row.reason = reason if status == AttendanceStatus.EXCUSED else None
    row.self_checked_in = self_check
    row.marked_by = person.id if person is not None else None
    row.at = now
    session.add(row)
    session.flush()
    return row


def cycle_mark(
    *, session: Session, meeting_id: int, member_id: int, person: Person, now: datetime
) -> RollCall:
    """Moves one member to the next category: có mặt → vắng có lý do → vắng không lý do."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    members.require_committee(session=session, person=person, org_id=meeting.org_id)
    _require_open(meeting, now)
    member = members.get_member(session=session, org_id=meeting.org_id, member_id=member_id)
    current = _marks(session, meeting_id).get(member_id)
    if current is None:
        status = AttendanceStatus.PRESENT
    else:
        status = (
            CYCLE[(CYCLE.index(current.status) + 1) % len(CYCLE)]
            if current.status in CYCLE
            else AttendanceStatus.PRESENT
        )
    reason = current.reason if current is not None else None
    _mark(session, meeting, member, status, person, now, reason=reason)
    return roll_call(session=session, meeting_id=meeting_id, person=person, now=now)


def mark_many(
    *,
    session: Session,
    meeting_id: int,
    member_ids: list[int],
    status: AttendanceStatus,
    person: Person,
    now: datetime,
) -> RollCall:
    """Puts several members in one category at once (typed roll call: "1 3 5 có mặt")."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    members.require_committee(session=session, person=person, org_id=meeting.org_id)
    _require_open(meeting, now)
    marks = _marks(session, meeting_id)
    for member_id in member_ids:
        member = members.get_member(session=session, org_id=meeting.org_id, member_id=member_id)
        current = marks.get(member_id)
        reason = current.reason if current is not None else None
        _mark(session, meeting, member, status, person, now, reason=reason)
    return roll_call(session=session, meeting_id=meeting_id, person=person, now=now)


def check_in(*, session: Session, meeting_id: int, person: Person, now: datetime) -> Member:
    """A member marks themselves present while the meeting runs (the group button)."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    member = members.membership_in(session=session, person=person, org_id=meeting.org_id)
    if member is None:
        raise NotAllowed("not_in_this_cell")
    if meeting.kind == MeetingKind.COMMITTEE and member.role not in COMMITTEE_ROLES:
        raise NotAllowed("committee_meeting")
    _require_open(meeting, now)
    end = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    if now > end:
        raise Conflict("check_in_over")
    _mark(session, meeting, member, AttendanceStatus.PRESENT, person, now, self_check=True)
    return member


def close_roll_call(
    *, session: Session, meeting_id: int, person: Person, now: datetime
) -> tuple[Meeting, Figures]:
    """Closes the roll call; nobody is ever marked unexcused without a committee member's tap."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    acting = members.require_committee(session=session, person=person, org_id=meeting.org_id)
    _require_open(meeting, now)
    figures = meeting_figures(session=session, meeting=meeting)
    if figures.unmarked:
        raise Conflict("roll_call_unmarked", n=figures.unmarked)
    meeting.roll_call_closed_at = now
    session.add(meeting)
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=person.id,
        actor_label=acting.full_name,
        action="meeting.roll_call",
        target=f"#{meeting.id}",
        before=None,
        after={
            "present": figures.present,
            "excused": figures.excused,
            "unexcused": figures.unexcused,
            "denominator": figures.denominator,
        },
        now=now,
    )
    return meeting, figures


def reopen_until(meeting: Meeting, tz: ZoneInfo) -> datetime:
    """Returns until when a closed roll call can be reopened: the end of the day after the
    meeting ends, in the cell's time zone. That leaves the evening of the meeting and the next
    day to correct a mark (a member who arrived late, a reason that came after), while the
    minutes are written; later corrections belong in the minutes themselves."""
    end = (meeting.starts_at + timedelta(minutes=meeting.duration_minutes)).astimezone(tz)
    return datetime.combine(end.date() + timedelta(days=2), time(0), tzinfo=tz)


def reopen_roll_call(
    *, session: Session, meeting_id: int, person: Person, now: datetime
) -> Meeting:
    """Reopens a closed roll call (the secretary or the deputy, within reopen_until); audited.
    Closing it again sends the corrected counts."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    acting = members.require_secretary(session=session, person=person, org_id=meeting.org_id)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    closed_at = meeting.roll_call_closed_at
    if closed_at is None:
        raise Conflict("roll_call_not_closed")
    org = session.get(Organisation, meeting.org_id)
    tz = ZoneInfo(org.timezone if org else "Asia/Ho_Chi_Minh")
    if now >= reopen_until(meeting, tz):
        raise Conflict("roll_call_reopen_over")
    meeting.roll_call_closed_at = None
    session.add(meeting)
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=person.id,
        actor_label=acting.full_name,
        action="meeting.roll_call_reopen",
        target=f"#{meeting.id}",
        before={"closed_at": closed_at.isoformat()},
        after=None,
        now=now,
    )
    return meeting


def meeting_figures(*, session: Session, meeting: Meeting) -> Figures:
    """Counts the roll call and finds the members at risk (for the committee, privately)."""
    roster = _roster_for(session, meeting)
    marks = _marks(session, meeting.id or 0)
    call = _checklist(meeting, roster, marks)
    figures = Figures(
        total=len(roster),
        exempt=len(call.exempt),
        attached=len(call.attached),
        present=0,
        excused=0,
        unexcused=0,
        unmarked=0,
    )
    for member, mark in call.expected:
        if mark is None:
            figures.unmarked += 1
        elif mark.status == AttendanceStatus.PRESENT:
            figures.present += 1
        elif mark.status == AttendanceStatus.EXCUSED:
            figures.excused += 1
            figures.excused_names.append((member.full_name, mark.reason or ""))
        elif mark.status == AttendanceStatus.UNEXCUSED:
            figures.unexcused += 1
            figures.unexcused_names.append(member.full_name)
    org = session.get(Organisation, meeting.org_id)
    tz = ZoneInfo(org.timezone if org else "Asia/Ho_Chi_Minh")
    _risks(session, meeting, call, tz, figures)
    return figures


def _risks(
    session: Session, meeting: Meeting, call: RollCall, tz: ZoneInfo, figures: Figures
) -> None:
    """Three or more consecutive excused absences, and absences in three different months."""
    year_start = meeting.starts_at.astimezone(tz).replace(month=1, day=1, hour=0, minute=0)
    # Three columns, not whole rows: a year of a big cell's marks stays cheap to read.
    history = session.exec(
        select(Meeting.starts_at, Attendance.member_id, Attendance.status)
        .join(Attendance, col(Attendance.meeting_id) == col(Meeting.id))
        .where(
            Meeting.org_id == meeting.org_id,
            col(Meeting.status) == MeetingStatus.SCHEDULED,
            col(Meeting.kind).in_(list(CELL_MEETINGS)),
            col(Meeting.starts_at) >= year_start,
            col(Meeting.starts_at) <= meeting.starts_at,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    by_member: dict[int, list[tuple[datetime, AttendanceStatus]]] = defaultdict(list)
    for starts_at, member_id, status in history:
        by_member[member_id].append((starts_at, AttendanceStatus(status)))
    for member, _ in call.expected:
        rows = by_member.get(member.id or 0, [])
        streak = 0
        for _, status in reversed(rows):
            if status != AttendanceStatus.EXCUSED:
                break
            streak += 1
        if streak >= 3:
            figures.consecutive_excused.append((member.full_name, streak))
        months = {
            starts_at.astimezone(tz).month
            for starts_at, status in rows
            if status in {AttendanceStatus.EXCUSED, AttendanceStatus.UNEXCUSED}
        }
        if len(months) >= 3:
            figures.missed_three_months.append(member.full_name)


def open_meetings(*, session: Session, org_ids: list[int], now: datetime) -> list[Meeting]:
    """Returns meetings whose roll call can be taken now (from 1 hour before, for 3 days)."""
    return list(
        session.exec(
            select(Meeting)
            .where(
                col(Meeting.org_id).in_(org_ids),
                col(Meeting.status) == MeetingStatus.SCHEDULED,
                col(Meeting.roll_call_closed_at).is_(None),
                col(Meeting.starts_at) <= now + OPENS_BEFORE,
                col(Meeting.starts_at) >= now - timedelta(days=3),
            )
            .order_by(col(Meeting.starts_at))
        )
    )
