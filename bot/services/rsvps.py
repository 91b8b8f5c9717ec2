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
# The common reasons a member picks with one tap, kept as codes so that each reader sees them
# in their own language; anything else is kept as typed. A stored reason is either
# `code:<code>` or the typed text (older answers were all typed or stored as a label's text,
# and are shown as they are).
REASON_CODES = ("illness", "business_trip", "family")
_CODED = "code:"


def coded_reason(code: str) -> str:
    """Returns how a common reason is stored; an unknown code is refused."""
    if code not in REASON_CODES:
        raise InvalidInput("reason_unknown")
    return _CODED + code


def reason_code(stored: str | None) -> str | None:
    """Returns the common reason's code a stored reason names; None for typed text."""
    if stored is None or not stored.startswith(_CODED):
        return None
    code = stored.removeprefix(_CODED)
    return code if code in REASON_CODES else None


def typed_reason(text: str) -> str:
    """Returns a typed reason cleaned, or raises InvalidInput (empty, too long)."""
    reason = clean_line(text)
    if not reason:
        raise InvalidInput("reason_empty")
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason_too_long", limit=MAX_REASON)
    return reason


def answer_rsvp(
    *,
    session: Session,
    meeting_id: int,
    person: Person,
    answer: RsvpAnswer,
    now: datetime,
    reason: str | None = None,
    version: int | None = None,
    reason_code: str | None = None,
) -> tuple[Meeting, Member, Rsvp]:
    """Records a member's answer; open until the meeting starts. With `version` (the buttons
    of a notice carry the meeting's version), an answer to an outdated notice is refused: the
    meeting changed since, and the newer notice asks again.

    The reason of an excused absence is typed text (`reason`) or a common reason's code
    (`reason_code`); with neither, an excused answer keeps the reason already given."""
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
    if reason_code is not None:
        reason = coded_reason(reason_code)
    elif reason is not None:
        reason = typed_reason(reason)
    rsvp = answer_of(session=session, meeting_id=meeting_id, member_id=member.id or 0)
    if rsvp is None:
        assert member.id is not None
        rsvp = Rsvp(meeting_id=meeting_id, member_id=member.id, updated_at=now)
    elif reason is None and answer == RsvpAnswer.EXCUSED == rsvp.answer:
        reason = rsvp.reason  # tapped again: the reason given stays until a new one comes
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
