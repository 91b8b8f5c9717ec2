"""Members' answers to a meeting notice (tham dự / vắng có lý do), open until it starts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.models import (
    COMMITTEE_ROLES,
    EXPECTED_STATUSES,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    Person,
    Rsvp,
    RsvpAnswer,
)
from bot.services import members
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from bot.services.meetings import get_meeting
from bot.text import clean_line

MAX_REASON = 500


def answer_rsvp(
    *,
    session: Session,
    meeting_id: int,
    person: Person,
    answer: RsvpAnswer,
    now: datetime,
    reason: str | None = None,
    version: int | None = None,
) -> tuple[Meeting, Member, Rsvp]:
    """Records a member's answer; open until the meeting starts. With `version` (the buttons
    of a notice carry the meeting's version), an answer to an outdated notice is refused: the
    meeting changed since, and the newer notice asks again."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    member = members.membership_in(session=session, person=person, org_id=meeting.org_id)
    if member is None:
        raise NotAllowed("not_in_this_cell")
    if meeting.kind == MeetingKind.COMMITTEE and member.role not in COMMITTEE_ROLES:
        raise NotAllowed("committee_meeting")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    if meeting.starts_at <= now:
        raise Conflict("meeting_started")
    if version is not None and version != meeting.version:
        raise Conflict("notice_outdated")
    if reason is not None:
        reason = clean_line(reason)
        if not reason:
            raise InvalidInput("reason_empty")
        if len(reason) > MAX_REASON:
            raise InvalidInput("reason_too_long", limit=MAX_REASON)
    rsvp = answer_of(session=session, meeting_id=meeting_id, member_id=member.id or 0)
    if rsvp is None:
        assert member.id is not None
        rsvp = Rsvp(meeting_id=meeting_id, member_id=member.id, updated_at=now)
    rsvp.answer = answer
    rsvp.reason = reason if answer == RsvpAnswer.EXCUSED else None
    rsvp.updated_at = now
    session.add(rsvp)
    session.flush()
    return meeting, member, rsvp


def by_member(*, session: Session, meeting_id: int) -> dict[int, Rsvp]:
    """Returns the answers of a meeting by member id."""
    return {
        r.member_id: r for r in session.exec(select(Rsvp).where(Rsvp.meeting_id == meeting_id))
    }


def answer_of(*, session: Session, meeting_id: int, member_id: int) -> Rsvp | None:
    """Returns one member's answer to a meeting, if they gave one."""
    return session.exec(
        select(Rsvp).where(Rsvp.meeting_id == meeting_id, Rsvp.member_id == member_id)
    ).first()


def expected_count(*, session: Session, org_id: int) -> int:
    """Counts the members expected at meetings (see expected_members), without loading them."""
    return members.count_active(session=session, org_id=org_id, statuses=EXPECTED_STATUSES)


def expected_members(*, session: Session, org_id: int) -> list[Member]:
    """Returns the members expected at meetings (not exempt, not attached elsewhere)."""
    return [
        m
        for m in members.active_members(session=session, org_id=org_id)
        if m.status in EXPECTED_STATUSES
    ]
