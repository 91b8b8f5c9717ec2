"""SQLModel tables, grouped by entity; every datetime is stored as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    MetaData,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

# One naming convention so constraint names match on SQLite and PostgreSQL (Alembic batch mode).
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and hands them back aware, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        """Converts an aware datetime to naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        """Marks a stored naive UTC datetime as aware."""
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(enum: type[StrEnum], default: StrEnum) -> Any:
    # Stored as the lower-case value in a VARCHAR, so adding a member later needs no ALTER TYPE.
    column_type = SAEnum(
        enum, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32
    )
    return Field(default=default, sa_type=column_type)


def _utc(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


# --- Organisations: đảng bộ and chi bộ, the group chat a cell lives in, setup codes -------------


class Organisation(SQLModel, table=True):
    """A party organisation; a cell (chi bộ) is one whose group chat can be linked."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)
    locale: str = Field(default="vi", max_length=8)
    channel: str | None = Field(default=None, max_length=16)
    group_chat_id: str | None = Field(default=None, max_length=64, unique=True)
    group_title: str | None = Field(default=None, max_length=255)
    created_at: datetime = _utc()


class SetupCode(SQLModel, table=True):
    """A one-time code an operator hands to a group admin to link a group to an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    code_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(nullable=True)
    revoked_at: datetime | None = _utc(nullable=True)


# --- People: one row per channel account, with language and reachability ----------------------


class Reachability(StrEnum):
    """Whether the bot can write to a person privately."""

    UNKNOWN = "unknown"
    OK = "ok"
    BLOCKED = "blocked"
    NEVER_STARTED = "never_started"


class Person(SQLModel, table=True):
    """A channel account (a Telegram user) the bot has seen."""

    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=255)
    username: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=8)
    reachability: Reachability = _enum(Reachability, Reachability.UNKNOWN)
    created_at: datetime = _utc()


# --- Members: the cell roster --------------------------------------------------------------


class Role(StrEnum):
    """A member's role in the cell (bí thư, phó bí thư, chi ủy viên, đảng viên)."""

    SECRETARY = "secretary"
    DEPUTY = "deputy"
    COMMITTEE = "committee"
    MEMBER = "member"


COMMITTEE_ROLES = frozenset({Role.SECRETARY, Role.DEPUTY, Role.COMMITTEE})


class MemberStatus(StrEnum):
    """Membership status (chính thức, dự bị, miễn sinh hoạt, sinh hoạt tạm thời nơi khác)."""

    FULL = "full"
    PROBATIONARY = "probationary"
    EXEMPT = "exempt"
    ATTACHED_ELSEWHERE = "attached_elsewhere"


# Members who are expected at meetings and counted in attendance rates (domain §1.5).
EXPECTED_STATUSES = frozenset({MemberStatus.FULL, MemberStatus.PROBATIONARY})


class Member(SQLModel, table=True):
    """A roster entry of a cell, linked to a Person once they join."""

    __table_args__ = (Index("ix_member_org_active", "org_id", "removed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    full_name: str = Field(max_length=120)
    role: Role = _enum(Role, Role.MEMBER)
    status: MemberStatus = _enum(MemberStatus, MemberStatus.FULL)
    phone: str | None = Field(default=None, max_length=32)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = _utc()
    joined_at: datetime | None = _utc(nullable=True)
    removed_at: datetime | None = _utc(nullable=True)


# --- Invites: personal one-time links and cell links with approval -------------------------


class InviteKind(StrEnum):
    """A personal link bound to a roster entry, or a cell link whose joins need approval."""

    PERSONAL = "personal"
    CELL = "cell"


class Invite(SQLModel, table=True):
    """An invite token carried in a `/start <token>` deep link; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    kind: InviteKind = _enum(InviteKind, InviteKind.PERSONAL)
    token_hash: str = Field(unique=True, max_length=64)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(nullable=True)
    revoked_at: datetime | None = _utc(nullable=True)


class JoinRequestStatus(StrEnum):
    """Where a join request through a cell link stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class JoinRequest(SQLModel, table=True):
    """A person asking to join a cell through its cell link; the secretary decides."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    full_name: str = Field(max_length=120)
    status: JoinRequestStatus = _enum(JoinRequestStatus, JoinRequestStatus.PENDING)
    created_at: datetime = _utc()
    decided_at: datetime | None = _utc(nullable=True)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    member_id: int | None = Field(default=None, foreign_key="member.id")


# --- Conversations: the state of a multi-step form, per (channel, chat, user) ---------------


class FlowState(SQLModel, table=True):
    """The open form of one person in one chat: which flow, which step, the answers so far."""

    __table_args__ = (UniqueConstraint("channel", "chat_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    flow: str = Field(max_length=32)
    step: str = Field(max_length=32)
    nonce: str = Field(max_length=12, index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    started_at: datetime = _utc()
    updated_at: datetime = _utc(index=True)


# --- Outbox: every outgoing message, its delivery state and the provider's message id --------


class OutboxStatus(StrEnum):
    """Delivery state of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class Priority:
    """Outbox lanes: a person's own reply never waits behind a bulk send."""

    INTERACTIVE = 0
    NORMAL = 5
    BULK = 9


class OutboxMessage(SQLModel, table=True):
    """One outgoing message (or edit); the dedupe key makes enqueueing idempotent."""

    __table_args__ = (Index("ix_outbox_due", "status", "priority", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)
    channel: str = Field(default="telegram", max_length=16)
    chat_id: str = Field(max_length=64, index=True)
    is_group: bool = False
    method: str = Field(default="send_message", max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    priority: int = Field(default=Priority.NORMAL)
    status: OutboxStatus = _enum(OutboxStatus, OutboxStatus.PENDING)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    claimed_at: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    provider_message_id: str | None = Field(default=None, max_length=64)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)


class ProcessedUpdate(SQLModel, table=True):
    """An incoming update already acted on, so a redelivered update changes nothing twice."""

    __table_args__ = (UniqueConstraint("channel", "update_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    update_id: int = Field(sa_type=BigInteger)
    at: datetime = _utc(index=True)


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

    __table_args__ = (Index("ix_meeting_org_start", "org_id", "starts_at"),)

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


# --- Audit log: who did what to whom, with before and after ---------------------------------


class AuditEntry(SQLModel, table=True):
    """A committee or operator action, with the state before and after."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    actor_person_id: int | None = Field(default=None, foreign_key="person.id")
    actor_label: str = Field(default="", max_length=120)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=120)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    at: datetime = _utc(index=True)
