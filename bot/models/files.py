"""Files the bot sends: stored once, and the id each channel gave them once uploaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import _utc

# --- Files: bytes the bot made (calendar files, reports), kept once by content hash ---------


class StoredFile(SQLModel, table=True):
    """A file the bot sends; outbox rows refer to it instead of carrying its bytes."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    file_name: str = Field(max_length=255)
    mime_type: str | None = Field(default=None, max_length=100)
    size: int = 0
    content: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = _utc()


class FileCopy(SQLModel, table=True):
    """The id a channel gave a stored file when it was first uploaded, to send it again by id."""

    __table_args__ = (UniqueConstraint("file_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    file_id: int = Field(foreign_key="storedfile.id", index=True)
    channel: str = Field(max_length=16)
    provider_file_id: str = Field(max_length=255)
    created_at: datetime = _utc()
