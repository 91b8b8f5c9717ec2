"""Delivering the outbox: claiming due rows with a holder and lease, recording what happened.

Queueing lives in `bot.services.outbox`; this module is the dispatcher's side of the table.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.db import rowcount
from bot.models import OutboxMessage, OutboxStatus, Priority, Reachability
from bot.services import files, people

# How long a claim holds when its holder does not renew it (the runtime renews its own).
CLAIM_LEASE = timedelta(minutes=5)
# How many due rows one claim looks at to find its batch (one per chat, bulk capped).
CLAIM_SCAN = 50
# Sent rows whose payload one purge empties at most (the next tick does the rest).
PURGE_BATCH = 5000
# The longest wait between two attempts at a row: an outage of any length is ridden out, and
# a row is tried again within this long of the channel coming back.
RETRY_CAP = timedelta(minutes=5)
# Rows a tick marks expired at most (the next tick does the rest).
EXPIRE_BATCH = 5000


@dataclass(frozen=True)
class Delivery:
    """What happened when the dispatcher handed a row to the channel."""

    kind: str  # sent | retry | unreachable | quota | failed | migrated
    provider_message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    reachability: Reachability | None = None
    new_chat_id: str | None = None
    # The id the channel gave an uploaded file (sent again by id from then on).
    file_id: str | None = None


def with_attachment(*, session: Session, row: OutboxMessage) -> OutboxMessage:
    """Returns the row ready for its sender: a stored file as the channel's id or its bytes."""
    stored = row.payload.get("stored_file_id")
    if stored is None:
        return row
    content, provider_id = files.for_sending(
        session=session, file_id=int(stored), channel=row.channel
    )
    payload = dict(row.payload)
    if provider_id is not None:
        payload["file_id"] = provider_id
    else:
        payload["content"] = content or b""
    return OutboxMessage.model_validate({**row.model_dump(), "payload": payload})


def due_candidates(
    *,
    session: Session,
    now: datetime,
    exclude_chats: Collection[str],
    limit: int,
    channel: str | None = None,
) -> list[OutboxMessage]:
    """Returns pending rows that are due, interactive first, skipping chats at their limit
    (a read: claiming is `claim_due`)."""
    query = select(OutboxMessage).where(
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.next_attempt_at) <= now,
    )
    if channel is not None:
        query = query.where(col(OutboxMessage.channel) == channel)
    if exclude_chats:
        query = query.where(col(OutboxMessage.chat_id).not_in(list(exclude_chats)))
    query = query.order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(limit)
    return list(session.exec(query))


def _claimed_values(now: datetime, holder: str | None, until: datetime) -> dict[str, Any]:
    return {
        "status": OutboxStatus.SENDING,
        "claimed_at": now,
        "claimed_by": holder,
        "lease_until": until,
        "attempts": OutboxMessage.attempts + 1,
    }


def claim_due(
    *,
    session: Session,
    now: datetime,
    holder: str,
    lease_until: datetime,
    limit: int,
    bulk_limit: int | None = None,
    exclude_chats: Collection[str] = (),
    channel: str | None = None,
    scan: int = CLAIM_SCAN,
) -> list[OutboxMessage]:
    """Claims the next batch for `holder` until `lease_until`, in one statement whatever the
    batch or the backlog: at most `limit` due rows, one per chat (the first in line: a person's
    reply before a notice to them), at most `bulk_limit` of them above the interactive lane,
    none to `exclude_chats`. Returns the claimed rows, interactive first.

    Only the `scan` first pending rows in the lanes' order are looked at, read from the partial
    index on pending rows, so the cost stays flat however long the backlog. On PostgreSQL they
    are locked with SKIP LOCKED: two claimers never wait on, nor get, the same row.

    `now` (what is due, `claimed_at`) is the bot's clock; `lease_until` is on the lease clock,
    real time, which measures whether a process is alive (see release_stale_claims).
    """
    if limit <= 0:
        return []
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    lane = (table.c.priority, table.c.id)
    candidates = sa_select(table.c.id, table.c.chat_id, table.c.priority).where(
        table.c.status == OutboxStatus.PENDING, table.c.next_attempt_at <= now
    )
    if channel is not None:
        candidates = candidates.where(table.c.channel == channel)
    if exclude_chats:
        candidates = candidates.where(table.c.chat_id.not_in(list(exclude_chats)))
    candidates = candidates.order_by(*lane).limit(scan)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    scanned = candidates.subquery("scanned")
    first = sa_select(
        scanned.c.id,
        scanned.c.priority,
        func.row_number()
        .over(partition_by=scanned.c.chat_id, order_by=(scanned.c.priority, scanned.c.id))
        .label("in_chat"),
    ).subquery("first_per_chat")
    bulk = cast(first.c.priority > Priority.INTERACTIVE, Integer)
    ranked = (
        sa_select(
            first.c.id,
            first.c.priority,
            bulk.label("bulk"),
            func.row_number()
            .over(partition_by=bulk, order_by=(first.c.priority, first.c.id))
            .label("in_lane"),
        )
        .where(first.c.in_chat == 1)
        .subquery("ranked")
    )
    chosen = sa_select(ranked.c.id).order_by(ranked.c.priority, ranked.c.id).limit(limit)
    if bulk_limit is not None:
        chosen = chosen.where(or_(ranked.c.bulk == 0, ranked.c.in_lane <= bulk_limit))
    stmt = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(chosen), col(OutboxMessage.status) == OutboxStatus.PENDING
        )
        .values(**_claimed_values(now, holder, lease_until))
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list(session.execute(stmt).scalars())
    return sorted(rows, key=lambda row: (row.priority, row.id or 0))


def claim(
    *,
    session: Session,
    ids: Sequence[int],
    now: datetime,
    holder: str | None = None,
    lease_until: datetime | None = None,
) -> list[int]:
    """Marks these rows as being sent, if still pending (one statement), held until
    `lease_until` (by default `now + CLAIM_LEASE`); returns the ids this caller claimed."""
    if not ids:
        return []
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(list(ids)), col(OutboxMessage.status) == OutboxStatus.PENDING
        )
        .values(**_claimed_values(now, holder, lease_until or now + CLAIM_LEASE))
        .returning(col(OutboxMessage.id))
        .execution_options(synchronize_session=False)
    )
    claimed = set(result.scalars())
    return [row_id for row_id in ids if row_id in claimed]


def extend_claims(*, session: Session, holder: str, ids: Collection[int], until: datetime) -> int:
    """Renews `holder`'s claims on the rows it is still sending (its heartbeat); returns how
    many. A claim it holds but no longer sends (a claim cut short) is left to expire."""
    if not ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(list(ids)),
            col(OutboxMessage.status) == OutboxStatus.SENDING,
            col(OutboxMessage.claimed_by) == holder,
        )
        .values(lease_until=until)
    )
    return rowcount(result)


def retry_wait(*, attempts: int, row_id: int, base: timedelta, cap: timedelta) -> timedelta:
    """Returns how long a row waits after its `attempts`-th failed attempt: doubling from
    `base`, capped at `cap`; at the cap each row waits 90–100% of it (spread by its id), so
    rows that failed together are not all tried again at the same instant."""
    wait: timedelta = base * (2 ** min(max(attempts - 1, 0), 30))
    if wait < cap:
        return wait
    spread = (row_id * 2654435761 % 1000) / 10_000  # 0 to 0.0999, the same for a row
    return cap * (1 - spread)


def is_expired(row: OutboxMessage, now: datetime) -> bool:
    """Tells whether a row is no longer useful at `now` (it must not be sent)."""
    return row.expires_at is not None and row.expires_at <= now


def record_delivery(
    *,
    session: Session,
    row_id: int,
    delivery: Delivery,
    now: datetime,
    retry_base: timedelta,
    retry_cap: timedelta = RETRY_CAP,
    holder: str | None = None,
) -> OutboxMessage | None:
    """Stores the outcome of one send: sent, a retry with backoff, or a final state.

    A transient failure is retried for as long as the row is useful (its `expires_at`), never
    given up after a number of attempts: the row then ends as EXPIRED, not FAILED (a refusal
    that no retry can change). With `holder`, a row another process has claimed since (ours
    lapsed) is left to it."""
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return None
    if holder is not None and row.status == OutboxStatus.SENDING and row.claimed_by != holder:
        # Our claim lapsed and another process claimed the row again: its outcome counts.
        return row
    row.lease_until = None
    row.last_error = (delivery.error or "")[:500] or None
    if delivery.kind == "sent":
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.provider_message_id = delivery.provider_message_id
        stored = row.payload.get("stored_file_id")
        if stored is not None and delivery.file_id:
            files.remember_copy(
                session=session,
                file_id=int(stored),
                channel=row.channel,
                provider_file_id=delivery.file_id,
                now=now,
            )
        if not row.is_group:
            # A private chat's id is the account's id on the channel.
            people.mark_reachability(
                session=session,
                channel=row.channel,
                external_id=row.chat_id,
                reachability=Reachability.OK,
            )
    elif delivery.kind == "unreachable":
        row.status = OutboxStatus.BLOCKED
        if not row.is_group and delivery.reachability is not None:
            people.mark_reachability(
                session=session,
                channel=row.channel,
                external_id=row.chat_id,
                reachability=delivery.reachability,
            )
    elif delivery.kind == "quota":
        # Refused for the provider's monthly quota: kept as a record, never retried blindly.
        row.status = OutboxStatus.QUOTA
    elif delivery.kind == "migrated" and delivery.new_chat_id:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now
        from bot.services import orgs

        orgs.follow_migration(
            session=session,
            channel=row.channel,
            old_chat_id=row.chat_id,
            new_chat_id=delivery.new_chat_id,
        )
        row.chat_id = delivery.new_chat_id
    elif delivery.kind == "retry" and is_expired(row, now):
        row.status = OutboxStatus.EXPIRED
    elif delivery.kind == "retry":
        row.status = OutboxStatus.PENDING
        if delivery.retry_after is not None:
            # The channel said how long; waiting less would only earn another refusal.
            wait = timedelta(seconds=delivery.retry_after)
        else:
            wait = retry_wait(
                attempts=row.attempts, row_id=row.id or 0, base=retry_base, cap=retry_cap
            )
        row.next_attempt_at = now + wait
    else:
        row.status = OutboxStatus.FAILED
    session.add(row)
    return row


def expire(*, session: Session, ids: Collection[int]) -> int:
    """Marks claimed rows found no longer useful when they were to be sent (one statement);
    they are never sent. Returns how many."""
    if not ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(list(ids)),
            col(OutboxMessage.status) == OutboxStatus.SENDING,
        )
        .values(status=OutboxStatus.EXPIRED, lease_until=None, last_error="expired unsent")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def expire_overdue(*, session: Session, now: datetime, batch: int = EXPIRE_BATCH) -> int:
    """Marks pending rows whose moment has passed as EXPIRED (the tick's sweep, so the ledger
    says so even of rows waiting out a long backoff); at most `batch` rows a call."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    overdue = (
        sa_select(table.c.id)
        .where(
            table.c.status == OutboxStatus.PENDING,
            table.c.expires_at.is_not(None),
            table.c.expires_at <= now,
        )
        .limit(batch)
    )
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(overdue), col(OutboxMessage.status) == OutboxStatus.PENDING
        )
        .values(status=OutboxStatus.EXPIRED, last_error="expired unsent")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def waiting_retries(*, session: Session, channel: str) -> int:
    """Counts a channel's pending rows that were tried and wait for another attempt."""
    return session.exec(
        select(func.count()).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.attempts) > 0,
        )
    ).one()


def release_stale_claims(*, session: Session, now: datetime, channel: str | None = None) -> int:
    """Queues again the rows whose claim expired at `now` (on the lease clock): their holder
    died mid-send, or stopped renewing them (at-least-once). A claim its live holder keeps
    renewing is never taken."""
    query = update(OutboxMessage).where(
        col(OutboxMessage.status) == OutboxStatus.SENDING,
        or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now),
    )
    if channel is not None:
        query = query.where(col(OutboxMessage.channel) == channel)
    result = session.execute(
        query.values(status=OutboxStatus.PENDING, claimed_by=None, lease_until=None)
    )
    return rowcount(result)


def purge_sent_payloads(
    *, session: Session, sent_before: datetime, now: datetime, batch: int = PURGE_BATCH
) -> int:
    """Empties the payload of rows sent before `sent_before`; the ledger row (who got what,
    when, the provider's id) stays. At most `batch` rows a call, so a first purge of a large
    table never holds the database for long."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    old = (
        sa_select(table.c.id)
        .where(
            table.c.purged_at.is_(None),
            table.c.sent_at.is_not(None),
            table.c.sent_at < sent_before,
        )
        .limit(batch)
    )
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(old))
        .values(payload={}, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def next_due_at(*, session: Session) -> datetime | None:
    """Returns when the earliest pending row becomes due."""
    return session.exec(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING
        )
    ).first()
