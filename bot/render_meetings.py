"""Meetings → localized notices, reminders, lists and keyboards."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, Translator
from bot.models import (
    Meeting,
    MeetingKind,
    MeetingSeries,
    Member,
    Organisation,
    OutboxStatus,
    Recurrence,
    Rsvp,
    RsvpAnswer,
)
from bot.services.rsvps import reason_code
from bot.text import escape
from bot.ui import Button, Keyboard, choice

KIND_LABELS = {
    MeetingKind.REGULAR: N_("Regular meeting (sinh hoạt thường kỳ)"),
    MeetingKind.THEMATIC: N_("Thematic meeting (sinh hoạt chuyên đề)"),
    MeetingKind.COMBINED: N_("Regular and thematic meeting (thường kỳ kết hợp chuyên đề)"),
    MeetingKind.COMMITTEE: N_("Committee meeting (họp chi ủy)"),
    MeetingKind.OTHER: N_("Other meeting"),
}


# The common reasons of an excused absence (see rsvps.REASON_CODES), in each reader's language.
REASON_LABELS = {
    "illness": N_("Illness"),
    "business_trip": N_("Business trip or study"),
    "family": N_("Family matters"),
}


def reason_text(t: Translator, stored: str | None) -> str:
    """Returns a stored reason as HTML for this reader: a common reason in their language,
    typed text escaped, an empty string when none was given."""
    code = reason_code(stored)
    if code is not None:
        return t.gettext(REASON_LABELS[code])
    return escape(stored or "")


def kind_label(t: Translator, kind: MeetingKind) -> str:
    """Returns the localized name of a meeting kind."""
    return t.gettext(KIND_LABELS[kind])


def offset_text(t: Translator, minutes: int) -> str:
    """Says how long before the meeting a reminder goes (3 days, 2 hours, 30 minutes)."""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return t.ngettext("{n} day", "{n} days", days)
    if minutes % 60 == 0:
        return t.ngettext("{n} hour", "{n} hours", minutes // 60)
    return t.ngettext("{n} minute", "{n} minutes", minutes)


def offsets_text(t: Translator, offsets: list[int]) -> str:
    """Lists reminder offsets, longest first."""
    if not offsets:
        return t.gettext("no reminders")
    return ", ".join(offset_text(t, m) for m in sorted(offsets, reverse=True))


def meeting_card(
    t: Translator,
    meeting: Meeting,
    org: Organisation,
    names: dict[int, str],
) -> str:
    """Returns the body every notice and reminder shares: kind, topic, time, place, people."""
    lines = [f"📅 <b>{kind_label(t, meeting.kind)}</b> — {escape(org.name)}"]
    if meeting.topic:
        topic = "<b>" + escape(meeting.topic) + "</b>"
        lines.append(t.gettext("Topic: {topic}", topic=topic))
    elif meeting.kind == MeetingKind.THEMATIC:
        lines.append(t.gettext("Topic: {topic}", topic="<i>" + no_theme(t) + "</i>"))
    lines.append(
        t.gettext(
            "🕖 {when} ({minutes} minutes)",
            when=t.when_text(meeting.starts_at),
            minutes=t.number(meeting.duration_minutes),
        )
    )
    if meeting.place:
        lines.append(f"📍 {escape(meeting.place)}")
    people = []
    if meeting.chair_member_id in names:
        people.append(
            t.gettext("Chair: comrade {name}", name=escape(names[meeting.chair_member_id or 0]))
        )
    if meeting.presenter_member_id in names:
        people.append(
            t.gettext(
                "Presenter: comrade {name}", name=escape(names[meeting.presenter_member_id or 0])
            )
        )
    if people:
        lines.append(" · ".join(people))
    if meeting.agenda:
        lines.append(t.gettext("Agenda:"))
        lines.extend(f"{i}. {escape(item)}" for i, item in enumerate(meeting.agenda, start=1))
    return "\n".join(lines)


def group_schedule_text(t: Translator, org: Organisation | None, meetings: list[Meeting]) -> str:
    """Returns /lichhop as a group sees it: the cell's upcoming meetings, one line each, and
    where each comrade answers (privately); `org` None: a group linked to no cell."""
    private = t.gettext(
        "Comrades, send /lichhop to me in a private chat to answer whether you will attend and "
        "to read the documents."
    )
    if org is None:
        return private
    if not meetings:
        return t.gettext("<b>{cell}</b> has no upcoming meetings.", cell=escape(org.name)) + (
            "\n\n" + private
        )
    lines = [t.gettext("📅 <b>Upcoming meetings of {cell}</b>", cell=escape(org.name))]
    for meeting in meetings:
        line = f"• {kind_label(t, meeting.kind)} — {t.when_text(meeting.starts_at)}"
        if meeting.topic:
            line += f": {escape(meeting.topic)}"
        if meeting.place:
            line += f" — 📍 {escape(meeting.place)}"
        lines.append(line)
    return "\n".join(lines) + "\n\n" + private


def rsvp_keyboard(t: Translator, meeting: Meeting) -> Keyboard:
    """Returns the two answer buttons every notice carries, with the meeting's version: a
    notice's buttons stop recording answers once the meeting changes."""
    mid, version = meeting.id or 0, meeting.version
    return [
        [
            Button(t.gettext("✅ Attending"), data=choice("rv", mid, "a", version)),
            Button(t.gettext("🙏 Excused absence"), data=choice("rv", mid, "x", version)),
        ]
    ]


def notice_text(t: Translator, meeting: Meeting, org: Organisation, names: dict[int, str]) -> str:
    """Returns the announcement of a newly scheduled meeting."""
    return (
        t.gettext("<b>Meeting notice</b>")
        + "\n"
        + meeting_card(t, meeting, org, names)
        + "\n\n"
        + (
            t.gettext("Comrades, please let the cell know whether you will attend.")
            if t.group
            else t.gettext("Please let the cell know whether you will attend.")
        )
    )


def reminder_text(
    t: Translator,
    meeting: Meeting,
    org: Organisation,
    names: dict[int, str],
    offset: int,
    late: bool,
) -> str:
    """Returns a reminder; one sent after downtime says so."""
    head = t.gettext("⏰ <b>Reminder</b>: the meeting is in {left}.", left=offset_text(t, offset))
    text = head + "\n" + meeting_card(t, meeting, org, names)
    if late:
        text += "\n\n" + t.gettext("(This reminder is late: the bot was briefly unavailable.)")
    return text


def change_text(
    t: Translator,
    meeting: Meeting,
    org: Organisation,
    names: dict[int, str],
    before: Meeting | None = None,
) -> str:
    """Returns the notice of a changed meeting: what changed (old → new), the new details,
    and, after a move, the request to answer again. `names` has the chair and presenter of
    before and after."""
    lines = [
        t.gettext("🔁 <b>Meeting changed</b> — comrades, please note the new details:")
        if t.group
        else t.gettext("🔁 <b>Meeting changed</b> — please note the new details:")
    ]
    if before is not None:
        lines.extend(change_lines(t, before, meeting, names))
    lines.append(meeting_card(t, meeting, org, names))
    if before is not None and before.starts_at != meeting.starts_at:
        lines.append(
            t.gettext(
                "The time changed, so earlier answers no longer count: comrades, please answer "
                "again."
            )
            if t.group
            else t.gettext(
                "The time changed, so earlier answers no longer count: please answer again."
            )
        )
    return "\n".join(lines)


def no_theme(t: Translator) -> str:
    """What an occurrence of a repeating sinh hoạt chuyên đề shows until its theme is set."""
    return t.gettext("no theme yet")


def series_rule_text(t: Translator, series: MeetingSeries) -> str:
    """Says how a series repeats: "monthly on day 15", "monthly on the last Friday"."""
    if series.recurrence == Recurrence.MONTHLY_DAY:
        return t.gettext("monthly on day {day}", day=series.day_of_month or 1)
    # 2 January 2023 was a Monday: its weekday's name in the reader's language.
    weekday = t.weekday_date_text(datetime(2023, 1, 2 + (series.weekday or 0), 12, tzinfo=t.tz))
    weekday = weekday.split(",")[0]
    if series.nth == -1:
        return t.gettext("monthly on the last {weekday}", weekday=weekday)
    return t.gettext("monthly on {weekday} of week {n}", weekday=weekday, n=series.nth or 1)


def series_cancel_text(
    t: Translator, meeting: Meeting, series: MeetingSeries, org: Organisation
) -> str:
    """Returns the one notice that a repeating meeting stops: from which occurrence on."""
    return t.gettext(
        "❌ <b>Repeating meeting cancelled</b>: the {kind} of {cell} held {rule} at {time} "
        "will not take place from {when} on, and no further meetings of this series will be "
        "scheduled.",
        kind=kind_label(t, meeting.kind).lower(),
        cell=escape(org.name),
        rule=series_rule_text(t, series),
        time=series.local_time,
        when=t.when_text(meeting.starts_at),
    )


def change_lines(
    t: Translator, before: Meeting, after: Meeting, names: dict[int, str]
) -> list[str]:
    """Returns one "old → new" line per detail members care about that changed."""
    none = "—"

    def person(member_id: int | None) -> str:
        return escape(names.get(member_id or 0, none)) if member_id is not None else none

    lines = []
    if before.topic != after.topic:
        lines.append(
            t.gettext(
                "📝 Topic: {old} → <b>{new}</b>",
                old=escape(before.topic) if before.topic else no_theme(t),
                new=escape(after.topic) if after.topic else no_theme(t),
            )
        )
    if before.starts_at != after.starts_at:
        lines.append(
            t.gettext(
                "🕖 Time: {old} → <b>{new}</b>",
                old=t.when_text(before.starts_at),
                new=t.when_text(after.starts_at),
            )
        )
    if before.duration_minutes != after.duration_minutes:
        lines.append(
            t.gettext(
                "⏱ Length: {old} → <b>{new}</b> minutes",
                old=t.number(before.duration_minutes),
                new=t.number(after.duration_minutes),
            )
        )
    if before.place != after.place:
        lines.append(
            t.gettext(
                "📍 Place: {old} → <b>{new}</b>",
                old=escape(before.place or none),
                new=escape(after.place or none),
            )
        )
    if before.chair_member_id != after.chair_member_id:
        lines.append(
            t.gettext(
                "👤 Chair: {old} → <b>{new}</b>",
                old=person(before.chair_member_id),
                new=person(after.chair_member_id),
            )
        )
    if before.presenter_member_id != after.presenter_member_id:
        lines.append(
            t.gettext(
                "🎤 Presenter: {old} → <b>{new}</b>",
                old=person(before.presenter_member_id),
                new=person(after.presenter_member_id),
            )
        )
    if list(before.agenda) != list(after.agenda):
        lines.append(
            t.gettext(
                "📋 Agenda: {old} → <b>{new}</b>",
                old=escape("; ".join(before.agenda) or none),
                new=escape("; ".join(after.agenda) or none),
            )
        )
    return lines


def cancel_text(t: Translator, meeting: Meeting, org: Organisation) -> str:
    """Returns the notice of a cancelled meeting."""
    return t.gettext(
        "❌ <b>Meeting cancelled</b>: {kind} of {cell} at {when} will not take place.",
        kind=kind_label(t, meeting.kind),
        cell=escape(org.name),
        when=t.when_text(meeting.starts_at),
    )


def rsvp_label(t: Translator, answer: RsvpAnswer | None) -> str:
    """Returns how a member answered."""
    if answer == RsvpAnswer.ATTENDING:
        return t.gettext("you will attend")
    if answer == RsvpAnswer.EXCUSED:
        return t.gettext("you will be absent (excused)")
    return t.gettext("you have not answered yet")


def answers_text(
    t: Translator, meeting: Meeting, expected: list[Member], answers: dict[int, Rsvp]
) -> str:
    """Returns, for the committee, who attends, who is excused (and why), who is silent."""
    attending = [
        m for m in expected if m.id in answers and answers[m.id].answer == RsvpAnswer.ATTENDING
    ]
    excused = [
        m for m in expected if m.id in answers and answers[m.id].answer == RsvpAnswer.EXCUSED
    ]
    silent = [m for m in expected if m.id not in answers]
    lines = [
        t.gettext(
            "<b>Answers</b> — {kind}, {when}",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        ),
        t.gettext("Attending: {n}", n=t.number(len(attending))),
    ]
    lines.extend(f"  • {escape(m.full_name)}" for m in attending)
    lines.append(t.gettext("Excused: {n}", n=t.number(len(excused))))
    for m in excused:
        reason = reason_text(t, answers[m.id or 0].reason) or t.gettext("reason not given yet")
        lines.append(f"  • {escape(m.full_name)} — {reason}")
    lines.append(t.gettext("No answer yet: {n}", n=t.number(len(silent))))
    lines.extend(f"  • {escape(m.full_name)}" for m in silent)
    return "\n".join(lines)


def start_text(t: Translator, meeting: Meeting, org: Organisation) -> str:
    """Returns the group message at the start: the self check-in."""
    return t.gettext(
        "🔔 The {kind} of {cell} is starting now. Comrades present, please tap “I am here”.",
        kind=kind_label(t, meeting.kind),
        cell=escape(org.name),
    )


def check_in_keyboard(t: Translator, meeting: Meeting) -> Keyboard:
    """Returns the self check-in button."""
    return [[Button(t.gettext("✋ I am here"), data=choice("ci", meeting.id or 0))]]


def delivery_text(t: Translator, counts: dict[OutboxStatus, int]) -> str | None:
    """Returns, for the committee, how the meeting's notice and reminders were delivered:
    sent, still waiting, expired unsent (no longer useful after an outage), not delivered."""
    if not counts:
        return None
    waiting = counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0)
    expired = counts.get(OutboxStatus.EXPIRED, 0)
    failed = sum(
        counts.get(status, 0)
        for status in (OutboxStatus.FAILED, OutboxStatus.BLOCKED, OutboxStatus.QUOTA)
    )
    parts = [t.gettext("sent {n}", n=t.number(counts.get(OutboxStatus.SENT, 0)))]
    if waiting:
        parts.append(t.gettext("waiting {n}", n=t.number(waiting)))
    if expired:
        parts.append(t.gettext("expired {n}", n=t.number(expired)))
    if failed:
        parts.append(t.gettext("not delivered {n}", n=t.number(failed)))
    return t.gettext("📨 Notice and reminders: {figures}.", figures=", ".join(parts))
