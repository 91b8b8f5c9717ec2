"""What the periodic tick does: every time-driven chore, derived from the database."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from bot.db import rowcount
from bot.models import FlowState, ParkedFlow
from bot.services import (
    announcement_ledger,
    campaign_tick,
    delivery,
    digest_schedule,
    reminders,
    rollover,
    series,
    updates,
)

FLOW_IDLE_LIMIT = timedelta(days=30)
# Sent messages keep their text this long; then only the ledger row (who, when, the id) stays.
OUTBOX_RETENTION = timedelta(days=90)


@dataclass(frozen=True)
class TickReport:
    """What one tick did (logged, and asserted in tests)."""

    released_claims: int
    forgotten_updates: int
    expired_flows: int
    new_occurrences: int
    reminders: reminders.ReminderReport
    purged_payloads: int = 0
    campaigns: campaign_tick.CampaignReport = field(default_factory=campaign_tick.CampaignReport)
    # Announcements sent at their time, and reminders sent once the night was over.
    announcements: int = 0
    expired_messages: int = 0
    digests: digest_schedule.DigestReport = field(default_factory=digest_schedule.DigestReport)


def run_due(
    *,
    session: Session,
    now: datetime,
    retention: timedelta = OUTBOX_RETENTION,
    lease_now: datetime | None = None,
    holder: str | None = None,
    sending: Collection[int] = (),
    claim_lease: timedelta = delivery.CLAIM_LEASE,
    photos_by_url: bool = False,
) -> TickReport:
    """Runs every chore that is due at `now`; running it twice, or in two processes at once,
    changes nothing more.

    Claims are judged on the lease clock (`lease_now`, real time; `now` by default). `sending`
    are the rows the calling process (`holder`) has in flight: their claims are renewed first.
    `photos_by_url`: the operator publishes files, so images reach Zalo too.
    """
    lease_now = lease_now or now
    if holder is not None:
        delivery.extend_claims(
            session=session, holder=holder, ids=sending, until=lease_now + claim_lease
        )
    # A claim whose lease ran out belongs to a process that died mid-send: someone must retry.
    released = delivery.release_stale_claims(session=session, now=lease_now)
    forgotten = updates.forget_old(session=session, now=now)
    expired = session.execute(
        delete(FlowState).where(col(FlowState.updated_at) < now - FLOW_IDLE_LIMIT)
    )
    # A form set aside for a shorter one expires as it would have had it stayed open.
    expired_parked = session.execute(
        delete(ParkedFlow).where(col(ParkedFlow.updated_at) < now - FLOW_IDLE_LIMIT)
    )
    occurrences = rollover.extend_series(session=session, now=now)
    # Each occurrence is announced before its reminders (sent just below) can go.
    series.announce_occurrences(session=session, now=now)
    due = reminders.send_due(session=session, now=now)
    campaign_chores = campaign_tick.run_due(session=session, now=now)
    announced = announcement_ledger.run_due(session=session, now=now)
    digest_chores = digest_schedule.run_due(session=session, now=now, photos_by_url=photos_by_url)
    purged = delivery.purge_sent_payloads(session=session, sent_before=now - retention, now=now)
    # Rows past their moment (a reminder of a meeting that started) say so in the ledger.
    expired_messages = delivery.expire_overdue(session=session, now=now)
    return TickReport(
        released_claims=released,
        forgotten_updates=forgotten,
        expired_flows=rowcount(expired) + rowcount(expired_parked),
        new_occurrences=len(occurrences),
        reminders=due,
        purged_payloads=purged,
        campaigns=campaign_chores,
        announcements=announced,
        expired_messages=expired_messages,
        digests=digest_chores,
    )
