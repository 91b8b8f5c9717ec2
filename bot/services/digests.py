"""The weekly digest's figures (domain.md §6.3): what the group sees — aggregates and examples
to commend — and the committee's exceptions, each computed with a fixed number of statements
per cell, however many members it has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

from bot.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementRecipient,
    AnnouncementStatus,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    MeetingTask,
    Member,
    Organisation,
    Reachability,
)
from bot.models.commitments import (
    Campaign,
    CampaignKind,
    CheckIn,
    Commendation,
    CommitmentStatus,
    ItemStatus,
)
from bot.services import (
    attendance,
    campaigns,
    checkins,
    members,
    pacts,
    roster_reads,
    self_reviews,
    study,
)
from bot.services.attendance import CELL_MEETINGS
from bot.services.pacts import PactFigures

# Commemorations the digest announces (domain.md §4.2): day, month, what.
COMMEMORATIONS = (
    (3, 2, "party_founding"),
    (19, 5, "uncle_ho_birthday"),
    (11, 6, "emulation_day"),
    (2, 9, "national_day"),
    (7, 11, "badge_wave"),
)
LOOK_AHEAD = timedelta(days=30)
# Examples to commend shown in the group (the newest ones).
MAX_EXAMPLES = 3
# Tasks whose due date passed within this many days are listed to the committee.
OVERDUE_WINDOW = timedelta(days=30)
# Announcements sent within this window and not acknowledged by all are counted.
ANNOUNCEMENT_WINDOW = timedelta(days=30)
# A study campaign stays in the digest this long after its deadline (its shortfall shows).
STUDY_GRACE = timedelta(days=7)
THEMED = (MeetingKind.THEMATIC, MeetingKind.COMBINED)
_REGISTERED = (CommitmentStatus.SUBMITTED, CommitmentStatus.APPROVED, CommitmentStatus.RETURNED)


@dataclass(frozen=True)
class Upcoming:
    """A dated thing ahead: a commemoration, a review season, the quarter's thematic meeting."""

    day: date
    kind: str  # a COMMEMORATIONS key, "mid_review", "year_review" or "thematic_due"


@dataclass(frozen=True)
class CampaignFigures:
    """One open registration: how many registered, the last round, the examples."""

    campaign: Campaign
    progress: campaigns.Progress
    round: checkins.RoundFigures | None
    statuses: dict[ItemStatus, int]  # answers in that round, by status
    examples: list[tuple[Commendation, Member]]


@dataclass(frozen=True)
class AwaitingAck:
    """An announcement not yet acknowledged by everyone it reached: counts only."""

    announcement: Announcement
    audience: int
    acknowledged: int  # confirmed, or told in person by the committee


@dataclass(frozen=True)
class DigestFigures:
    """Everything the weekly digest says; nothing about one member's shortfall."""

    org: Organisation
    today: date
    next_meeting: Meeting | None
    next_documents: int
    last_meeting: Meeting | None
    last_figures: attendance.Figures | None
    campaigns: list[CampaignFigures]
    upcoming: list[Upcoming]
    awaiting: list[AwaitingAck] = field(default_factory=list)
    studies: list[study.Participation] = field(default_factory=list)
    # The cell's open emulation pacts, with each target's figures (collective, no names).
    pacts: list[PactFigures] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Tells whether the cell has nothing to report yet (a new cell)."""
        return (
            self.next_meeting is None
            and self.last_meeting is None
            and not self.campaigns
            and not self.awaiting
            and not self.studies
            and not self.pacts
        )


@dataclass(frozen=True)
class Exceptions:
    """What the committee reads privately, first: the shortfalls, by name."""

    unexcused: list[str] = field(default_factory=list)
    consecutive_excused: list[tuple[str, int]] = field(default_factory=list)
    missed_three_months: list[str] = field(default_factory=list)
    missing_commitments: list[tuple[Campaign, list[str]]] = field(default_factory=list)
    silent: list[tuple[Campaign, list[str]]] = field(default_factory=list)
    unreachable: list[tuple[str, Reachability]] = field(default_factory=list)
    overdue_tasks: list[tuple[MeetingTask, str]] = field(default_factory=list)
    unacknowledged: list[tuple[Announcement, list[str]]] = field(default_factory=list)
    study_shortfalls: list[tuple[Announcement, list[str]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Tells whether nothing needs the committee's attention."""
        return not (
            self.unexcused
            or self.consecutive_excused
            or self.missed_three_months
            or any(names for _, names in self.missing_commitments)
            or any(names for _, names in self.silent)
            or self.unreachable
            or self.overdue_tasks
            or self.unacknowledged
            or self.study_shortfalls
        )


def _cell_meetings(org_id: int) -> list[ColumnElement[bool]]:
    return [
        col(Meeting.org_id) == org_id,
        col(Meeting.status) == MeetingStatus.SCHEDULED,
        col(Meeting.kind).in_(list(CELL_MEETINGS)),
    ]


def _next_meeting(session: Session, org_id: int, now: datetime) -> tuple[Meeting | None, int]:
    meeting = session.exec(
        select(Meeting)
        .where(*_cell_meetings(org_id), col(Meeting.starts_at) > now)
        .order_by(col(Meeting.starts_at))
    ).first()
    if meeting is None:
        return None, 0
    documents = session.exec(
        select(func.count())
        .select_from(MeetingDocument)
        .where(MeetingDocument.meeting_id == meeting.id)
    ).one()
    return meeting, int(documents)


def _last_meeting(session: Session, org_id: int, now: datetime) -> Meeting | None:
    """The newest cell meeting whose roll call was closed."""
    return session.exec(
        select(Meeting)
        .where(
            *_cell_meetings(org_id),
            col(Meeting.starts_at) <= now,
            col(Meeting.roll_call_closed_at).is_not(None),
        )
        .order_by(col(Meeting.starts_at).desc())
    ).first()


def _statuses(session: Session, round_id: int) -> dict[ItemStatus, int]:
    rows = session.exec(
        select(CheckIn.status, func.count())
        .where(CheckIn.round_id == round_id)
        .group_by(col(CheckIn.status))
    ).all()
    return {ItemStatus(status): int(n) for status, n in rows}


def _campaign_figures(session: Session, campaign: Campaign) -> CampaignFigures:
    progress = campaigns.progress(session=session, campaign=campaign)
    latest = checkins.latest_round(session=session, campaign_id=campaign.id or 0)
    round_ = None
    statuses: dict[ItemStatus, int] = {}
    if latest is not None:
        round_ = checkins.round_figures(session=session, round_=latest)
        statuses = _statuses(session, latest.id or 0)
    examples = self_reviews.commendations(session=session, campaign_id=campaign.id or 0)
    return CampaignFigures(
        campaign=campaign,
        progress=progress,
        round=round_,
        statuses=statuses,
        examples=examples[-MAX_EXAMPLES:][::-1],
    )


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _quarter_end(day: date) -> date:
    start = _quarter_start(day)
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def _upcoming(session: Session, org: Organisation, today: date) -> list[Upcoming]:
    out: list[Upcoming] = []
    for year in (today.year, today.year + 1):
        for day, month, kind in COMMEMORATIONS:
            when = date(year, month, day)
            if today <= when <= today + LOOK_AHEAD:
                out.append(Upcoming(when, kind))
    if today.month in (6, 7):
        out.append(Upcoming(date(today.year, 7, 31), "mid_review"))
    if today.month == 12:
        out.append(Upcoming(date(today.year, 12, 31), "year_review"))
    zone = ZoneInfo(org.timezone)
    start = datetime.combine(_quarter_start(today), time(0), tzinfo=zone)
    end = datetime.combine(_quarter_end(today) + timedelta(days=1), time(0), tzinfo=zone)
    themed = session.exec(
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.org_id == org.id,
            col(Meeting.status) == MeetingStatus.SCHEDULED,
            col(Meeting.kind).in_(list(THEMED)),
            col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
        )
    ).one()
    if not themed:
        out.append(Upcoming(_quarter_end(today), "thematic_due"))
    return sorted(out, key=lambda u: u.day)


def _awaiting(session: Session, org_id: int, now: datetime) -> list[AwaitingAck]:
    """Recent announcements asking for "✅ Đã nắm" that not everyone reached confirmed (one
    query, whatever the cell's size)."""
    done = func.sum(
        case(
            (
                col(AnnouncementRecipient.acked_at).is_not(None)
                | col(AnnouncementRecipient.told_in_person_at).is_not(None),
                1,
            ),
            else_=0,
        )
    )
    rows = session.exec(
        select(Announcement, func.count(col(AnnouncementRecipient.id)), done)
        .join(
            AnnouncementRecipient,
            col(AnnouncementRecipient.announcement_id) == col(Announcement.id),
        )
        .where(
            Announcement.org_id == org_id,
            col(Announcement.kind) == AnnouncementKind.NOTICE,
            col(Announcement.status) == AnnouncementStatus.SENT,
            col(Announcement.ack_required).is_(True),
            col(Announcement.sent_at) >= now - ANNOUNCEMENT_WINDOW,
            col(AnnouncementRecipient.chat_id).is_not(None),
        )
        .group_by(col(Announcement.id))
        .order_by(col(Announcement.sent_at))
    ).all()
    return [
        AwaitingAck(announcement, int(audience), int(acked or 0))
        for announcement, audience, acked in rows
        if int(acked or 0) < int(audience)
    ]


def _studies(session: Session, org_id: int, now: datetime) -> list[study.Participation]:
    """Study campaigns under way (or whose deadline passed within a week), with who took part
    (a fixed number of statements per campaign)."""
    found = session.exec(
        select(Announcement)
        .where(
            Announcement.org_id == org_id,
            col(Announcement.kind) == AnnouncementKind.STUDY,
            col(Announcement.status) == AnnouncementStatus.SENT,
            (col(Announcement.deadline) >= now - STUDY_GRACE)
            | (
                col(Announcement.deadline).is_(None)
                & (col(Announcement.sent_at) >= now - ANNOUNCEMENT_WINDOW)
            ),
        )
        .order_by(col(Announcement.sent_at))
    ).all()
    return [study.participation(session=session, announcement=a) for a in found]


def digest_figures(*, session: Session, org: Organisation, now: datetime) -> DigestFigures:
    """Returns the cell's digest at `now` (a fixed number of statements per open campaign; the
    roster, asked for by several figures, read once)."""
    with members.roster_snapshot(session=session, org_id=org.id or 0):
        return _digest_figures(session, org, now)


def _digest_figures(session: Session, org: Organisation, now: datetime) -> DigestFigures:
    org_id = org.id or 0
    today = campaigns.local_today(org, now)
    next_meeting, documents = _next_meeting(session, org_id, now)
    last = _last_meeting(session, org_id, now)
    last_figures = attendance.meeting_figures(session=session, meeting=last) if last else None
    found = [
        _campaign_figures(session, c)
        for c in campaigns.open_campaigns(session=session, org_id=org_id)
        if c.kind != CampaignKind.PACT  # nobody registers for the cell's pact
    ]
    return DigestFigures(
        org=org,
        today=today,
        next_meeting=next_meeting,
        next_documents=documents,
        last_meeting=last,
        last_figures=last_figures,
        campaigns=found,
        upcoming=_upcoming(session, org, today),
        awaiting=_awaiting(session, org_id, now),
        studies=_studies(session, org_id, now),
        pacts=pacts.open_pacts(session=session, org_id=org_id),
    )


def _overdue(session: Session, org_id: int, today: date) -> list[tuple[MeetingTask, str]]:
    rows = session.exec(
        select(MeetingTask, Member.full_name)
        .join(Meeting, col(Meeting.id) == col(MeetingTask.meeting_id))
        .join(Member, col(Member.id) == col(MeetingTask.owner_member_id))
        .where(
            Meeting.org_id == org_id,
            col(MeetingTask.due_on) < today,
            col(MeetingTask.due_on) >= today - OVERDUE_WINDOW,
            col(MeetingTask.done_at).is_(None),
        )
        .order_by(col(MeetingTask.due_on), col(MeetingTask.id))
    ).all()
    return [(task, name) for task, name in rows]


def exceptions(*, session: Session, figures: DigestFigures) -> Exceptions:
    """Returns what the committee must see privately, from the digest's figures."""
    with members.roster_snapshot(session=session, org_id=figures.org.id or 0):
        return _exceptions(session, figures)


def _exceptions(session: Session, figures: DigestFigures) -> Exceptions:
    org_id = figures.org.id or 0
    last = figures.last_figures
    missing = []
    silent = []
    for found in figures.campaigns:
        by_member = found.progress.by_member
        registered = {member_id for member_id, state in by_member.items() if state in _REGISTERED}
        missing.append(
            (
                found.campaign,
                [m.full_name for m in found.progress.expected if m.id not in registered],
            )
        )
        if found.round is not None:
            silent.append((found.campaign, [m.full_name for m in found.round.silent]))
    unreachable: list[tuple[str, Reachability]] = [
        (entry.member.full_name, entry.reachability)
        for entry in roster_reads.roster(session=session, org_id=org_id)
        if entry.joined
        and entry.reachability in {Reachability.BLOCKED, Reachability.NEVER_STARTED}
    ]
    return Exceptions(
        unexcused=list(last.unexcused_names) if last else [],
        consecutive_excused=list(last.consecutive_excused) if last else [],
        missed_three_months=list(last.missed_three_months) if last else [],
        missing_commitments=missing,
        silent=silent,
        unreachable=unreachable,
        overdue_tasks=_overdue(session, org_id, figures.today),
        unacknowledged=_unacknowledged(session, figures.awaiting),
        study_shortfalls=[
            (found.announcement, [p.name for p in found.missing])
            for found in figures.studies
            if found.missing
        ],
    )


def _unacknowledged(
    session: Session, awaiting: list[AwaitingAck]
) -> list[tuple[Announcement, list[str]]]:
    """Who has not confirmed each announcement awaiting acknowledgement (one query)."""
    if not awaiting:
        return []
    ids = [a.announcement.id for a in awaiting]
    names: dict[int, list[str]] = {}
    for announcement_id, name in session.exec(
        select(AnnouncementRecipient.announcement_id, Member.full_name)
        .join(Member, col(Member.id) == col(AnnouncementRecipient.member_id))
        .where(
            col(AnnouncementRecipient.announcement_id).in_(ids),
            col(AnnouncementRecipient.chat_id).is_not(None),
            col(AnnouncementRecipient.acked_at).is_(None),
            col(AnnouncementRecipient.told_in_person_at).is_(None),
        )
        .order_by(col(AnnouncementRecipient.member_id))
    ).all():
        names.setdefault(announcement_id, []).append(name)
    return [(a.announcement, names.get(a.announcement.id or 0, [])) for a in awaiting]
