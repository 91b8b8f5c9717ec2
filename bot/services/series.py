"""Repeating meetings: each occurrence announced once, the rest of a series cancelled at once,
and the series' rule as an iCalendar RRULE."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from bot.i18n import Translator
from bot.models import (
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
    Organisation,
    Person,
    Recurrence,
)
from bot.render_meetings import notice_text, rsvp_keyboard
from bot.services import audit, meetings, members, notices, outbox
from bot.services.errors import Conflict, NotFound
from bot.ui import Button, Screen, choice

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _notice(
    t: Translator, *, meeting: Meeting, org: Organisation, names: dict[int, str]
) -> Screen:
    return Screen(notice_text(t, meeting, org, names), rsvp_keyboard(t, meeting))


def announce_occurrences(*, session: Session, now: datetime) -> list[Meeting]:
    """Queues the notice (with the RSVP buttons) of every occurrence the tick made and has not
    announced yet, before its reminders: once each (the meeting is marked, and the dedupe keys
    are the form's), and never for an occurrence that has already started."""
    due = session.exec(
        select(Meeting).where(
            col(Meeting.announced_at).is_(None),
            col(Meeting.series_id).is_not(None),
            col(Meeting.status) == MeetingStatus.SCHEDULED,
            col(Meeting.starts_at) > now,
        )
    ).all()
    for meeting in due:
        org = session.get(Organisation, meeting.org_id)
        if org is None:
            continue
        names = members.names_by_id(
            session=session,
            org_id=meeting.org_id,
            member_ids=[meeting.chair_member_id, meeting.presenter_member_id],
        )
        notices.announce_meeting(
            session=session,
            org=org,
            kind=meeting.kind,
            build=partial(_notice, meeting=meeting, org=org, names=names),
            key=f"notice:{meeting.id}:v{meeting.version}",
            now=now,
            # An RSVP request: answers close when the meeting starts.
            expires_at=meeting.starts_at,
        )
        if meeting.kind == MeetingKind.THEMATIC and not meeting.topic:
            _ask_theme(session=session, meeting=meeting, org=org, now=now)
        meeting.announced_at = now
        session.add(meeting)
    return list(due)


def _theme_request(t: Translator, *, meeting: Meeting) -> Screen:
    text = t.gettext(
        "The thematic meeting (sinh hoạt chuyên đề) at {when} has no theme yet. Would you "
        "set its theme, comrade?",
        when=t.when_text(meeting.starts_at),
    )
    return Screen(
        text, [[Button(t.gettext("✏️ Set the theme"), data=choice("mt", meeting.id or 0))]]
    )


def _ask_theme(*, session: Session, meeting: Meeting, org: Organisation, now: datetime) -> None:
    """Asks the committee, privately, for the theme of an occurrence made without one."""
    assert org.id is not None
    committee = [
        r for r in notices.recipients(session=session, org_ids=[org.id])[org.id] if r.committee
    ]
    rows = notices.fan_out_rows(
        org=org,
        people=committee,
        build=partial(_theme_request, meeting=meeting),
        key=f"theme-ask:{meeting.id}",
        now=now,
        include_group=False,
        expires_at=meeting.starts_at,
    )
    outbox.enqueue_many(session=session, rows=rows)


def series_of(*, session: Session, meeting: Meeting) -> MeetingSeries | None:
    """Returns the series a meeting belongs to, if any."""
    if meeting.series_id is None:
        return None
    return session.get(MeetingSeries, meeting.series_id)


def cancel_series(
    *, session: Session, meeting_id: int, version: int, actor: Person, now: datetime
) -> tuple[Meeting, MeetingSeries]:
    """Cancels this occurrence and every later one of its series, and ends the series so the
    tick makes no more; committee only. Returns this occurrence and the series."""
    series = series_of(
        session=session, meeting=meetings.get_meeting(session=session, meeting_id=meeting_id)
    )
    if series is None:
        raise NotFound("meeting_not_found")
    if series.ended_at is not None:
        raise Conflict("meeting_cancelled")
    meeting = meetings.cancel_meeting(
        session=session, meeting_id=meeting_id, version=version, actor=actor, now=now
    )
    later = session.exec(
        select(Meeting).where(
            Meeting.series_id == series.id,
            col(Meeting.status) == MeetingStatus.SCHEDULED,
            col(Meeting.starts_at) > meeting.starts_at,
        )
    ).all()
    for other in later:
        meetings.cancel_meeting(
            session=session, meeting_id=other.id or 0, version=other.version, actor=actor, now=now
        )
    series.ended_at = now
    session.add(series)
    acting = members.require_committee(session=session, person=actor, org_id=meeting.org_id)
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="series.end",
        target=f"series#{series.id}",
        before=None,
        after={"from": meeting.starts_at.isoformat(), "cancelled": 1 + len(later)},
        now=now,
    )
    return meeting, series


def rrule(series: MeetingSeries) -> dict[str, object]:
    """Returns the series' rule as iCalendar RRULE parts (as icalendar's vRecur takes them):
    monthly on a day (the 29th–31st falling on the last day of shorter months, as the tick
    does) or on the n-th (or last) weekday."""
    rule: dict[str, object] = {"FREQ": "MONTHLY"}
    if series.recurrence == Recurrence.MONTHLY_DAY:
        day = series.day_of_month or 1
        if day > 28:
            rule["BYMONTHDAY"] = list(range(28, day + 1))
            rule["BYSETPOS"] = -1
        else:
            rule["BYMONTHDAY"] = day
    else:
        rule["BYDAY"] = f"{series.nth or 1}{_WEEKDAYS[series.weekday or 0]}"
    if series.ended_at is not None:
        rule["UNTIL"] = series.ended_at
    return rule
