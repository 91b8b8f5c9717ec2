"""The outbox: every outgoing message as a row with a dedupe key, status and delivery record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.channels import profile_of
from bot.db import rowcount
from bot.models import OutboxMessage, OutboxStatus, PendingChoice, Priority
from bot.services import files
from bot.shaping import shape
from bot.text import escape, split_message
from bot.ui import FileOut, Keyboard

# A reply to what a person did is useless after this long (an outage outlasted it).
REPLY_LIFETIME = timedelta(hours=1)
MENU_METHOD = "set_my_commands"  # a private chat's own command menu (Telegram only)


def _remember_options(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Keeps, per chat of a channel without buttons, the options its newest listing showed."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        options = row["payload"].get("options")
        if options:
            latest[(row["channel"], row["chat_id"])] = {
                "channel": row["channel"],
                "chat_id": row["chat_id"],
                "options": options,
                "updated_at": row["created_at"],
            }
    if not latest:
        return
    dialect = session.get_bind().dialect.name
    table = PendingChoice.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel", "chat_id"],
        set_={"options": stmt.excluded.options, "updated_at": stmt.excluded.updated_at},
    )
    session.execute(stmt, list(latest.values()))


def _insert_ignore(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Inserts rows, skipping any whose dedupe key exists; returns how many were new.

    One compiled statement run with executemany: its cost and the number of statements stay
    flat however many rows a fan-out has, and no driver limit on bound parameters applies.
    PostgreSQL's driver does not sum the rows an executemany inserted, so there the new ids
    come back (RETURNING, sent as multi-row VALUES of up to a thousand rows) and are counted.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    columns = {column.name for column in table.columns} - {"id"}
    # executemany binds the same columns for every row; _row leaves the delivery fields unset.
    complete = [{**dict.fromkeys(columns), **row} for row in rows]
    if dialect == "postgresql":
        inserted = len(session.execute(stmt.returning(table.c.id), complete).all())
    else:
        inserted = rowcount(session.execute(stmt, complete))
    _remember_options(session, rows)
    return inserted


def _row(
    *,
    dedupe_key: str,
    chat_id: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    priority: int,
    is_group: bool,
    person_id: int | None = None,
    org_id: int | None = None,
    channel: str = "telegram",
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """Returns one pending outbox row; the caller says whether the chat is a group.

    `expires_at` is when the message stops being useful (None: until delivered); a reply
    (the interactive lane) without one lives REPLY_LIFETIME.
    """
    if expires_at is None and priority == Priority.INTERACTIVE:
        expires_at = now + REPLY_LIFETIME
    return {
        "dedupe_key": dedupe_key,
        "channel": channel,
        "chat_id": chat_id,
        "is_group": is_group,
        "method": method,
        "payload": payload,
        "priority": priority,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "person_id": person_id,
        "org_id": org_id,
        "created_at": now,
        "expires_at": expires_at,
    }


def message_rows(
    *,
    dedupe_key: str,
    chat_id: str,
    text: str,
    now: datetime,
    is_group: bool,
    keyboard: Keyboard | None = None,
    priority: int = Priority.NORMAL,
    person_id: int | None = None,
    org_id: int | None = None,
    channel: str = "telegram",
    expires_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Returns the outbox rows for one message, shaped for its channel: split to the length
    limit, with buttons, or with numbered options on a channel without buttons (`extra`: more
    payload keys the core reads back later, never sent)."""
    parts = shape(profile_of(channel), text, keyboard)
    rows = []
    for index, part in enumerate(parts):
        payload: dict[str, Any] = {**(extra or {}), "text": part.text}
        if part.parse_mode:
            payload["parse_mode"] = part.parse_mode
        if part.keyboard:
            payload["keyboard"] = part.keyboard
        if part.options:
            payload["options"] = part.options
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
                is_group=is_group,
                channel=channel,
                expires_at=expires_at,
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
    is_group: bool,
    priority: int = Priority.NORMAL,
    person_id: int | None = None,
    org_id: int | None = None,
    channel: str = "telegram",
    expires_at: datetime | None = None,
    photos_by_url: bool = False,
) -> dict[str, Any]:
    """Returns the outbox row for a document: small generated bytes travel in the row, others
    by the channel's file id; a channel without uploads gets a note with the file's name, or,
    for a photo when the operator publishes files (`photos_by_url`), the photo by its URL."""
    by_url = document.photo and photos_by_url and document.stored_id is not None
    if not profile_of(channel).file_upload and not by_url:
        note = f"📎 {escape(document.filename)}"
        if document.caption:
            note += f"\n{document.caption}"
        return message_rows(
            dedupe_key=dedupe_key,
            chat_id=chat_id,
            text=note,
            keyboard=document.keyboard,
            now=now,
            is_group=is_group,
            priority=priority,
            person_id=person_id,
            org_id=org_id,
            channel=channel,
            expires_at=expires_at,
        )[-1]
    payload: dict[str, Any] = {
        "filename": document.filename,
        "caption": document.caption,
        "parse_mode": "HTML",
        "keyboard": [[b.to_json() for b in row] for row in document.keyboard],
    }
    if document.file_id is not None:
        payload["file_id"] = document.file_id
    elif document.stored_id is not None:
        # The bytes stay in one place; the dispatcher reads them (or the channel's id) to send.
        payload["stored_file_id"] = document.stored_id
    else:
        raise ValueError("store a document's bytes (files.store) before queueing it")
    return _row(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        method="send_photo" if document.photo else "send_document",
        payload=payload,
        now=now,
        priority=priority,
        is_group=is_group,
        person_id=person_id,
        org_id=org_id,
        channel=channel,
        expires_at=expires_at,
    )


def enqueue_document(*, session: Session, document: FileOut, **kwargs: Any) -> int:
    """Queues one document (see document_row for the arguments), storing new bytes once."""
    if document.content is not None and document.file_id is None and document.stored_id is None:
        stored = files.store(
            session=session,
            file_name=document.filename,
            content=document.content,
            mime_type=None,
            now=kwargs["now"],
        )
        document = replace(document, content=None, stored_id=stored.id)
    return _insert_ignore(session, [document_row(document=document, **kwargs)])


def enqueue_edit(
    *,
    session: Session,
    dedupe_key: str,
    chat_id: str,
    message_id: str,
    text: str,
    now: datetime,
    is_group: bool,
    keyboard: Keyboard | None = None,
    priority: int = Priority.INTERACTIVE,
    channel: str = "telegram",
) -> int:
    """Queues an edit of a message the bot sent earlier (text and buttons)."""
    payload: dict[str, Any] = {
        "text": split_message(text, profile_of(channel).text_limit)[0],
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
        is_group=is_group,
        channel=channel,
    )
    return _insert_ignore(session, [row])


def enqueue_menu(
    *,
    session: Session,
    dedupe_key: str,
    chat_id: str,
    commands: list[tuple[str, str]],
    now: datetime,
    person_id: int | None = None,
    channel: str = "telegram",
) -> int:
    """Queues the command menu of one private chat (set_my_commands for that chat alone)."""
    payload: dict[str, Any] = {
        "commands": [{"command": name, "description": text} for name, text in commands]
    }
    row = _row(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        method=MENU_METHOD,
        payload=payload,
        now=now,
        priority=Priority.NORMAL,
        is_group=False,
        person_id=person_id,
        channel=channel,
    )
    return _insert_ignore(session, [row])


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


def status_counts(*, session: Session, key_prefix: str) -> dict[OutboxStatus, int]:
    """Counts rows by status for dedupe keys starting with `key_prefix` (a delivery report)."""
    rows = session.exec(
        select(OutboxMessage.status, func.count())
        .where(col(OutboxMessage.dedupe_key).startswith(key_prefix))
        .group_by(col(OutboxMessage.status))
    ).all()
    return {OutboxStatus(status): count for status, count in rows}


def queued_replies(*, session: Session, channel: str, chat_id: str, limit: int) -> int:
    """Counts the replies (interactive rows) waiting to be sent to one chat, up to `limit`:
    one statement reading at most `limit` entries of the partial index on pending rows."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    waiting = (
        sa_select(table.c.id)
        .where(
            table.c.chat_id == chat_id,
            # A literal, so that the partial index on pending rows applies (SQLite).
            table.c.status == literal_column("'pending'"),
            table.c.priority == Priority.INTERACTIVE,
            table.c.channel == channel,
        )
        .limit(limit)
        .subquery()
    )
    return int(session.execute(sa_select(func.count()).select_from(waiting)).scalar_one())


def _meeting_keys(meeting_id: int) -> list[str]:
    """The dedupe key prefixes of what a meeting sends its members."""
    return [f"{kind}:{meeting_id}:" for kind in ("notice", "change", "reminder", "start")]


def withdraw_meeting_messages(*, session: Session, org_id: int, meeting_id: int) -> int:
    """Marks expired the meeting's messages still waiting to be sent (its notice, earlier
    changes, reminders): after a change or a cancellation they would tell the old details.
    Returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.org_id) == org_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            or_(
                *(
                    col(OutboxMessage.dedupe_key).startswith(prefix)
                    for prefix in _meeting_keys(meeting_id)
                )
            ),
        )
        .values(status=OutboxStatus.EXPIRED, last_error="superseded by a change")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def meeting_delivery(*, session: Session, org_id: int, meeting_id: int) -> dict[OutboxStatus, int]:
    """Counts by status the rows a meeting sent its members (notice, changes, reminders, the
    start): the delivery ledger the committee reads. Looks only at the cell's rows."""
    prefixes = _meeting_keys(meeting_id)
    rows = session.exec(
        select(OutboxMessage.status, func.count())
        .where(
            col(OutboxMessage.org_id) == org_id,
            or_(*(col(OutboxMessage.dedupe_key).startswith(prefix) for prefix in prefixes)),
        )
        .group_by(col(OutboxMessage.status))
    ).all()
    return {OutboxStatus(status): count for status, count in rows}


def shown_message(
    *, session: Session, channel: str, chat_id: str, message_id: str
) -> dict[str, Any] | None:
    """Returns the payload (text, keyboard) a message the bot sent shows now, from the ledger:
    its newest delivered edit, or the message itself; None when unknown or already purged."""
    payload = session.exec(
        select(OutboxMessage.payload)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.provider_message_id == message_id,
            col(OutboxMessage.method).in_(["send_message", "edit_message_text"]),
            OutboxMessage.status == OutboxStatus.SENT,
            col(OutboxMessage.purged_at).is_(None),
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
    return dict(payload) if payload and payload.get("text") else None
