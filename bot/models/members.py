"""Members: the cell roster."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc

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
