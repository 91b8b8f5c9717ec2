"""Members: the cell roster."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, LargeBinary, event
from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc
from bot.text import vietnamese_sort_bytes

# --- Members: the cell roster --------------------------------------------------------------


class Role(StrEnum):
    """A member's role in the cell (bí thư, phó bí thư, chi ủy viên, đảng viên)."""

    SECRETARY = "secretary"
    DEPUTY = "deputy"
    COMMITTEE = "committee"
    MEMBER = "member"


COMMITTEE_ROLES = frozenset({Role.SECRETARY, Role.DEPUTY, Role.COMMITTEE})
# The roster's order: the committee first (secretary, deputy, committee), then everyone else.
ROLE_ORDER = {Role.SECRETARY: 0, Role.DEPUTY: 1, Role.COMMITTEE: 2, Role.MEMBER: 3}


class MemberStatus(StrEnum):
    """Membership status (chính thức, dự bị, miễn sinh hoạt, sinh hoạt tạm thời nơi khác)."""

    FULL = "full"
    PROBATIONARY = "probationary"
    EXEMPT = "exempt"
    ATTACHED_ELSEWHERE = "attached_elsewhere"


# Members who are expected at meetings and counted in attendance rates (domain §1.5).
EXPECTED_STATUSES = frozenset({MemberStatus.FULL, MemberStatus.PROBATIONARY})


def roster_sort_key(role: Role, full_name: str) -> bytes:
    """Returns where a member stands in the roster: by role, then by given name (the last
    word), then by full name, in Vietnamese dictionary order (bytes compared byte by byte)."""
    return bytes((ROLE_ORDER[Role(role)],)) + vietnamese_sort_bytes(
        full_name.split(" ")[-1], full_name
    )


class Member(SQLModel, table=True):
    """A roster entry of a cell, linked to a Person once they join.

    `sort_key` is the roster order (roster_sort_key), kept up to date on every write of the
    row, so that a page of the roster is one indexed query, never a sort of the cell.
    """

    __table_args__ = (Index("ix_member_org_roster", "org_id", "removed_at", "sort_key"),)

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
    sort_key: bytes = Field(default=b"", sa_type=LargeBinary)


def _fill_sort_key(_mapper: Any, _connection: Any, member: Member) -> None:
    key = roster_sort_key(member.role, member.full_name)
    if member.sort_key != key:
        member.sort_key = key


event.listen(Member, "before_insert", _fill_sort_key)
event.listen(Member, "before_update", _fill_sort_key)
