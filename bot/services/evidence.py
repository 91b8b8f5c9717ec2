"""Evidence on check-ins: a photo or a file a member sends with an item's answer.

The channel keeps the bytes; the answer keeps, once, the id the channel gave the file, which
channel that is and the file's name (shown with 📎 to the member, the committee and in the
self-review). Documents and images of the kinds meeting documents take, up to 10 MB; anything
else (an executable, an archive) or anything larger is refused and nothing is kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.models import Member, Person
from bot.models.commitments import CheckIn, CheckInRound, CommitmentItem
from bot.services import checkins
from bot.services.documents import ALLOWED_EXTENSIONS, ALLOWED_TYPES, IncomingFile
from bot.services.errors import InvalidInput
from bot.text import clean_line

MAX_EVIDENCE_MB = 10
MAX_EVIDENCE_BYTES = MAX_EVIDENCE_MB * 1024 * 1024
# The longest id (or, on Zalo, address) of a file a channel gives that the answer can keep.
MAX_REF = 512


def check_evidence(incoming: IncomingFile) -> IncomingFile:
    """Accepts PDF, Word, Excel, PowerPoint, ODT and JPG/PNG images up to 10 MB; raises
    InvalidInput ("file_type", "file_too_large", "evidence_unreadable") otherwise."""
    if not incoming.file_id or len(incoming.file_id) > MAX_REF:
        raise InvalidInput("evidence_unreadable")
    name = clean_line(incoming.file_name)[:255] or "minh-chung"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if incoming.mime_type not in ALLOWED_TYPES and extension not in ALLOWED_EXTENSIONS:
        raise InvalidInput("file_type")
    if incoming.size > MAX_EVIDENCE_BYTES:
        raise InvalidInput("file_too_large", limit=MAX_EVIDENCE_MB)
    return IncomingFile(incoming.file_id, name, incoming.mime_type, incoming.size)


def attach(
    *,
    session: Session,
    round_id: int,
    item_id: int,
    person: Person,
    channel: str,
    incoming: IncomingFile,
    now: datetime,
) -> CheckIn:
    """Keeps a file as the evidence of a member's answer for an item in an open round
    (replacing evidence sent before for it); refused files change nothing."""
    checked = check_evidence(incoming)
    row = checkins.answer(
        session=session, round_id=round_id, item_id=item_id, person=person, now=now
    )
    row.evidence_ref = checked.file_id
    row.evidence_channel = channel
    row.evidence_name = checked.file_name
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class RoundEvidence:
    """A file a member sent as evidence in a round, for the committee's follow-up."""

    member_name: str
    item_text: str
    file_name: str


def of_round(*, session: Session, round_id: int) -> list[RoundEvidence]:
    """The evidence sent in a round, by member name then item (one statement)."""
    rows = session.exec(
        select(Member.full_name, CommitmentItem.text, CheckIn.evidence_name)
        .join(Member, col(Member.id) == col(CheckIn.member_id))
        .join(CommitmentItem, col(CommitmentItem.id) == col(CheckIn.item_id))
        .where(CheckIn.round_id == round_id, col(CheckIn.evidence_ref).is_not(None))
        .order_by(col(Member.full_name), col(CommitmentItem.id))
    ).all()
    return [RoundEvidence(name, text, file_name or "") for name, text, file_name in rows]


def names_by_item(*, session: Session, item_ids: list[int]) -> dict[int, list[str]]:
    """The names of the evidence sent for each item, over all its rounds, oldest first."""
    if not item_ids:
        return {}
    rows = session.exec(
        select(CheckIn.item_id, CheckIn.evidence_name)
        .join(CheckInRound, col(CheckInRound.id) == col(CheckIn.round_id))
        .where(col(CheckIn.item_id).in_(item_ids), col(CheckIn.evidence_ref).is_not(None))
        .order_by(col(CheckInRound.seq), col(CheckIn.id))
    ).all()
    found: dict[int, list[str]] = defaultdict(list)
    for item_id, name in rows:
        found[item_id].append(name or "")
    return dict(found)
