"""Idempotency for incoming updates: each update id (as text: Zalo's are hex) is acted on once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.db import insert_for, rowcount
from bot.models import ProcessedUpdate

KEEP_FOR = timedelta(days=7)


def seen_before(*, session: Session, channel: str, update_id: str) -> bool:
    """Tells whether this update was already acted on."""
    found = session.exec(
        select(ProcessedUpdate.id).where(
            ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id
        )
    ).first()
    return found is not None


def mark_processed(*, session: Session, channel: str, update_id: str, now: datetime) -> bool:
    """Records the update in the caller's transaction; False if another run got there first.

    One INSERT … ON CONFLICT DO NOTHING: no savepoint and no ORM flush on every update. On
    PostgreSQL a concurrent insert of the same update waits for the other transaction, then
    does nothing."""
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    stmt = (
        insert_for(session)(table)
        .values(channel=channel, update_id=update_id, at=now)
        .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        .returning(table.c.id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def forget_old(*, session: Session, now: datetime) -> int:
    """Drops records older than a week (updates are never redelivered that late)."""
    result = session.execute(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.at) < now - KEEP_FOR)
    )
    return rowcount(result)
