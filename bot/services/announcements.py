"""Announcements (thông báo): composing, scheduling, sending through the outbox, editing and
cancelling before they go out, and acknowledging ("✅ Đã nắm").

Who an announcement reached, who acknowledged and who was told in person is the delivery
ledger (bot.services.announcement_ledger); reminding those who have not acknowledged is there
too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot import render_announcements as render
from bot.db import rowcount
from bot.i18n import Translator
from bot.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementRecipient,
    AnnouncementStatus,
    AudienceKind,
    Organisation,
    Person,
    ReflectionKind,
)
from bot.services import audit, members, notices, outbox
from bot.services.announcement_audience import audience, require_reachable
from bot.services.documents import IncomingFile, check_file
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import nfc
from bot.ui import FileOut

MAX_TEXT = 10_000
MAX_LINK = 500
# How many announcements /thongbao lists.
RECENT = 8


def message_key(announcement_id: int) -> str:
    """Returns the dedupe-key prefix of an announcement's private messages; each member's
    key is `<prefix>:<member id>`."""
    return f"ann:{announcement_id}:m"


# --- what the committee types --------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Returns the announcement's text normalised; refuses an empty or too long one."""
    cleaned = nfc(text).strip()
    if not cleaned:
        raise InvalidInput("announcement_empty")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput("announcement_too_long", limit=MAX_TEXT)
    return cleaned


def clean_link(text: str) -> str | None:
    """Returns a typed link (http:// or https://, no spaces), or None if the text is not one."""
    link = nfc(text).strip()
    if not link.lower().startswith(("https://", "http://")) or any(c.isspace() for c in link):
        return None
    if len(link) > MAX_LINK:
        raise InvalidInput("link_too_long", limit=MAX_LINK)
    return link


def clean_file(incoming: IncomingFile) -> IncomingFile:
    """Accepts the files meeting documents accept (type and size), else raises."""
    return check_file(incoming)


@dataclass(frozen=True)
class Draft:
    """What the compose form gathered; `due_at` None means now."""

    org_id: int
    text: str
    audience: AudienceKind
    chosen_member_ids: tuple[int, ...] = ()
    ack_required: bool = True
    post_to_group: bool = False
    due_at: datetime | None = None
    file_id: str | None = None
    file_name: str | None = None
    link: str | None = None
    # A study campaign (tài liệu học tập): more documents, a deadline, what it asks back.
    kind: AnnouncementKind = AnnouncementKind.NOTICE
    documents: tuple[dict[str, str], ...] = ()
    deadline: datetime | None = None
    reflection: ReflectionKind = ReflectionKind.NONE
    min_length: int = 0
    question: str | None = None


# --- composing, editing, cancelling --------------------------------------------------------------


def get_announcement(*, session: Session, announcement_id: int) -> Announcement:
    """Returns an announcement, or raises NotFound."""
    found = session.get(Announcement, announcement_id)
    if found is None:
        raise NotFound("announcement_not_found")
    return found


def org_of(session: Session, announcement: Announcement) -> Organisation:
    """Returns an announcement's cell."""
    org = session.get(Organisation, announcement.org_id)
    if org is None:
        raise NotFound("org_not_found")
    return org


def for_committee(*, session: Session, announcement_id: int, person: Person) -> Announcement:
    """Returns an announcement for a committee member of its cell; refuses anyone else."""
    found = get_announcement(session=session, announcement_id=announcement_id)
    try:
        members.require_committee(session=session, person=person, org_id=found.org_id)
    except NotAllowed:
        from bot.services.officers import refuse_names  # an officer above: counts only

        refuse_names(session=session, person=person, org_id=found.org_id)
        raise
    return found


def check_due(due_at: datetime | None, now: datetime) -> None:
    """Refuses a time that has already passed."""
    if due_at is not None and due_at <= now:
        raise InvalidInput("announcement_past")


def _snapshot(announcement: Announcement) -> dict[str, Any]:
    return {
        "status": announcement.status.value,
        "audience": announcement.audience.value,
        "ack_required": announcement.ack_required,
        "due_at": announcement.due_at.isoformat() if announcement.due_at else None,
        "length": len(announcement.text),
        "version": announcement.version,
    }


def _audit(
    session: Session,
    announcement: Announcement,
    actor: Person,
    action: str,
    now: datetime,
    **kw: Any,
) -> None:
    audit.record_action(
        session=session,
        org_id=announcement.org_id,
        actor_person_id=actor.id,
        actor_label=actor.display_name,
        action=action,
        target=f"announcement:{announcement.id}",
        before=kw.get("before"),
        after=kw.get("after", _snapshot(announcement)),
        now=now,
    )


def create(*, session: Session, draft: Draft, actor: Person, now: datetime) -> Announcement:
    """Creates an announcement: sent at once (due_at None) or scheduled for the tick; by the
    cell's committee or an officer of the đảng bộ above it."""
    from bot.services.officers import require_author

    require_author(session=session, person=actor, org_id=draft.org_id)
    text = clean_text(draft.text)
    check_due(draft.due_at, now)
    if draft.kind == AnnouncementKind.STUDY:
        from bot.services.study import check_campaign  # the study rules live with study

        check_campaign(draft, now)
    addressees = audience(
        session=session, org_id=draft.org_id, kind=draft.audience, chosen=draft.chosen_member_ids
    )
    require_reachable(addressees)
    org = session.get(Organisation, draft.org_id)
    if org is None:
        raise NotFound("org_not_found")
    announcement = Announcement(
        org_id=draft.org_id,
        author_person_id=actor.id,
        text=text,
        file_id=draft.file_id,
        file_name=draft.file_name,
        link=draft.link,
        audience=draft.audience,
        chosen_member_ids=list(draft.chosen_member_ids),
        ack_required=draft.ack_required,
        post_to_group=draft.post_to_group and bool(org.group_chat_id),
        kind=draft.kind,
        documents=list(draft.documents),
        deadline=draft.deadline,
        reflection=draft.reflection,
        min_length=draft.min_length,
        question=draft.question,
        status=AnnouncementStatus.SCHEDULED,
        due_at=draft.due_at or now,
        created_at=now,
    )
    session.add(announcement)
    session.flush()
    _audit(session, announcement, actor, "announcement.create", now)
    if draft.due_at is None:
        send(session=session, announcement=announcement, org=org, now=now)
    return announcement


def edit_check(*, announcement: Announcement) -> None:
    """Refuses to change an announcement that went out or was cancelled."""
    if announcement.status == AnnouncementStatus.CANCELLED:
        raise Conflict("announcement_cancelled")
    if announcement.status != AnnouncementStatus.SCHEDULED:
        raise Conflict("announcement_already_sent")


def _scheduled(session: Session, announcement_id: int, person: Person) -> Announcement:
    found = for_committee(session=session, announcement_id=announcement_id, person=person)
    edit_check(announcement=found)
    return found


def edit(
    *,
    session: Session,
    announcement_id: int,
    version: int,
    actor: Person,
    now: datetime,
    text: str | None = None,
    due_at: datetime | None = None,
    send_now: bool = False,
) -> Announcement:
    """Changes the text or the time of an announcement that has not gone out yet."""
    found = _scheduled(session, announcement_id, actor)
    if found.version != version:
        raise Conflict("announcement_changed")
    before = _snapshot(found)
    if text is not None:
        found.text = clean_text(text)
    if due_at is not None:
        check_due(due_at, now)
        found.due_at = due_at
    found.version += 1
    session.add(found)
    _audit(session, found, actor, "announcement.edit", now, before=before)
    if send_now:
        send(session=session, announcement=found, org=org_of(session, found), now=now)
    return found


def cancel(
    *, session: Session, announcement_id: int, actor: Person, now: datetime
) -> Announcement:
    """Cancels an announcement that has not gone out yet; nothing is sent."""
    found = _scheduled(session, announcement_id, actor)
    before = _snapshot(found)
    found.status = AnnouncementStatus.CANCELLED
    found.cancelled_at = now
    found.version += 1
    session.add(found)
    _audit(session, found, actor, "announcement.cancel", now, before=before)
    return found


def recent(*, session: Session, org_ids: list[int], limit: int = RECENT) -> list[Announcement]:
    """Returns the newest announcements of these cells, newest first."""
    if not org_ids:
        return []
    return list(
        session.exec(
            select(Announcement)
            .where(col(Announcement.org_id).in_(org_ids))
            .order_by(col(Announcement.created_at).desc(), col(Announcement.id).desc())
            .limit(limit)
        )
    )


# --- sending -------------------------------------------------------------------------------------


def _insert_recipients(session: Session, rows: list[dict[str, Any]]) -> None:
    """Inserts recipient rows, skipping those already there (a second send changes nothing)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    table = AnnouncementRecipient.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = {column.name for column in table.columns} - {"id"}
    complete = [{**dict.fromkeys(columns), **row} for row in rows]
    stmt = insert(table).on_conflict_do_nothing(index_elements=["announcement_id", "member_id"])
    session.execute(stmt, complete)


def send(
    *,
    session: Session,
    announcement: Announcement,
    org: Organisation,
    now: datetime,
) -> int:
    """Sends a scheduled announcement: a recipient row per member of its audience (resolved
    now), one private message each in their language and channel, the file, the group post.

    Claimed with a conditional update, so two ticks never both send; the outbox's dedupe keys
    (`ann:<id>:m:<member>`) make a send repeated after a crash reach each member once.
    Returns how many outbox rows were new.
    """
    assert announcement.id is not None
    claimed = session.execute(
        update(Announcement)
        .where(
            col(Announcement.id) == announcement.id,
            col(Announcement.status) == AnnouncementStatus.SCHEDULED,
        )
        .values(status=AnnouncementStatus.SENT, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        return 0
    session.refresh(announcement)
    addressees = audience(
        session=session,
        org_id=announcement.org_id,
        kind=announcement.audience,
        chosen=tuple(announcement.chosen_member_ids),
    )
    _insert_recipients(
        session,
        [
            {
                "announcement_id": announcement.id,
                "member_id": a.member_id,
                "person_id": a.person_id,
                "channel": a.recipient.channel if a.recipient else None,
                "chat_id": a.recipient.chat_id if a.recipient else None,
                # The author knows what they wrote: their copy needs no confirmation.
                "acked_at": now if a.person_id == announcement.author_person_id else None,
            }
            for a in addressees
        ],
    )
    people = [a.recipient for a in addressees if a.recipient is not None]
    rows = notices.fan_out_rows(
        org=org,
        people=people,
        build=lambda t: render.member_message(t, announcement, org),
        key=message_key(announcement.id),
        now=now,
        include_group=False,
    )
    if announcement.file_id and announcement.file_name:
        file_id, file_name = announcement.file_id, announcement.file_name
        rows += notices.fan_out_documents(
            org=org,
            people=people,
            build=lambda t: FileOut(
                filename=file_name,
                file_id=file_id,
                caption=render.file_caption(t, announcement),
            ),
            key=f"ann:{announcement.id}:f",
            now=now,
            include_group=False,
        )
    for number, document in enumerate(announcement.documents, start=2):
        if document.get("file_id") and document.get("file_name"):
            rows += notices.fan_out_documents(
                org=org,
                people=people,
                build=partial(_document_out, announcement, document),
                key=f"ann:{announcement.id}:f{number}",
                now=now,
                include_group=False,
            )
    if announcement.post_to_group and org.group_chat_id:
        rows += notices.fan_out_rows(
            org=org,
            people=[],
            build=lambda t: render.group_message(t, announcement, org),
            key=f"ann:{announcement.id}",
            now=now,
            include_group=True,
        )
    return outbox.enqueue_many(session=session, rows=rows)


def _document_out(announcement: Announcement, document: dict[str, str], t: Translator) -> FileOut:
    caption = render.file_caption(t, announcement)
    return FileOut(document["file_name"], file_id=document["file_id"], caption=caption)


def due(*, session: Session, now: datetime) -> list[tuple[Announcement, Organisation]]:
    """Returns the scheduled announcements whose time has come, oldest first."""
    return [
        (a, o)
        for a, o in session.exec(
            select(Announcement, Organisation)
            .join(Organisation, col(Organisation.id) == col(Announcement.org_id))
            .where(
                col(Announcement.status) == AnnouncementStatus.SCHEDULED,
                col(Announcement.due_at) <= now,
            )
            .order_by(col(Announcement.due_at), col(Announcement.id))
        ).all()
    ]


# --- acknowledging -------------------------------------------------------------------------------


def acknowledge(
    *, session: Session, announcement_id: int, person: Person, now: datetime
) -> tuple[Announcement, bool]:
    """Records that a member has read an announcement ("✅ Đã nắm"); the flag says it was
    recorded before (then nothing changes). A fixed number of statements whatever the cell."""
    found = get_announcement(session=session, announcement_id=announcement_id)
    if found.status == AnnouncementStatus.CANCELLED:
        raise Conflict("announcement_cancelled")
    member = members.membership_in(session=session, person=person, org_id=found.org_id)
    if member is None:
        raise NotAllowed("not_your_announcement")
    recipient = session.exec(
        select(AnnouncementRecipient).where(
            AnnouncementRecipient.announcement_id == announcement_id,
            AnnouncementRecipient.member_id == member.id,
        )
    ).first()
    if recipient is None:
        raise NotAllowed("not_your_announcement")
    if recipient.acked_at is not None:
        return found, True
    recipient.acked_at = now
    session.add(recipient)
    return found, False
