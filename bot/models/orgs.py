"""Organisations: đảng bộ and chi bộ, the group chat a cell lives in, setup codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from bot.models.base import _utc

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
    # The weekly digest: the cell's weekday (Monday = 0) and HH:MM in its zone, and the next
    # instant it falls due (UTC; None until the tick first computes it).
    digest_enabled: bool = True
    digest_weekday: int = 0
    digest_time: str = Field(default="07:30", max_length=5)
    digest_due_at: datetime | None = _utc(nullable=True, index=True)
    # Reminders of a new meeting, in minutes before it (None: the bot's defaults).
    reminder_offsets: list[int] | None = Field(default=None, sa_type=JSON, nullable=True)
    # How often new registrations check in on progress by default ("monthly", "quarterly",
    # "none": bot.models.commitments.Cadence's values).
    checkin_cadence: str = Field(default="monthly", max_length=16)


class SetupCode(SQLModel, table=True):
    """A one-time code an operator hands to a group admin to link a group to an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    code_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(nullable=True)
    revoked_at: datetime | None = _utc(nullable=True)
