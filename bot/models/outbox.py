"""Outbox: every outgoing message, its delivery state and the provider's message id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc

# --- Outbox: every outgoing message, its delivery state and the provider's message id --------


class OutboxStatus(StrEnum):
    """Delivery state of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    QUOTA = "quota"  # refused for the provider's monthly quota: recorded, not lost
    # No longer useful (a reminder whose meeting started, a reply after an hour): not sent.
    EXPIRED = "expired"


class Priority:
    """Outbox lanes: a person's own reply never waits behind a bulk send."""

    INTERACTIVE = 0
    NORMAL = 5
    BULK = 9


class OutboxMessage(SQLModel, table=True):
    """One outgoing message (or edit); the dedupe key makes enqueueing idempotent."""

    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "next_attempt_at", "id"),
        # The dispatcher's pick walks only pending rows, already in its order (no sort).
        Index(
            "ix_outbox_pending",
            "channel",
            "priority",
            "id",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # A person's (or a group's) queued replies, counted before queueing more.
        Index(
            "ix_outbox_pending_chat",
            "chat_id",
            "priority",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # Pending rows that stop being useful at some moment (the tick expires them).
        Index(
            "ix_outbox_expiring",
            "expires_at",
            sqlite_where=text("status = 'pending' AND expires_at IS NOT NULL"),
            postgresql_where=text("status = 'pending' AND expires_at IS NOT NULL"),
        ),
        # Sent rows whose payload the retention purge has not emptied yet.
        Index(
            "ix_outbox_unpurged",
            "sent_at",
            sqlite_where=text("purged_at IS NULL AND sent_at IS NOT NULL"),
            postgresql_where=text("purged_at IS NULL AND sent_at IS NOT NULL"),
        ),
    )

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
    # When the message stops being useful (its meeting starts, a reply is an hour old); a row
    # still unsent then is never sent and ends as EXPIRED. None: useful until delivered.
    expires_at: datetime | None = _utc(nullable=True)
    claimed_at: datetime | None = _utc(nullable=True)
    # The process (a uuid per runtime) that claimed the row, and until when the claim holds
    # unless renewed; an expired claim belongs to a dead process and is queued again.
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    provider_message_id: str | None = Field(default=None, max_length=64)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)
    # When the retention purge emptied the payload (the ledger row itself stays).
    purged_at: datetime | None = _utc(nullable=True)


class ProcessedUpdate(SQLModel, table=True):
    """An incoming update already acted on, so a redelivered update changes nothing twice."""

    __table_args__ = (UniqueConstraint("channel", "update_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    update_id: str = Field(max_length=64)  # Telegram's numbers as text, Zalo's hex ids
    at: datetime = _utc(index=True)
