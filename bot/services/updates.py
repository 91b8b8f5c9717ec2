"""Idempotency for incoming updates: each update id (as text: Zalo's are hex) is acted on once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db import rowcount
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
    """Records the update in the caller's transaction; False if another run got there first."""
    try:
        with session.begin_nested():
            session.add(ProcessedUpdate(channel=channel, update_id=update_id, at=now))
    except IntegrityError:
        return False
    return True


def forget_old(*, session: Session, now: datetime) -> int:
    """Drops records older than a week (updates are never redelivered that late)."""
    result = session.execute(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.at) < now - KEEP_FOR)
    )
    return rowcount(result)
