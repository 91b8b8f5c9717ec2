"""The outbox: every outgoing message as a row with a dedupe key, status and delivery record."""

from __future__ import annotations

import base64
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.db import rowcount
from bot.models import OutboxMessage, OutboxStatus, Priority, Reachability
from bot.services import people
from bot.text import split_message
from bot.ui import FileOut, Keyboard

TELEGRAM_TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Delivery:
    """What happened when the dispatcher handed a row to the channel."""

    kind: str  # sent | retry | unreachable | failed | migrated
    provider_message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    reachability: Reachability | None = None
    new_chat_id: str | None = None


def _insert_ignore(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Inserts rows, skipping any whose dedupe key exists; returns how many were new.

    One compiled statement run with executemany: its cost and the number of statements stay
    flat however many rows a fan-out has, and no driver limit on bound parameters applies.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    columns = {column.name for column in table.columns} - {"id"}
    complete = [{**dict.fromkeys(columns), **_defaults(row), **row} for row in rows]
    result = session.execute(stmt, complete)
    return rowcount(result)


def _defaults(row: dict[str, Any]) -> dict[str, Any]:
    # executemany needs every row to bind the same columns.
    return {
        "attempts": 0,
        "claimed_at": None,
        "last_error": None,
        "provider_message_id": None,
        "sent_at": None,
        "person_id": None,
        "org_id": None,
        "is_group": False,
        "channel": "telegram",
        "priority": Priority.NORMAL,
        "status": OutboxStatus.PENDING,
        "next_attempt_at": row.get("created_at"),
    }


def _row(
    *,
    dedupe_key: str,
    chat_id: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    priority: int,
    person_id: int | None = None,
    org_id: int | None = None,
    is_group: bool | None = None,
    channel: str = "telegram",
) -> dict[str, Any]:
    """Returns one pending outbox row (groups have negative ids on Telegram)."""
    return {
        "dedupe_key": dedupe_key,
        "channel": channel,
        "chat_id": chat_id,
        "is_group": chat_id.startswith("-") if is_group is None else is_group,
        "method": method,
        "payload": payload,
        "priority": priority,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "person_id": person_id,
        "org_id": org_id,
        "created_at": now,
    }


def message_rows(
    *,
    dedupe_key: str,
    chat_id: str,
    text: str,
    now: datetime,
    keyboard: Keyboard | None = None,
    priority: int = Priority.NORMAL,
    person_id: int | None = None,
    org_id: int | None = None,
    is_group: bool | None = None,
    channel: str = "telegram",
    limit: int = TELEGRAM_TEXT_LIMIT,
) -> list[dict[str, Any]]:
    """Returns the outbox rows for one message, split to the channel's length limit."""
    parts = split_message(text, limit)
    group = chat_id.startswith("-") if is_group is None else is_group
    rows = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        payload: dict[str, Any] = {"text": part, "parse_mode": "HTML"}
        if last and keyboard:
            payload["keyboard"] = [[b.to_json() for b in row] for row in keyboard]
        rows.append(
            _row(
                dedupe_key=dedupe_key if len(parts) == 1 else f"{dedupe_key}#{index}",
                chat_id=chat_id,
                method="send_message",
                payload=payload,
                now=now,
                priority=priority,
                person_id=person_id,
                org_id=org_id,
                is_group=group,
                channel=channel,
            )
        )
    return rows


def enqueue_message(*, session: Session, **kwargs: Any) -> int:
    """Queues one message (see message_rows for the arguments); a known dedupe key is a no-op."""
    return _insert_ignore(session, message_rows(**kwargs))


def enqueue_many(*, session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Queues many prepared rows in one statement; returns how many were new."""
    return _insert_ignore(session, rows)


def document_row(
    *,
    dedupe_key: str,
    chat_id: str,
    document: FileOut,
    now: datetime,
    priority: int = Priority.NORMAL,
    person_id: int | None = None,
    org_id: int | None = None,
    channel: str = "telegram",
) -> dict[str, Any]:
    """Returns the outbox row for a document: small generated bytes travel in the row, others
    by the channel's file id."""
    payload: dict[str, Any] = {
        "filename": document.filename,
        "caption": document.caption,
        "parse_mode": "HTML",
        "keyboard": [[b.to_json() for b in row] for row in document.keyboard],
    }
    if document.file_id is not None:
        payload["file_id"] = document.file_id
    else:
        payload["content_b64"] = base64.b64encode(document.content or b"").decode("ascii")
    return _row(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        method="send_document",
        payload=payload,
        now=now,
        priority=priority,
        person_id=person_id,
        org_id=org_id,
        channel=channel,
    )


def enqueue_document(*, session: Session, **kwargs: Any) -> int:
    """Queues one document (see document_row for the arguments)."""
    return _insert_ignore(session, [document_row(**kwargs)])


def enqueue_edit(
    *,
    session: Session,
    dedupe_key: str,
    chat_id: str,
    message_id: str,
    text: str,
    now: datetime,
    keyboard: Keyboard | None = None,
    priority: int = Priority.INTERACTIVE,
    channel: str = "telegram",
) -> int:
    """Queues an edit of a message the bot sent earlier (text and buttons)."""
    payload: dict[str, Any] = {
        "text": split_message(text, TELEGRAM_TEXT_LIMIT)[0],
        "parse_mode": "HTML",
        "message_id": message_id,
        "keyboard": [[b.to_json() for b in row] for row in keyboard or []],
    }
    row = _row(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        method="edit_message_text",
        payload=payload,
        now=now,
        priority=priority,
        channel=channel,
    )
    return _insert_ignore(session, [row])


def due_candidates(
    *, session: Session, now: datetime, exclude_chats: Collection[str], limit: int
) -> list[OutboxMessage]:
    """Returns pending rows that are due, interactive first, skipping chats at their limit."""
    query = select(OutboxMessage).where(
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.next_attempt_at) <= now,
    )
    if exclude_chats:
        query = query.where(col(OutboxMessage.chat_id).not_in(list(exclude_chats)))
    query = query.order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def claim(*, session: Session, ids: Sequence[int], now: datetime) -> list[int]:
    """Marks rows as being sent; returns the ids this caller actually claimed."""
    claimed = []
    for row_id in ids:
        result = session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == row_id, col(OutboxMessage.status) == OutboxStatus.PENDING
            )
            .values(
                status=OutboxStatus.SENDING,
                claimed_at=now,
                attempts=OutboxMessage.attempts + 1,
            )
        )
        if rowcount(result):
            claimed.append(row_id)
    return claimed


def record_delivery(
    *,
    session: Session,
    row_id: int,
    delivery: Delivery,
    now: datetime,
    retry_base: timedelta,
    max_attempts: int,
) -> OutboxMessage | None:
    """Stores the outcome of one send: sent, a retry with backoff, or a final failure."""
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return None
    row.last_error = (delivery.error or "")[:500] or None
    if delivery.kind == "sent":
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.provider_message_id = delivery.provider_message_id
        if row.person_id is not None and not row.is_group:
            people.mark_reachability(
                session=session, person_id=row.person_id, reachability=Reachability.OK
            )
    elif delivery.kind == "unreachable":
        row.status = OutboxStatus.BLOCKED
        if row.person_id is not None and delivery.reachability is not None:
            people.mark_reachability(
                session=session, person_id=row.person_id, reachability=delivery.reachability
            )
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
    elif delivery.kind == "retry" and row.attempts < max_attempts:
        row.status = OutboxStatus.PENDING
        if delivery.retry_after is not None:
            # The channel said how long; waiting less would only earn another refusal.
            wait = timedelta(seconds=delivery.retry_after)
        else:
            wait = min(retry_base * (2 ** max(row.attempts - 1, 0)), timedelta(minutes=30))
        row.next_attempt_at = now + wait
    else:
        row.status = OutboxStatus.FAILED
    session.add(row)
    return row


def release_stale_claims(*, session: Session, claimed_before: datetime) -> int:
    """Puts rows left 'sending' by a crashed process back in the queue (at-least-once)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.SENDING,
            col(OutboxMessage.claimed_at) < claimed_before,
        )
        .values(status=OutboxStatus.PENDING)
    )
    return rowcount(result)


def retarget_chat(*, session: Session, old_chat_id: str, new_chat_id: str) -> int:
    """Points pending rows of a migrated group at its new chat id."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == old_chat_id,
            col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(chat_id=new_chat_id)
    )
    return rowcount(result)


def next_due_at(*, session: Session) -> datetime | None:
    """Returns when the earliest pending row becomes due."""
    return session.exec(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING
        )
    ).first()


def status_counts(*, session: Session, key_prefix: str) -> dict[OutboxStatus, int]:
    """Counts rows by status for dedupe keys starting with `key_prefix` (a delivery report)."""
    rows = session.exec(
        select(OutboxMessage.status, func.count())
        .where(col(OutboxMessage.dedupe_key).startswith(key_prefix))
        .group_by(col(OutboxMessage.status))
    ).all()
    return {OutboxStatus(status): count for status, count in rows}
