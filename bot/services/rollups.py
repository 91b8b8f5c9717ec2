"""Roll-ups for the officers of a đảng bộ (domain.md §6): one line per cell with the digest's or
the period report's figures, counts only, and the totals; cells below the 85% attendance bar or
the 95% participation bar come first. Every figure is computed by the same services as the
cell's own digest and report, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import Member, MemberStatus, Organisation
from bot.services import campaigns, digests, officers, period_reports
from bot.services.errors import Conflict, InvalidInput

ATTENDANCE_BAR = 85  # more than this (Hướng dẫn 12-HD/BTCTW)
PARTICIPATION_BAR = 95  # at least this, the upper committees' expectation
EXPECTED = (MemberStatus.FULL, MemberStatus.PROBATIONARY)


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass(frozen=True)
class RollupLine:
    """One cell's counts."""

    cell: Organisation
    members: int  # full and probationary members
    held: int  # cell meetings held (the period's; the weekly roll-up: the last one, 0 or 1)
    attendance: int | None  # percent: the period's average, or the last meeting's
    unexcused: int
    registered: int  # members registered in the open (or the period's) registrations
    expected: int
    responses: int | None  # percent answering the last check-in round (weekly only)

    @property
    def participation(self) -> int | None:
        """The share of expected members who registered, in percent."""
        return _percent(self.registered, self.expected)

    @property
    def below_bar(self) -> bool:
        """Tells whether the cell misses the attendance or the participation bar."""
        low_attendance = self.attendance is not None and self.attendance <= ATTENDANCE_BAR
        low_share = self.participation is not None and self.participation < PARTICIPATION_BAR
        return low_attendance or low_share


@dataclass(frozen=True)
class Rollup:
    """The đảng bộ's roll-up: its cells, those below a bar first, and the totals."""

    org: Organisation
    today: date
    period: period_reports.Period | None  # None: the weekly roll-up
    lines: list[RollupLine]

    @property
    def below(self) -> list[RollupLine]:
        """The cells below a bar."""
        return [line for line in self.lines if line.below_bar]

    @property
    def members(self) -> int:
        """Full and probationary members in all the cells."""
        return sum(line.members for line in self.lines)

    @property
    def held(self) -> int:
        """Meetings held in all the cells."""
        return sum(line.held for line in self.lines)

    @property
    def attendance(self) -> int | None:
        """The mean of the cells' attendance, in percent (cells with a roll call)."""
        rates = [line.attendance for line in self.lines if line.attendance is not None]
        return round(sum(rates) / len(rates)) if rates else None

    @property
    def unexcused(self) -> int:
        """Unexcused absences in all the cells."""
        return sum(line.unexcused for line in self.lines)

    @property
    def registered(self) -> int:
        """Members registered in all the cells."""
        return sum(line.registered for line in self.lines)

    @property
    def expected(self) -> int:
        """Members expected to register in all the cells."""
        return sum(line.expected for line in self.lines)

    @property
    def participation(self) -> int | None:
        """The share of expected members who registered, over all the cells."""
        return _percent(self.registered, self.expected)


def is_dang_bo(*, session: Session, org_id: int) -> bool:
    """Tells whether organisations sit under this one (it is a đảng bộ, not a cell)."""
    return (
        session.exec(select(Organisation.id).where(Organisation.parent_id == org_id)).first()
        is not None
    )


def cells(*, session: Session, org_id: int) -> list[Organisation]:
    """The cells under a đảng bộ at any depth (organisations with none under them), by name."""
    under = officers.cells_under(session=session, org_id=org_id)
    parents = {o.parent_id for o in under}
    return [o for o in under if o.id not in parents]


def _member_counts(session: Session, org_ids: list[int]) -> dict[int, int]:
    rows = session.exec(
        select(Member.org_id, func.count())
        .where(
            col(Member.org_id).in_(org_ids),
            col(Member.removed_at).is_(None),
            col(Member.status).in_(list(EXPECTED)),
        )
        .group_by(col(Member.org_id))
    ).all()
    return {org_id: int(n) for org_id, n in rows}


def _sorted(lines: list[RollupLine]) -> list[RollupLine]:
    return sorted(lines, key=lambda line: (not line.below_bar, line.cell.name))


def weekly(*, session: Session, org: Organisation, now: datetime) -> Rollup:
    """The weekly roll-up: each cell's digest figures (the last meeting, the open
    registrations, the last check-in round)."""
    found = cells(session=session, org_id=org.id or 0)
    counts = _member_counts(session, [c.id or 0 for c in found])
    lines = []
    for cell in found:
        figures = digests.digest_figures(session=session, org=cell, now=now)
        last = figures.last_figures
        rounds = [c.round for c in figures.campaigns if c.round is not None and c.round.counted]
        lines.append(
            RollupLine(
                cell=cell,
                members=counts.get(cell.id or 0, 0),
                held=1 if last is not None else 0,
                attendance=round(100 * last.rate) if last is not None else None,
                unexcused=last.unexcused if last is not None else 0,
                registered=sum(c.progress.registered for c in figures.campaigns),
                expected=sum(len(c.progress.expected) for c in figures.campaigns),
                responses=rounds[0].percent if rounds else None,
            )
        )
    return Rollup(org, campaigns.local_today(org, now), None, _sorted(lines))


def for_period(
    *, session: Session, org: Organisation, period: period_reports.Period, now: datetime
) -> Rollup:
    """The period's roll-up: each cell's period report figures (a cell that held no meeting
    is listed with none); refuses a period that has not begun."""
    today = campaigns.local_today(org, now)
    if period.start > today:
        raise InvalidInput("period_future", period=period.code)
    found = cells(session=session, org_id=org.id or 0)
    counts = _member_counts(session, [c.id or 0 for c in found])
    lines = []
    for cell in found:
        try:
            report = period_reports.period_report(
                session=session, org=cell, period=period, now=now
            )
        except Conflict:
            held, attendance, unexcused, registered, expected = 0, None, 0, 0, 0
        else:
            held = len(report.meetings)
            attendance = report.average_attendance
            unexcused = report.unexcused
            registered = sum(c.registered for c in report.campaigns)
            expected = sum(c.expected for c in report.campaigns)
        lines.append(
            RollupLine(
                cell=cell,
                members=counts.get(cell.id or 0, 0),
                held=held,
                attendance=attendance,
                unexcused=unexcused,
                registered=registered,
                expected=expected,
                responses=None,
            )
        )
    return Rollup(org, today, period, _sorted(lines))
