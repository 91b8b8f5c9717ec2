"""Meeting reminders the tick sends: found by due time, enqueued in bulk, never twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.i18n import Translator
from bot.models import (
    Meeting,
    MeetingReminder,
    MeetingStatus,
    Member,
    Organisation,
    Priority,
    Rsvp,
    RsvpAnswer,
)
from bot.render_meetings import check_in_keyboard, reminder_text, rsvp_keyboard, start_text
from bot.services import notices, outbox
from bot.ui import Screen

# A reminder found this much after its moment was delayed by downtime: it says so.
LATE_AFTER = timedelta(minutes=10)
BATCH = 500


@dataclass(frozen=True)
class ReminderReport:
    """What one pass did."""

    sent: int
    late: int
    skipped: int
    rows: int


def send_due(*, session: Session, now: datetime) -> ReminderReport:
    """Enqueues every due reminder with a fixed number of statements, whatever the cell sizes.

    A reminder whose meeting has started (or was cancelled) is skipped; one found late is sent
    with a note; dedupe keys carry the meeting version so an edited meeting reminds again.
    """
    due = session.exec(
        select(MeetingReminder, Meeting, Organisation)
        .join(Meeting, col(Meeting.id) == col(MeetingReminder.meeting_id))
        .join(Organisation, col(Organisation.id) == col(Meeting.org_id))
        .where(col(MeetingReminder.done_at).is_(None), col(MeetingReminder.due_at) <= now)
        .order_by(col(MeetingReminder.due_at))
        .limit(BATCH)
    ).all()
    if not due:
        return ReminderReport(0, 0, 0, 0)
    meeting_ids = list({meeting.id for _, meeting, _ in due if meeting.id is not None})
    org_ids = {org.id for _, _, org in due if org.id is not None}
    people = notices.recipients(session=session, org_ids=org_ids)
    # Only the chair's and the presenter's names are shown: looked up by id.
    named = {
        member_id
        for _, meeting, _ in due
        for member_id in (meeting.chair_member_id, meeting.presenter_member_id)
        if member_id is not None
    }
    names: dict[int, str] = {}
    if named:
        names = {
            member_id: name
            for member_id, name in session.exec(
                select(Member.id, Member.full_name).where(col(Member.id).in_(sorted(named)))
            )
            if member_id is not None
        }
    excused = {
        (meeting_id, member_id)
        for meeting_id, member_id in session.exec(
            select(Rsvp.meeting_id, Rsvp.member_id).where(
                col(Rsvp.meeting_id).in_(meeting_ids), Rsvp.answer == RsvpAnswer.EXCUSED
            )
        )
    }
    rows: list[dict[str, Any]] = []
    outcomes: dict[str, list[int]] = {"sent": [], "late": [], "skipped": []}
    # After downtime several reminders of one meeting can be due at once: only the nearest to
    # the start is still useful; the earlier ones are superseded.
    nearest: dict[int, int] = {}
    for reminder, meeting, _ in due:
        if reminder.offset_minutes and meeting.id is not None:
            nearest[meeting.id] = min(
                nearest.get(meeting.id, reminder.offset_minutes), reminder.offset_minutes
            )
    for reminder, meeting, org in due:
        assert reminder.id is not None
        assert org.id is not None
        current = reminder.version == meeting.version
        start = reminder.offset_minutes == 0
        if not start and nearest.get(meeting.id or 0) != reminder.offset_minutes:
            outcomes["skipped"].append(reminder.id)
            continue
        over = (
            meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
            if start
            else (meeting.starts_at)
        )
        if meeting.status != MeetingStatus.SCHEDULED or over <= now or not current:
            outcomes["skipped"].append(reminder.id)
            continue
        late = now - reminder.due_at > LATE_AFTER
        outcomes["late" if late else "sent"].append(reminder.id)
        audience = notices.for_meeting(people.get(org.id, []), meeting.kind)
        if start and not notices.group_sees(meeting.kind):
            # A họp chi ủy: "Tôi có mặt" to each committee member, never to the group.
            rows.extend(
                notices.fan_out_rows(
                    org=org,
                    people=audience,
                    build=partial(_start_screen, org=org, meeting=meeting),
                    key=f"start:{meeting.id}:v{meeting.version}",
                    now=now,
                    include_group=False,
                    expires_at=over,
                )
            )
            continue
        if start:
            # "Tôi có mặt" goes to the group, or to each member where the cell has none.
            rows.extend(
                notices.group_rows(
                    org=org,
                    people=audience,
                    build=partial(_start_screen, org=org, meeting=meeting),
                    key=f"start:{meeting.id}:v{meeting.version}",
                    now=now,
                    # "Tôi có mặt" is useful while the meeting lasts.
                    expires_at=over,
                )
            )
            continue
        last = reminder.offset_minutes == min(meeting.reminder_offsets)
        skip = {member_id for meeting_id, member_id in excused if meeting_id == meeting.id}

        # A late reminder says how long is really left, not how long it should have been.
        left = reminder.offset_minutes if not late else _time_left(meeting.starts_at - now)

        def build(
            t: Translator,
            m: Meeting = meeting,
            o: Organisation = org,
            offset: int = left,
            is_late: bool = late,
        ) -> Screen:
            return Screen(reminder_text(t, m, o, names, offset, is_late), rsvp_keyboard(t, m))

        rows.extend(
            notices.fan_out_rows(
                org=org,
                people=audience,
                build=build,
                key=f"reminder:{meeting.id}:v{meeting.version}:{reminder.offset_minutes}",
                now=now,
                include_group=last and notices.group_sees(meeting.kind),
                skip_member_ids=skip,
                priority=Priority.BULK,
                # "2 hours left" is wrong once the meeting started: never sent after that.
                expires_at=meeting.starts_at,
            )
        )
    new_rows = outbox.enqueue_many(session=session, rows=rows)
    for outcome, ids in outcomes.items():
        if ids:
            session.execute(
                update(MeetingReminder)
                .where(col(MeetingReminder.id).in_(ids))
                .values(done_at=now, outcome=outcome)
            )
    return ReminderReport(
        sent=len(outcomes["sent"]),
        late=len(outcomes["late"]),
        skipped=len(outcomes["skipped"]),
        rows=new_rows,
    )


def _time_left(delta: timedelta) -> int:
    """Rounds the time left down to whole days, hours or minutes, as a person would say it."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    if minutes >= 24 * 60:
        return minutes // (24 * 60) * 24 * 60
    if minutes >= 60:
        return minutes // 60 * 60
    return minutes


def _start_screen(t: Translator, *, org: Organisation, meeting: Meeting) -> Screen:
    return Screen(start_text(t, meeting, org), check_in_keyboard(t, meeting))


def next_due_at(*, session: Session) -> datetime | None:
    """Returns when the next pending reminder is due (the sandbox's "next item" button)."""
    return session.exec(
        select(MeetingReminder.due_at)
        .where(col(MeetingReminder.done_at).is_(None))
        .order_by(col(MeetingReminder.due_at))
        .limit(1)
    ).first()
