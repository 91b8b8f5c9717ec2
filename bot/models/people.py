"""People: the humans the bot knows, and their channel accounts with reachability."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc

# --- People: a human, their language, and one account per channel they use ------------------


class Reachability(StrEnum):
    """Whether the bot can write to an account privately."""

    UNKNOWN = "unknown"
    OK = "ok"
    BLOCKED = "blocked"
    NEVER_STARTED = "never_started"


class Person(SQLModel, table=True):
    """A human the bot knows, whatever channels they write from (see Account)."""

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(default="", max_length=255)
    locale: str | None = Field(default=None, max_length=8)
    # Where notifications go; None means the channel of the newest account.
    notify_channel: str | None = Field(default=None, max_length=16)
    created_at: datetime = _utc()


class Account(SQLModel, table=True):
    """A channel account (a Telegram or Zalo user) of a person; its private chat id is
    `external_id` on both channels."""

    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    username: str | None = Field(default=None, max_length=64)
    reachability: Reachability = _enum(Reachability, Reachability.UNKNOWN)
    created_at: datetime = _utc()
    last_seen_at: datetime | None = _utc(nullable=True)
