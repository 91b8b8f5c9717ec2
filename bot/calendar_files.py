"""Meetings as iCalendar (.ics) files members can add to a phone calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.i18n import Translator
from bot.models import Meeting, Organisation
from bot.render_meetings import kind_label


def meeting_ics(t: Translator, meeting: Meeting, org: Organisation, now: datetime) -> bytes:
    """Returns one VEVENT for the meeting, with an alarm per reminder offset."""
    calendar = Calendar()
    calendar.add("prodid", "-//chibot//meetings//VI")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@chibot")
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + timedelta(minutes=meeting.duration_minutes))
    title = kind_label(t, meeting.kind)
    if meeting.topic:
        title = f"{title}: {meeting.topic}"
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
    return bytes(calendar.to_ical())
