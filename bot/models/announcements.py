"""Announcements: what the committee tells its members, and who acknowledged it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc

# --- Announcements (thông báo) and their recipients ------------------------------------------


class AnnouncementStatus(StrEnum):
    """Where an announcement stands: scheduled until the tick sends it, or sent, or cancelled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELLED = "cancelled"


class AudienceKind(StrEnum):
    """Who an announcement is for: the whole cell (toàn chi bộ), the committee (chi ủy), or
    members chosen by name."""

    CELL = "cell"
    COMMITTEE = "committee"
    CHOSEN = "chosen"


class AnnouncementKind(StrEnum):
    """A plain notice (thông báo), or study material (tài liệu học tập) with a deadline and
    perhaps a written reflection (bài thu hoạch)."""

    NOTICE = "notice"
    STUDY = "study"


class ReflectionKind(StrEnum):
    """What a study campaign asks back: nothing, a reflection of a least length, or an answer
    to the committee's question."""

    NONE = "none"
    TEXT = "text"
    ANSWER = "answer"


class AnnouncementBatch(SQLModel, table=True):
    """An announcement or study material an officer of a đảng bộ sent to several of its cells:
    one Announcement per cell, each sent as that cell's own."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    author_person_id: int | None = Field(default=None, foreign_key="person.id")
    kind: AnnouncementKind = _enum(AnnouncementKind, AnnouncementKind.NOTICE)
    text: str = Field(sa_type=Text)
    created_at: datetime = _utc()


class Announcement(SQLModel, table=True):
    """One announcement of a cell's committee; sent at once or when `due_at` comes."""

    __table_args__ = (
        # The tick's two questions: what is due to go out, and which queued nudge is due.
        Index("ix_announcement_due", "status", "due_at"),
        Index("ix_announcement_nudge", "nudge_due_at"),
        Index("ix_announcement_org_created", "org_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    author_person_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(sa_type=Text)
    # What goes with the text: a file sent to the bot (Telegram), or a link (any channel).
    file_id: str | None = Field(default=None, max_length=255)
    file_name: str | None = Field(default=None, max_length=255)
    link: str | None = Field(default=None, max_length=500)
    audience: AudienceKind = _enum(AudienceKind, AudienceKind.CELL)
    # The roster entries chosen by name (audience CHOSEN), in the order given.
    chosen_member_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    ack_required: bool = True
    post_to_group: bool = False
    status: AnnouncementStatus = _enum(AnnouncementStatus, AnnouncementStatus.SCHEDULED)
    due_at: datetime | None = _utc(nullable=True)
    kind: AnnouncementKind = _enum(AnnouncementKind, AnnouncementKind.NOTICE)
    # Sent by an officer of the đảng bộ to several cells at once.
    batch_id: int | None = Field(default=None, foreign_key="announcementbatch.id", index=True)
    # A study campaign: when reading and the reflection are due, and what the reflection is.
    # Documents after the first (a study campaign may carry several): {file_id, file_name} or
    # {link}, in the order given.
    documents: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    deadline: datetime | None = _utc(nullable=True)
    reflection: ReflectionKind = _enum(ReflectionKind, ReflectionKind.NONE)
    min_length: int = 0
    question: str | None = Field(default=None, sa_type=Text)
    # Raised on every edit, so a form opened before an edit cannot overwrite it.
    version: int = 1
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)
    cancelled_at: datetime | None = _utc(nullable=True)
    # The last reminder to those who have not acknowledged, and one queued for the morning.
    last_nudged_at: datetime | None = _utc(nullable=True)
    nudge_due_at: datetime | None = _utc(nullable=True)


class AnnouncementRecipient(SQLModel, table=True):
    """A member an announcement went to, the chat it went to, and their acknowledgement."""

    __table_args__ = (UniqueConstraint("announcement_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    # Where it was sent; None: the member could not be written to (not joined yet).
    channel: str | None = Field(default=None, max_length=16)
    chat_id: str | None = Field(default=None, max_length=64)
    acked_at: datetime | None = _utc(nullable=True)
    told_in_person_at: datetime | None = _utc(nullable=True)
    told_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    last_nudged_at: datetime | None = _utc(nullable=True)


class StudySubmission(SQLModel, table=True):
    """A member's reflection (bài thu hoạch) on a study campaign: typed text or a file; it may
    be changed until the deadline. Reading is the recipient's acknowledgement (`acked_at`)."""

    __table_args__ = (UniqueConstraint("announcement_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(default="", sa_type=Text)
    file_id: str | None = Field(default=None, max_length=255)
    file_name: str | None = Field(default=None, max_length=255)
    submitted_at: datetime = _utc()
    updated_at: datetime = _utc()
