"""Conversations: open forms per (channel, chat, user), and the numbered options of a chat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import _utc

# --- Conversations: open forms per (channel, chat, user), numbered options per chat -----------


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


class ParkedFlow(SQLModel, table=True):
    """The form a person set aside in one chat to fill in a shorter one (an RSVP reason, a
    check-in): at most one per person and chat, restored at the step where it was."""

    __table_args__ = (UniqueConstraint("channel", "chat_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    flow: str = Field(max_length=32)
    step: str = Field(max_length=32)
    nonce: str = Field(max_length=12)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    started_at: datetime = _utc()
    # When the form was last answered: a parked form expires like an open one.
    updated_at: datetime = _utc(index=True)


class PendingChoice(SQLModel, table=True):
    """The options the last screen listed in a chat of a channel without buttons, so that a
    reply "2" means option 2 of that screen (even after a restart).

    `options` is a list of {"n": int, "label": str, "data": str}.
    """

    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    options: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = _utc()
