"""Meeting documents: attach a file to a meeting, send it out, and record who has read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import DocumentRead, Meeting, MeetingDocument, MeetingStatus, Member, Person
from bot.services import audit, meetings, members
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import clean_line

MAX_BYTES = 20 * 1024 * 1024  # what a bot can pass on (Telegram's download limit for bots)
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "image/jpeg": "jpg",
    "image/png": "png",
}
ALLOWED_EXTENSIONS = set(ALLOWED_TYPES.values()) | {"jpeg"}
# Hướng dẫn 42-HD/BTCTW (28/10/2025): documents reach members at least a day before.
NOTICE_AHEAD = timedelta(days=1)


@dataclass(frozen=True)
class IncomingFile:
    """A file someone sent to the bot, as the channel describes it."""

    file_id: str
    file_name: str
    mime_type: str | None
    size: int
    # What the sender wrote under the file (Telegram's caption), cleaned when shown.
    caption: str = ""


def check_file(incoming: IncomingFile) -> IncomingFile:
    """Accepts PDF, Word, Excel, PowerPoint, ODT and images up to 20 MB; raises otherwise."""
    name = clean_line(incoming.file_name)[:255] or "tai-lieu"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = incoming.mime_type in ALLOWED_TYPES or extension in ALLOWED_EXTENSIONS
    if not allowed:
        raise InvalidInput("file_type")
    if incoming.size > MAX_BYTES:
        raise InvalidInput("file_too_large", limit=MAX_BYTES // (1024 * 1024))
    return IncomingFile(incoming.file_id, name, incoming.mime_type, incoming.size)


def attach(
    *, session: Session, meeting_id: int, incoming: IncomingFile, actor: Person, now: datetime
) -> tuple[Meeting, MeetingDocument, bool]:
    """Attaches a document to an upcoming meeting; the flag says it is less than a day ahead."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    acting = members.require_committee(session=session, person=actor, org_id=meeting.org_id)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    if meeting.starts_at <= now:
        raise Conflict("meeting_started")
    checked = check_file(incoming)
    document = MeetingDocument(
        meeting_id=meeting_id,
        file_id=checked.file_id,
        file_name=checked.file_name,
        mime_type=checked.mime_type,
        size=checked.size,
        uploaded_by=actor.id,
        at=now,
    )
    session.add(document)
    session.flush()
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="meeting.document",
        target=checked.file_name,
        before=None,
        after={"meeting_id": meeting_id},
        now=now,
    )
    return meeting, document, meeting.starts_at - now < NOTICE_AHEAD


def mark_read(
    *, session: Session, document_id: int, person: Person, now: datetime
) -> tuple[MeetingDocument, Member]:
    """Records that a member has read a document (pressing "Đã đọc" twice changes nothing)."""
    document = session.get(MeetingDocument, document_id)
    if document is None:
        raise NotFound("document_not_found")
    meeting = meetings.get_meeting(session=session, meeting_id=document.meeting_id)
    member = members.membership_in(session=session, person=person, org_id=meeting.org_id)
    if member is None or member.id is None:
        raise NotAllowed("not_in_this_cell")
    exists = session.exec(
        select(DocumentRead).where(
            DocumentRead.document_id == document_id, DocumentRead.member_id == member.id
        )
    ).first()
    if exists is None:
        session.add(DocumentRead(document_id=document_id, member_id=member.id, at=now))
    return document, member


def documents_of(*, session: Session, meeting_id: int) -> list[MeetingDocument]:
    """Returns a meeting's documents, oldest first."""
    return list(
        session.exec(
            select(MeetingDocument)
            .where(MeetingDocument.meeting_id == meeting_id)
            .order_by(col(MeetingDocument.id))
        )
    )


def readers(*, session: Session, document_ids: list[int]) -> dict[int, set[int]]:
    """Returns, per document, the ids of the members who have read it."""
    out: dict[int, set[int]] = {doc_id: set() for doc_id in document_ids}
    for read in session.exec(
        select(DocumentRead).where(col(DocumentRead.document_id).in_(document_ids))
    ):
        out[read.document_id].add(read.member_id)
    return out


def read_counts(*, session: Session, document_ids: list[int]) -> dict[int, int]:
    """Returns, per document, how many members have read it (one row per document)."""
    out = dict.fromkeys(document_ids, 0)
    if not document_ids:
        return out
    rows = session.exec(
        select(DocumentRead.document_id, func.count())
        .where(col(DocumentRead.document_id).in_(document_ids))
        .group_by(col(DocumentRead.document_id))
    ).all()
    out.update(dict(rows))
    return out


def read_by(*, session: Session, member_id: int, document_ids: list[int]) -> set[int]:
    """Returns which of these documents one member has read."""
    if not document_ids:
        return set()
    return set(
        session.exec(
            select(DocumentRead.document_id).where(
                DocumentRead.member_id == member_id,
                col(DocumentRead.document_id).in_(document_ids),
            )
        )
    )
