"""The figures the digest's chart draws: attendance at a cell's last six meetings against the
85% bar, and the response to its last check-in rounds against the 95% bar — a fixed number of
statements per meeting and per round, however many members the cell has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.models import Meeting, MeetingStatus, Organisation
from bot.models.commitments import Campaign, CheckInRound
from bot.services import attendance, checkins
from bot.services.attendance import CELL_MEETINGS

# How many meetings and rounds the chart shows.
POINTS = 6


@dataclass(frozen=True)
class Point:
    """One bar: the day it stands for and its rate in whole percent."""

    day: date
    percent: int


@dataclass(frozen=True)
class ChartSeries:
    """What the chart draws, oldest first."""

    cell: str
    attendance: list[Point]
    responses: list[Point]

    @property
    def empty(self) -> bool:
        """Tells whether there is nothing to draw (a new cell)."""
        return not self.attendance and not self.responses


def _attendance(session: Session, org: Organisation, now: datetime) -> list[Point]:
    zone = ZoneInfo(org.timezone)
    closed = session.exec(
        select(Meeting)
        .where(
            col(Meeting.org_id) == org.id,
            col(Meeting.status) == MeetingStatus.SCHEDULED,
            col(Meeting.kind).in_(list(CELL_MEETINGS)),
            col(Meeting.starts_at) <= now,
            col(Meeting.roll_call_closed_at).is_not(None),
        )
        .order_by(col(Meeting.starts_at).desc())
        .limit(POINTS)
    ).all()
    points = []
    for meeting in reversed(closed):
        figures = attendance.meeting_figures(session=session, meeting=meeting)
        points.append(Point(meeting.starts_at.astimezone(zone).date(), round(100 * figures.rate)))
    return points


def _responses(session: Session, org: Organisation, now: datetime) -> list[Point]:
    rounds = session.exec(
        select(CheckInRound)
        .join(Campaign, col(Campaign.id) == col(CheckInRound.campaign_id))
        .where(col(Campaign.org_id) == org.id, col(CheckInRound.opens_at) <= now)
        .order_by(col(CheckInRound.opens_at).desc(), col(CheckInRound.id).desc())
        .limit(POINTS)
    ).all()
    points = []
    for round_ in reversed(rounds):
        figures = checkins.round_figures(session=session, round_=round_)
        if figures.counted:
            points.append(Point(round_.period_start, figures.percent))
    return points


def chart_series(*, session: Session, org: Organisation, now: datetime) -> ChartSeries:
    """Returns what the cell's chart draws at `now`."""
    return ChartSeries(
        cell=org.name,
        attendance=_attendance(session, org, now),
        responses=_responses(session, org, now),
    )
