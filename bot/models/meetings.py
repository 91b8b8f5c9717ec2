"""Meetings: sinh hoạt thường kỳ / chuyên đề, their reminders, RSVPs and roll call."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc

# --- Meetings: sinh hoạt thường kỳ / chuyên đề, their reminders, RSVPs and roll call ---------


class MeetingKind(StrEnum):
    """What kind of meeting (sinh hoạt thường kỳ, chuyên đề, both, họp chi ủy, other)."""

    REGULAR = "regular"
    THEMATIC = "thematic"
    COMBINED = "combined"
    COMMITTEE = "committee"
    OTHER = "other"


class MeetingStatus(StrEnum):
    """Whether a meeting will take place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Recurrence(StrEnum):
    """How a meeting repeats."""

    NONE = "none"
    MONTHLY_DAY = "monthly_day"
    MONTHLY_WEEKDAY = "monthly_weekday"


class MeetingSeries(SQLModel, table=True):
    """A monthly meeting: the rule and the template each occurrence is made from."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    recurrence: Recurrence = _enum(Recurrence, Recurrence.MONTHLY_DAY)
    day_of_month: int | None = None
    weekday: int | None = None  # Monday = 0
    nth: int | None = None  # 1..4, or -1 for the last such weekday
    local_time: str = Field(max_length=5)  # HH:MM in the cell's zone
    template: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _utc()
    ended_at: datetime | None = _utc(nullable=True)


class Meeting(SQLModel, table=True):
    """One meeting of a cell; `version` grows with every edit (optimistic concurrency)."""

    __table_args__ = (
        Index("ix_meeting_org_start", "org_id", "starts_at"),
        # One occurrence of a series per start: a second process extending it does nothing.
        UniqueConstraint("series_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    series_id: int | None = Field(default=None, foreign_key="meetingseries.id", index=True)
    kind: MeetingKind = _enum(MeetingKind, MeetingKind.REGULAR)
    topic: str = Field(default="", max_length=500)
    starts_at: datetime = _utc()
    duration_minutes: int = 90
    place: str = Field(default="", max_length=300)
    chair_member_id: int | None = Field(default=None, foreign_key="member.id")
    presenter_member_id: int | None = Field(default=None, foreign_key="member.id")
    agenda: list[str] = Field(default_factory=list, sa_type=JSON)
    reminder_offsets: list[int] = Field(default_factory=list, sa_type=JSON)  # minutes before
    status: MeetingStatus = _enum(MeetingStatus, MeetingStatus.SCHEDULED)
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    roll_call_closed_at: datetime | None = _utc(nullable=True)
    conclusion: str | None = Field(default=None, max_length=4000)
    concluded_at: datetime | None = _utc(nullable=True)
    # When its notice (with the RSVP buttons) was queued; None: an occurrence of a series the
    # tick made and has not announced yet.
    announced_at: datetime | None = _utc(nullable=True)


class MeetingReminder(SQLModel, table=True):
    """A reminder derived from a meeting's time and offsets; the tick sends the due ones."""

    __table_args__ = (
        UniqueConstraint("meeting_id", "version", "offset_minutes"),
        Index("ix_reminder_due", "done_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    version: int = 1
    offset_minutes: int
    due_at: datetime = _utc()
    done_at: datetime | None = _utc(nullable=True)
    outcome: str | None = Field(default=None, max_length=16)  # sent | late | skipped


class RsvpAnswer(StrEnum):
    """A member's answer to a meeting notice."""

    ATTENDING = "attending"
    EXCUSED = "excused"


class Rsvp(SQLModel, table=True):
    """A member's answer; the reason of an excused absence is for the committee only."""

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    answer: RsvpAnswer = _enum(RsvpAnswer, RsvpAnswer.ATTENDING)
    reason: str | None = Field(default=None, max_length=500)
    updated_at: datetime = _utc()


class AttendanceStatus(StrEnum):
    """Roll-call categories as the minutes record them (domain §1.5)."""

    PRESENT = "present"
    EXCUSED = "excused"
    UNEXCUSED = "unexcused"
    EXEMPT = "exempt"
    ATTACHED_ELSEWHERE = "attached_elsewhere"


class Attendance(SQLModel, table=True):
    """One line of a meeting's roll call."""

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: AttendanceStatus = _enum(AttendanceStatus, AttendanceStatus.PRESENT)
    reason: str | None = Field(default=None, max_length=500)
    self_checked_in: bool = False
    marked_by: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = _utc()


class MeetingDocument(SQLModel, table=True):
    """A document attached to a meeting (kept as the channel's file id, never re-uploaded)."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    channel: str = Field(default="telegram", max_length=16)
    file_id: str = Field(max_length=255)
    file_name: str = Field(max_length=255)
    mime_type: str | None = Field(default=None, max_length=100)
    size: int = 0
    uploaded_by: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = _utc()


class DocumentRead(SQLModel, table=True):
    """A member confirming they have read a meeting document (the "Đã đọc" button)."""

    __table_args__ = (UniqueConstraint("document_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="meetingdocument.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    at: datetime = _utc()


class MeetingTask(SQLModel, table=True):
    """A task assigned at a meeting (phân công đảng viên): owner and due date."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    owner_member_id: int = Field(foreign_key="member.id")
    description: str = Field(max_length=500)
    due_on: date
    created_at: datetime = _utc()
    # Marked done by its owner (or the committee): when, and by whom.
    done_at: datetime | None = _utc(nullable=True)
    done_by: int | None = Field(default=None, foreign_key="person.id")
