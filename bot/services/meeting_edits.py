"""Changing the details of a scheduled meeting (its time, place, theme, people, agenda, length
and reminders) as one new version, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col

from bot.db import rowcount
from bot.models import Meeting, Person, Rsvp
from bot.services import audit, members
from bot.services.errors import InvalidInput, NotFound
from bot.services.meetings import (
    _changed,
    _check_start,
    _editable,
    parse_agenda,
    sync_reminders,
    validate_place,
    validate_topic,
)


class Keep(Enum):
    """Marks a detail an edit leaves as it is (None is a value: "nobody")."""

    KEEP = "keep"


KEEP = Keep.KEEP
SHORTEST_MINUTES, LONGEST_MINUTES = 15, 8 * 60


@dataclass(frozen=True)
class MeetingEdit:
    """The details of one meeting to change; what is left at its default stays as it is."""

    starts_at: datetime | None = None
    place: str | None = None
    topic: str | None = None
    duration_minutes: int | None = None
    chair_member_id: int | Keep | None = KEEP
    presenter_member_id: int | Keep | None = KEEP
    agenda: list[str] | None = None
    reminder_offsets: list[int] | None = None


def _details(meeting: Meeting) -> dict[str, Any]:
    return {
        "starts_at": meeting.starts_at.isoformat(),
        "place": meeting.place,
        "topic": meeting.topic,
        "duration_minutes": meeting.duration_minutes,
        "chair_member_id": meeting.chair_member_id,
        "presenter_member_id": meeting.presenter_member_id,
        "agenda": list(meeting.agenda),
        "reminder_offsets": list(meeting.reminder_offsets),
    }


def _person_of(session: Session, meeting: Meeting, member_id: int | None) -> int | None:
    """Checks that a chosen chair or presenter is a current member of the meeting's cell."""
    if member_id is not None and not members.names_by_id(
        session=session, org_id=meeting.org_id, member_ids=[member_id]
    ):
        raise NotFound("member_not_found")
    return member_id


def edit_meeting(
    *,
    session: Session,
    meeting_id: int,
    version: int,
    actor: Person,
    now: datetime,
    edit: MeetingEdit,
) -> Meeting:
    """Changes any details of one meeting (one occurrence of a series) at once, as one new
    version: committee only, refused on an outdated version; the reminders follow the new
    time and offsets, and a new time clears the answers given for the old one."""
    meeting, acting = _editable(session, meeting_id, version, actor, now)
    before = _details(meeting)
    if edit.starts_at is not None and edit.starts_at != meeting.starts_at:
        _check_start(edit.starts_at, now)
        meeting.starts_at = edit.starts_at
        cleared = session.execute(delete(Rsvp).where(col(Rsvp.meeting_id) == meeting_id))
        before["answers_cleared"] = rowcount(cleared)
    if edit.place is not None:
        meeting.place = validate_place(edit.place)
    if edit.topic is not None:
        meeting.topic = validate_topic(edit.topic)
    if edit.duration_minutes is not None:
        if not SHORTEST_MINUTES <= edit.duration_minutes <= LONGEST_MINUTES:
            raise InvalidInput("bad_duration", least=SHORTEST_MINUTES, most=LONGEST_MINUTES // 60)
        meeting.duration_minutes = edit.duration_minutes
    if edit.chair_member_id is not KEEP:
        meeting.chair_member_id = _person_of(session, meeting, edit.chair_member_id)
    if edit.presenter_member_id is not KEEP:
        meeting.presenter_member_id = _person_of(session, meeting, edit.presenter_member_id)
    if edit.agenda is not None:
        meeting.agenda = parse_agenda("\n".join(edit.agenda)) if edit.agenda else []
    if edit.reminder_offsets is not None:
        if any(not 0 < m <= 30 * 24 * 60 for m in edit.reminder_offsets):
            raise InvalidInput("bad_offsets")
        meeting.reminder_offsets = sorted(set(edit.reminder_offsets), reverse=True)
    after = _details(meeting)
    changed = {k for k in after if after[k] != before[k]}
    old = {k: v for k, v in before.items() if k in changed or k == "answers_cleared"}
    new = {k: after[k] for k in sorted(changed)}
    if changed - {"reminder_offsets"}:
        return _changed(session, meeting, acting, "meeting.update", old, new, now)
    if changed:
        # The reminders alone are the committee's setting: what members were sent still holds,
        # so the version (which the notice's answer buttons carry) stays.
        meeting.updated_at = now
        session.add(meeting)
        session.flush()
        sync_reminders(session=session, meeting=meeting, now=now)
        audit.record_action(
            session=session,
            org_id=meeting.org_id,
            actor_person_id=acting.person_id,
            actor_label=acting.full_name,
            action="meeting.reminders",
            target=f"#{meeting.id}",
            before=old,
            after=new,
            now=now,
        )
    return meeting
