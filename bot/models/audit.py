"""Audit log: who did what to whom, with before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from bot.models.base import _utc

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
