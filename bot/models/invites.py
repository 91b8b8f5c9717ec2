"""Invites: personal one-time links and cell links with approval."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc

# --- Invites: personal one-time links and cell links with approval -------------------------


class InviteKind(StrEnum):
    """A personal link bound to a roster entry, or a cell link whose joins need approval."""

    PERSONAL = "personal"
    CELL = "cell"


class Invite(SQLModel, table=True):
    """An invite token carried in a `/start <token>` deep link (or a short join code typed to
    a bot without deep links); only their hashes are stored."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    kind: InviteKind = _enum(InviteKind, InviteKind.PERSONAL)
    token_hash: str = Field(unique=True, max_length=64)
    join_code_hash: str | None = Field(default=None, unique=True, max_length=64)
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
