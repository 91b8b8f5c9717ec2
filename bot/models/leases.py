"""Leases: a named role one process holds until a deadline it keeps renewing."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.models.base import _utc

# --- Leases: which process leads (drains the outbox, runs the tick), and until when ----------


class Lease(SQLModel, table=True):
    """A role held by one process (`holder`, a uuid per runtime) until `until`; the holder
    renews it, and anyone may take it once `until` has passed (its holder died)."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)
    until: datetime = _utc()
