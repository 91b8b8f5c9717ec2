"""Meetings as iCalendar (.ics) files members can add to a phone calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from bot.i18n import Translator
from bot.models import Meeting, MeetingKind, MeetingSeries, Organisation
from bot.render_meetings import kind_label, no_theme
from bot.services.series import rrule


def meeting_ics(
    t: Translator,
    meeting: Meeting,
    org: Organisation,
    now: datetime,
    series: MeetingSeries | None = None,
) -> bytes:
    """Returns one VEVENT for the meeting, with an alarm per reminder offset; a meeting of a
    repeating series carries the series' rule (RRULE, from this meeting on, at the series'
    time), so one import puts every later meeting in the phone's calendar."""
    calendar = Calendar()
    calendar.add("prodid", "-//chibot//meetings//VI")
    calendar.add("version", "2.0")
    event = Event()
    starts = meeting.starts_at
    if series is not None and series.ended_at is None:
        # The series' identity, so that next month's file updates the same entry; local
        # times, so that the rule keeps the cell's wall clock.
        event.add("uid", f"series-{series.id}@chibot")
        starts = starts.astimezone(ZoneInfo(org.timezone))
        hour, minute = (int(part) for part in series.local_time.split(":"))
        event.add("rrule", {**rrule(series), "BYHOUR": hour, "BYMINUTE": minute})
    else:
        event.add("uid", f"meeting-{meeting.id}@chibot")
    event.add("dtstamp", now)
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=meeting.duration_minutes))
    title = kind_label(t, meeting.kind)
    if series is not None and series.ended_at is None and meeting.kind == MeetingKind.THEMATIC:
        pass  # every meeting of the series has its own theme: the repeating title has none
    elif meeting.topic:
        title = f"{title}: {meeting.topic}"
    elif meeting.kind == MeetingKind.THEMATIC:
        title = f"{title}: {no_theme(t)}"
    event.add("summary", f"{title} — {org.name}")
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.agenda:
        event.add("description", "\n".join(f"{i}. {a}" for i, a in enumerate(meeting.agenda, 1)))
    event.add("sequence", meeting.version)
    for offset in meeting.reminder_offsets:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", timedelta(minutes=-offset))
        event.add_component(alarm)
    calendar.add_component(event)
    if series is not None:
        calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
