"""What the periodic tick does: every time-driven chore, derived from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from bot.db import rowcount
from bot.models import FlowState
from bot.services import meetings, outbox, reminders, updates

FLOW_IDLE_LIMIT = timedelta(days=30)
# A row 'sending' this long belongs to a process that died mid-send; someone must retry it.
STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class TickReport:
    """What one tick did (logged, and asserted in tests)."""

    released_claims: int
    forgotten_updates: int
    expired_flows: int
    new_occurrences: int
    reminders: reminders.ReminderReport


def run_due(*, session: Session, now: datetime) -> TickReport:
    """Runs every chore that is due at `now`; running it twice changes nothing more."""
    released = outbox.release_stale_claims(session=session, claimed_before=now - STALE_CLAIM)
    forgotten = updates.forget_old(session=session, now=now)
    expired = session.execute(
        delete(FlowState).where(col(FlowState.updated_at) < now - FLOW_IDLE_LIMIT)
    )
    occurrences = meetings.extend_series(session=session, now=now)
    return TickReport(
        released_claims=released,
        forgotten_updates=forgotten,
        expired_flows=rowcount(expired),
        new_occurrences=len(occurrences),
        reminders=reminders.send_due(session=session, now=now),
    )
