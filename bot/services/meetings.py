"""Meetings: scheduling (one-off or monthly), editing, cancelling, RSVPs, and their reminders."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.db import rowcount
from bot.durations import duration_parts
from bot.models import (
    Meeting,
    MeetingKind,
    MeetingReminder,
    MeetingSeries,
    MeetingStatus,
    Member,
    Organisation,
    Person,
    Recurrence,
    Rsvp,
)
from bot.services import audit, members, outbox
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.text import clean_line, fold

DEFAULT_OFFSETS = [3 * 24 * 60, 24 * 60, 120]
MAX_TOPIC = 500
MAX_PLACE = 300
MAX_AGENDA_LINES = 20


@dataclass
class MeetingDraft:
    """What the create form collected (also the template of a monthly series)."""

    kind: MeetingKind
    starts_at: datetime
    topic: str = ""
    duration_minutes: int = 90
    place: str = ""
    chair_member_id: int | None = None
    presenter_member_id: int | None = None
    agenda: list[str] = field(default_factory=list)
    reminder_offsets: list[int] = field(default_factory=lambda: list(DEFAULT_OFFSETS))
    recurrence: Recurrence = Recurrence.NONE


def validate_topic(text: str) -> str:
    """Returns a cleaned topic or raises InvalidInput (too long)."""
    topic = clean_line(text)
    if len(topic) > MAX_TOPIC:
        raise InvalidInput("topic_too_long", limit=MAX_TOPIC)
    return topic


def validate_place(text: str) -> str:
    """Returns a cleaned place or link, or raises InvalidInput (empty, too long)."""
    place = clean_line(text)
    if not place:
        raise InvalidInput("place_empty")
    if len(place) > MAX_PLACE:
        raise InvalidInput("place_too_long", limit=MAX_PLACE)
    return place


def parse_agenda(text: str) -> list[str]:
    """Returns agenda lines (one per line, bullets stripped); raises on too many or too long."""
    lines = [clean_line(line).lstrip("-•*+ ").strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_AGENDA_LINES:
        raise InvalidInput("agenda_too_long", limit=MAX_AGENDA_LINES)
    if any(len(line) > 200 for line in lines):
        raise InvalidInput("agenda_line_too_long", limit=200)
    return lines


# --- recurrence --------------------------------------------------------------------------


def nth_weekday_of(local_day: date) -> tuple[int, int]:
    """Returns (weekday, n) of a day: the 4th Thursday → (3, 4); the last one → (3, -1) if n=5."""
    n = (local_day.day - 1) // 7 + 1
    return local_day.weekday(), (-1 if n == 5 else n)


def _month_day(year: int, month: int, series: MeetingSeries) -> date:
    last = calendar.monthrange(year, month)[1]
    if series.recurrence == Recurrence.MONTHLY_DAY:
        # A meeting on the 31st falls on the last day of shorter months (30th, 28th/29th).
        return date(year, month, min(series.day_of_month or 1, last))
    weekday = series.weekday or 0
    if series.nth == -1:
        day = last
        while date(year, month, day).weekday() != weekday:
            day -= 1
        return date(year, month, day)
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * ((series.nth or 1) - 1))


def next_occurrence(series: MeetingSeries, after: datetime, tz: ZoneInfo) -> datetime:
    """Returns the series' first start strictly after `after`; the wall-clock time is kept."""
    hour, minute = (int(part) for part in series.local_time.split(":"))
    local = after.astimezone(tz)
    year, month = local.year, local.month
    for _ in range(25):
        day = _month_day(year, month, series)
        start = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if start > after:
            return start.astimezone(ZoneInfo("UTC"))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    raise ValueError("no occurrence within two years")


# --- create, edit, cancel ------------------------------------------------------------------


def _check_start(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise InvalidInput("meeting_in_past")
    if starts_at > now + timedelta(days=731):
        raise InvalidInput("meeting_too_far")


def sync_reminders(*, session: Session, meeting: Meeting, now: datetime) -> None:
    """Derives the reminders of the meeting's current version; older versions' pending die."""
    assert meeting.id is not None
    session.execute(
        delete(MeetingReminder).where(
            col(MeetingReminder.meeting_id) == meeting.id,
            col(MeetingReminder.done_at).is_(None),
        )
    )
    if meeting.status != MeetingStatus.SCHEDULED:
        return
    # A reminder of this version already sent stays as it is (new offsets of the same version).
    done = set(
        session.exec(
            select(MeetingReminder.offset_minutes).where(
                MeetingReminder.meeting_id == meeting.id,
                MeetingReminder.version == meeting.version,
            )
        ).all()
    )
    # Offset 0 is the start: the group gets the self check-in button then.
    for offset in sorted({*meeting.reminder_offsets, 0} - done, reverse=True):
        due = meeting.starts_at - timedelta(minutes=offset)
        # A reminder whose moment passed before it existed is not sent: the notice covers it.
        session.add(
            MeetingReminder(
                meeting_id=meeting.id,
                version=meeting.version,
                offset_minutes=offset,
                due_at=due,
                done_at=now if due <= now else None,
                outcome="skipped" if due <= now else None,
            )
        )


def create_meeting(
    *, session: Session, org_id: int, draft: MeetingDraft, actor: Person, now: datetime
) -> Meeting:
    """Schedules a meeting (and its monthly series); committee only; derives its reminders."""
    acting = members.require_committee(session=session, person=actor, org_id=org_id)
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("org_not_found")
    _check_start(draft.starts_at, now)
    series_id = None
    if draft.recurrence != Recurrence.NONE:
        local = draft.starts_at.astimezone(ZoneInfo(org.timezone))
        weekday, nth = nth_weekday_of(local.date())
        series = MeetingSeries(
            org_id=org_id,
            recurrence=draft.recurrence,
            day_of_month=local.day if draft.recurrence == Recurrence.MONTHLY_DAY else None,
            weekday=weekday if draft.recurrence == Recurrence.MONTHLY_WEEKDAY else None,
            nth=nth if draft.recurrence == Recurrence.MONTHLY_WEEKDAY else None,
            local_time=f"{local.hour:02d}:{local.minute:02d}",
            template=_template(draft),
            created_at=now,
        )
        session.add(series)
        session.flush()
        series_id = series.id
    meeting = Meeting(
        org_id=org_id,
        series_id=series_id,
        kind=draft.kind,
        topic=draft.topic,
        starts_at=draft.starts_at,
        duration_minutes=draft.duration_minutes,
        place=draft.place,
        chair_member_id=draft.chair_member_id,
        presenter_member_id=draft.presenter_member_id,
        agenda=list(draft.agenda),
        reminder_offsets=sorted(set(draft.reminder_offsets), reverse=True),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
        # The form queues its notice in the same transaction.
        announced_at=now,
    )
    session.add(meeting)
    session.flush()
    sync_reminders(session=session, meeting=meeting, now=now)
    audit.record_action(
        session=session,
        org_id=org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="meeting.create",
        target=f"#{meeting.id}",
        before=None,
        after={
            "starts_at": meeting.starts_at.isoformat(),
            "kind": meeting.kind.value,
            "recurrence": draft.recurrence.value,
        },
        now=now,
    )
    return meeting


def _template(draft: MeetingDraft) -> dict[str, Any]:
    return {
        "kind": draft.kind.value,
        "topic": draft.topic,
        "duration_minutes": draft.duration_minutes,
        "place": draft.place,
        "chair_member_id": draft.chair_member_id,
        "presenter_member_id": draft.presenter_member_id,
        "agenda": draft.agenda,
        "reminder_offsets": draft.reminder_offsets,
    }


def get_meeting(*, session: Session, meeting_id: int) -> Meeting:
    """Returns a meeting or raises NotFound."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("meeting_not_found")
    return meeting


def _editable(
    session: Session, meeting_id: int, version: int, actor: Person, now: datetime
) -> tuple[Meeting, Member]:
    """Returns a meeting a committee member may still change, refusing an outdated form."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    acting = members.require_committee(session=session, person=actor, org_id=meeting.org_id)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    if meeting.starts_at <= now:
        raise Conflict("meeting_started")
    if meeting.version != version:
        raise Conflict("meeting_changed")
    return meeting, acting


def _changed(
    session: Session,
    meeting: Meeting,
    acting: Member,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> Meeting:
    """Bumps the version, re-derives the reminders, withdraws what was still waiting to be sent
    about the old version (an outage must not deliver the old time after the change), and
    writes the audit entry."""
    meeting.version += 1
    meeting.updated_at = now
    session.add(meeting)
    session.flush()
    sync_reminders(session=session, meeting=meeting, now=now)
    assert meeting.id is not None
    outbox.withdraw_meeting_messages(session=session, org_id=meeting.org_id, meeting_id=meeting.id)
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=acting.person_id,
        actor_label=acting.full_name,
        action=action,
        target=f"#{meeting.id}",
        before=before,
        after=after,
        now=now,
    )
    return meeting


def reschedule(
    *,
    session: Session,
    meeting_id: int,
    version: int,
    actor: Person,
    now: datetime,
    starts_at: datetime | None = None,
    place: str | None = None,
    topic: str | None = None,
) -> Meeting:
    """Moves a meeting, changes its place or its theme (an occurrence's own: the series'
    other meetings keep theirs); refuses an edit made on an outdated version."""
    meeting, acting = _editable(session, meeting_id, version, actor, now)
    before: dict[str, Any] = {
        "starts_at": meeting.starts_at.isoformat(),
        "place": meeting.place,
        "topic": meeting.topic,
    }
    if starts_at is not None and starts_at != meeting.starts_at:
        _check_start(starts_at, now)
        meeting.starts_at = starts_at
        # Answers were given for another time: they no longer count, and the change notice
        # asks everyone again (a new place alone keeps them).
        cleared = session.execute(delete(Rsvp).where(col(Rsvp.meeting_id) == meeting_id))
        before["answers_cleared"] = rowcount(cleared)
    if place is not None:
        meeting.place = validate_place(place)
    if topic is not None:
        meeting.topic = validate_topic(topic)
    after = {
        "starts_at": meeting.starts_at.isoformat(),
        "place": meeting.place,
        "topic": meeting.topic,
    }
    return _changed(session, meeting, acting, "meeting.update", before, after, now)


def cancel_meeting(
    *, session: Session, meeting_id: int, version: int, actor: Person, now: datetime
) -> Meeting:
    """Cancels a meeting (a monthly series goes on with its next occurrence)."""
    meeting, acting = _editable(session, meeting_id, version, actor, now)
    meeting.status = MeetingStatus.CANCELLED
    return _changed(
        session,
        meeting,
        acting,
        "meeting.cancel",
        {"status": "scheduled"},
        {"status": "cancelled"},
        now,
    )


def upcoming(
    *, session: Session, org_id: int, now: datetime, limit: int = 10, committee: bool = True
) -> list[Meeting]:
    """Returns scheduled meetings that have not ended yet, soonest first (without the họp chi
    ủy unless `committee`: they are for the committee alone)."""
    query = select(Meeting).where(
        Meeting.org_id == org_id,
        col(Meeting.status) == MeetingStatus.SCHEDULED,
        col(Meeting.starts_at) >= now - timedelta(hours=4),
    )
    if not committee:
        query = query.where(col(Meeting.kind) != MeetingKind.COMMITTEE)
    rows = session.exec(query.order_by(col(Meeting.starts_at)).limit(limit)).all()
    return [m for m in rows if m.starts_at + timedelta(minutes=m.duration_minutes) > now]


MAX_OFFSETS = 5


def parse_offsets(text: str) -> list[int]:
    """Reads reminder offsets such as "3 ngày, 1 ngày, 2 giờ", "1 tuần, 1 tiếng rưỡi" or
    "3d 1d 2h" (minutes, longest first; see bot.durations); "không" means no reminders."""
    if fold(clean_line(text)) in {"khong", "none", "no", "0"}:
        return []
    parts = duration_parts(text)
    if parts is None:
        raise InvalidInput("bad_offsets")
    offsets = set()
    for minutes in parts:
        if not 0 < minutes <= 30 * 24 * 60:
            raise InvalidInput("bad_offsets")
        offsets.add(minutes)
    if len(offsets) > MAX_OFFSETS:
        raise InvalidInput("too_many_offsets", limit=MAX_OFFSETS)
    return sorted(offsets, reverse=True)
