"""Leases: one process at a time holds a named role (the leader), renewing it; a dead holder's
lease runs out and another process takes it over.

Taking and renewing are the same single statement, an INSERT … ON CONFLICT DO UPDATE whose
update applies only when the caller already holds the lease or it has expired: two processes
asking at once cannot both win, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from bot.db import insert_for, rowcount
from bot.models import Lease

LEADER = "leader"


def acquire(*, session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Takes the lease, or renews it for its holder, until `now + ttl`; True if `holder` now
    holds it. A lease another holder keeps renewing is never taken before it expires."""
    table = Lease.__table__  # type: ignore[attr-defined]
    stmt = insert_for(session)(table).values(name=name, holder=holder, until=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": stmt.excluded.holder, "until": stmt.excluded.until},
        where=or_(table.c.holder == holder, table.c.until < now),
    ).returning(table.c.holder)
    return session.execute(stmt).first() is not None


def release(*, session: Session, name: str, holder: str) -> bool:
    """Gives the lease up at once (a clean stop), so another process need not wait it out."""
    result = session.execute(
        delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder)
    )
    return rowcount(result) > 0


def holder_of(*, session: Session, name: str, now: datetime) -> str | None:
    """Returns who holds the lease at `now` (None when nobody does: it is free or expired)."""
    return session.exec(
        select(Lease.holder).where(Lease.name == name, col(Lease.until) >= now)
    ).first()
