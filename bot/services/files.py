"""Files the bot sends: kept once by content, sent by the channel's id after the first upload."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.models import FileCopy, StoredFile


def store(
    *, session: Session, file_name: str, content: bytes, mime_type: str | None, now: datetime
) -> StoredFile:
    """Returns the stored file with these bytes, storing them the first time."""
    digest = hashlib.sha256(content).hexdigest()
    found = session.exec(select(StoredFile).where(StoredFile.sha256 == digest)).first()
    if found is not None:
        return found
    stored = StoredFile(
        sha256=digest,
        file_name=file_name,
        mime_type=mime_type,
        size=len(content),
        content=content,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(stored)
    except IntegrityError:
        # Another turn stored the same bytes a moment ago.
        return session.exec(select(StoredFile).where(StoredFile.sha256 == digest)).one()
    return stored


def for_sending(
    *, session: Session, file_id: int, channel: str
) -> tuple[bytes | None, str | None]:
    """Returns what a sender needs: the channel's id for the file if it has one, else the bytes."""
    copy = session.exec(
        select(FileCopy.provider_file_id).where(
            FileCopy.file_id == file_id, FileCopy.channel == channel
        )
    ).first()
    if copy is not None:
        return None, copy
    stored = session.get(StoredFile, file_id)
    return (stored.content if stored is not None else b""), None


def remember_copy(
    *, session: Session, file_id: int, channel: str, provider_file_id: str, now: datetime
) -> None:
    """Keeps the id a channel gave the file, so later sends need no upload."""
    exists = session.exec(
        select(FileCopy.id).where(FileCopy.file_id == file_id, FileCopy.channel == channel)
    ).first()
    if exists is None:
        session.add(
            FileCopy(
                file_id=file_id, channel=channel, provider_file_id=provider_file_id, created_at=now
            )
        )
