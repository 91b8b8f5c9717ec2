"""The figures of a period report (báo cáo sơ kết / tổng kết, domain.md §6.1) for a month, a
quarter, six months or a year: the cell's make-up, its meetings and attendance, the tasks
assigned, commitments and commendations. A fixed number of statements per cell."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementStatus,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MeetingTask,
    Member,
    MemberStatus,
    Organisation,
)
from bot.models.commitments import Campaign, CampaignKind, Commendation, CommitmentStatus
from bot.services import campaigns, pacts, study
from bot.services.attendance import CELL_MEETINGS
from bot.services.errors import Conflict, InvalidInput
from bot.services.pacts import PactFigures

_CODE = re.compile(r"^(\d{4})(?:-(?:(0?[1-9]|1[0-2])|q([1-4])|h([12])))?$")
REGULAR = (MeetingKind.REGULAR, MeetingKind.COMBINED)
THEMATIC = (MeetingKind.THEMATIC, MeetingKind.COMBINED)


@dataclass(frozen=True)
class Period:
    """A reporting period: "2027-01" (month), "2027-Q1", "2027-H1" or "2027"."""

    kind: str  # month | quarter | half | year
    year: int
    index: int  # the month, quarter or half (1 for a year)

    @property
    def months(self) -> int:
        """How many months the period has."""
        return {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]

    @property
    def start(self) -> date:
        """The first day."""
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def end(self) -> date:
        """The last day."""
        month = self.start.month + self.months
        following = date(self.year + (month > 12), (month - 1) % 12 + 1, 1)
        return following - timedelta(days=1)

    @property
    def code(self) -> str:
        """The period as typed on the command line."""
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        if self.kind == "half":
            return f"{self.year}-H{self.index}"
        return str(self.year)


def parse_period(text: str) -> Period:
    """Reads "2027-01", "2027-Q1", "2027-H1" or "2027"; raises InvalidInput otherwise."""
    found = _CODE.match(text.strip().lower())
    if found is None or not 2000 <= int(found.group(1)) <= 2100:
        raise InvalidInput("bad_period", period=text.strip()[:20])
    year = int(found.group(1))
    if found.group(2):
        return Period("month", year, int(found.group(2)))
    if found.group(3):
        return Period("quarter", year, int(found.group(3)))
    if found.group(4):
        return Period("half", year, int(found.group(4)))
    return Period("year", year, 1)


def containing(kind: str, day: date) -> Period:
    """Returns the period of this kind that contains `day`."""
    size = Period(kind, day.year, 1).months
    return Period(kind, day.year, (day.month - 1) // size + 1)


def previous(period: Period) -> Period:
    """Returns the period of the same kind just before."""
    return containing(period.kind, period.start - timedelta(days=1))


def choices(today: date) -> list[Period]:
    """Returns the periods offered: this and the last month, quarter, half and year."""
    out = []
    for kind in ("month", "quarter", "half", "year"):
        current = containing(kind, today)
        out += [current, previous(current)]
    return out


@dataclass(frozen=True)
class MeetingLine:
    """One cell meeting of the period with its roll call."""

    meeting: Meeting
    present: int
    counted: int  # present + excused + unexcused (exempt and attached elsewhere left out)
    unexcused: int


@dataclass(frozen=True)
class CampaignLine:
    """A registration of the period's year."""

    campaign: Campaign
    expected: int
    registered: int
    approved: int


@dataclass(frozen=True)
class PeriodReport:
    """Everything the report says that the bot knows."""

    org: Organisation
    parent: Organisation | None
    period: Period
    today: date
    statuses: dict[MemberStatus, int]
    meetings: list[MeetingLine]
    tasks: int
    tasks_due: int
    tasks_done: int
    campaigns: list[CampaignLine]
    commended: list[tuple[Commendation, Member]]
    # Study campaigns sent in the period, with who read (and submitted what was asked).
    studies: list[study.Participation] = field(default_factory=list)
    # The cell's emulation pacts whose period overlaps this one: plan against achieved.
    pacts: list[PactFigures] = field(default_factory=list)

    def held(self, kinds: tuple[MeetingKind, ...]) -> int:
        """How many meetings of these kinds were held."""
        return sum(1 for line in self.meetings if line.meeting.kind in kinds)

    @property
    def regular_expected(self) -> int:
        """Regular meetings due: one a month."""
        return self.period.months

    @property
    def thematic_expected(self) -> int:
        """Thematic meetings due: at least one a quarter (none for a single month)."""
        return self.period.months // 3

    @property
    def average_attendance(self) -> int | None:
        """The mean of the meetings' attendance rates, in whole percent (None: no roll call)."""
        rates = [line.present / line.counted for line in self.meetings if line.counted]
        return round(100 * sum(rates) / len(rates)) if rates else None

    @property
    def unexcused(self) -> int:
        """Unexcused absences over the period."""
        return sum(line.unexcused for line in self.meetings)


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def period_report(
    *, session: Session, org: Organisation, period: Period, now: datetime
) -> PeriodReport:
    """Returns the report's figures; refuses a period that has not begun or had no meeting."""
    org_id = org.id or 0
    today = campaigns.local_today(org, now)
    if period.start > today:
        raise InvalidInput("period_future", period=period.code)
    zone = ZoneInfo(org.timezone)
    start = _instant(period.start, zone)
    end = min(_instant(period.end + timedelta(days=1), zone), now)
    held = list(
        session.exec(
            select(Meeting)
            .where(
                Meeting.org_id == org_id,
                col(Meeting.status) == MeetingStatus.SCHEDULED,
                col(Meeting.kind).in_(list(CELL_MEETINGS)),
                col(Meeting.starts_at) >= start,
                col(Meeting.starts_at) < end,
            )
            .order_by(col(Meeting.starts_at))
        )
    )
    if not held:
        raise Conflict("period_no_meetings", period=period.code)
    marks: dict[int, dict[AttendanceStatus, int]] = {m.id or 0: {} for m in held}
    for meeting_id, status, n in session.exec(
        select(Attendance.meeting_id, Attendance.status, func.count())
        .where(col(Attendance.meeting_id).in_(list(marks)))
        .group_by(col(Attendance.meeting_id), col(Attendance.status))
    ).all():
        marks[meeting_id][AttendanceStatus(status)] = int(n)
    lines = []
    for meeting in held:
        count = marks[meeting.id or 0]
        present = count.get(AttendanceStatus.PRESENT, 0)
        unexcused = count.get(AttendanceStatus.UNEXCUSED, 0)
        counted = present + count.get(AttendanceStatus.EXCUSED, 0) + unexcused
        lines.append(MeetingLine(meeting, present, counted, unexcused))
    statuses = {
        MemberStatus(status): int(n)
        for status, n in session.exec(
            select(Member.status, func.count())
            .where(Member.org_id == org_id, col(Member.removed_at).is_(None))
            .group_by(col(Member.status))
        ).all()
    }
    task_rows = list(
        session.exec(
            select(col(MeetingTask.due_on), col(MeetingTask.done_at)).where(
                col(MeetingTask.meeting_id).in_(list(marks))
            )
        ).all()
    )
    return PeriodReport(
        org=org,
        parent=session.get(Organisation, org.parent_id) if org.parent_id else None,
        period=period,
        today=today,
        statuses=statuses,
        meetings=lines,
        tasks=len(task_rows),
        tasks_due=sum(1 for due, _ in task_rows if due <= min(period.end, today)),
        tasks_done=sum(1 for _, done in task_rows if done is not None and done <= end),
        campaigns=_campaign_lines(session, org_id, period),
        commended=_commended(session, org_id, start, end),
        studies=[
            study.participation(session=session, announcement=a)
            for a in session.exec(
                select(Announcement)
                .where(
                    Announcement.org_id == org_id,
                    col(Announcement.kind) == AnnouncementKind.STUDY,
                    col(Announcement.status) == AnnouncementStatus.SENT,
                    col(Announcement.sent_at) >= start,
                    col(Announcement.sent_at) < end,
                )
                .order_by(col(Announcement.sent_at))
            ).all()
        ],
        pacts=pacts.pacts_between(
            session=session, org_id=org_id, start=period.start, end=period.end
        ),
    )


def _campaign_lines(session: Session, org_id: int, period: Period) -> list[CampaignLine]:
    found = list(
        session.exec(
            select(Campaign)
            .where(
                Campaign.org_id == org_id,
                Campaign.year == period.year,
                Campaign.kind != CampaignKind.PACT,  # the cell's own targets: listed apart
            )
            .order_by(col(Campaign.id))
        )
    )
    out = []
    for campaign in found:
        progress = campaigns.progress(session=session, campaign=campaign)
        out.append(
            CampaignLine(
                campaign=campaign,
                expected=len(progress.expected),
                registered=progress.registered,
                approved=progress.count(CommitmentStatus.APPROVED),
            )
        )
    return out


def _commended(
    session: Session, org_id: int, start: datetime, end: datetime
) -> list[tuple[Commendation, Member]]:
    rows = session.exec(
        select(Commendation, Member)
        .join(Member, col(Member.id) == col(Commendation.member_id))
        .join(Campaign, col(Campaign.id) == col(Commendation.campaign_id))
        .where(
            Campaign.org_id == org_id,
            col(Commendation.at) >= start,
            col(Commendation.at) < end,
        )
        .order_by(col(Commendation.at), col(Commendation.id))
    ).all()
    return [(c, m) for c, m in rows]
