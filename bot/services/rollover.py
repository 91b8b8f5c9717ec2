"""Monthly series: the next occurrence of each, created once even with two processes ticking."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.db import insert_for
from bot.models import Meeting, MeetingKind, MeetingSeries, Organisation
from bot.services.meetings import DEFAULT_OFFSETS, next_occurrence, sync_reminders


def add_occurrence(*, session: Session, meeting: Meeting) -> Meeting | None:
    """Inserts a series' next meeting unless that series already has one at that start (a
    concurrent tick made it): then nothing happens and None is returned. One statement; on
    PostgreSQL a racing insert waits for the other transaction, then does nothing."""
    table = Meeting.__table__  # type: ignore[attr-defined]
    values = {column.name: getattr(meeting, column.name) for column in table.columns}
    values.pop("id")
    insert = insert_for(session)
    stmt = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["series_id", "starts_at"])
        .returning(table.c.id)
    )
    new_id = session.execute(stmt).scalar_one_or_none()
    return None if new_id is None else session.get(Meeting, new_id)


def extend_series(*, session: Session, now: datetime) -> list[Meeting]:
    """Creates the next occurrence of every monthly series whose latest meeting has started;
    safe in two processes at once: an occurrence is created once."""
    created: list[Meeting] = []
    for series in session.exec(select(MeetingSeries).where(col(MeetingSeries.ended_at).is_(None))):
        latest = session.exec(
            select(Meeting)
            .where(Meeting.series_id == series.id)
            .order_by(col(Meeting.starts_at).desc())
        ).first()
        if latest is None or latest.starts_at > now:
            continue
        org = session.get(Organisation, series.org_id)
        if org is None:
            continue
        # One meeting a month: the next is in the month after the latest one's, even if that
        # one was moved away from its usual day.
        tz = ZoneInfo(org.timezone)
        local = latest.starts_at.astimezone(tz)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        month_start = datetime(year, month, 1, tzinfo=tz) - timedelta(seconds=1)
        starts = next_occurrence(series, month_start, tz)
        template = series.template
        meeting = add_occurrence(
            session=session,
            meeting=Meeting(
                org_id=series.org_id,
                series_id=series.id,
                kind=MeetingKind(template.get("kind", "regular")),
                # Each sinh hoạt chuyên đề has its own theme, set by the committee for each
                # occurrence ("no theme yet" until then); other kinds keep the template's.
                topic=""
                if template.get("kind") == MeetingKind.THEMATIC.value
                else template.get("topic", ""),
                starts_at=starts,
                duration_minutes=int(template.get("duration_minutes", 90)),
                place=template.get("place", ""),
                chair_member_id=template.get("chair_member_id"),
                presenter_member_id=template.get("presenter_member_id"),
                agenda=list(template.get("agenda", [])),
                reminder_offsets=list(template.get("reminder_offsets", DEFAULT_OFFSETS)),
                created_at=now,
                updated_at=now,
            ),
        )
        if meeting is None:
            continue
        sync_reminders(session=session, meeting=meeting, now=now)
        created.append(meeting)
    return created
