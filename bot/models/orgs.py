"""Organisations: đảng bộ and chi bộ, the group chat a cell lives in, setup codes."""

from __future__ import annotations

from datetime import datetime

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


class SetupCode(SQLModel, table=True):
    """A one-time code an operator hands to a group admin to link a group to an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    code_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(nullable=True)
    revoked_at: datetime | None = _utc(nullable=True)
