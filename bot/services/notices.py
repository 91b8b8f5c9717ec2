"""Fan-out of one meeting message to the cell: each member privately, in their language, on the
one account they are notified on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from bot.i18n import Translator, translator
from bot.models import (
    COMMITTEE_ROLES,
    EXPECTED_STATUSES,
    Account,
    MeetingKind,
    Member,
    Organisation,
    Person,
    Priority,
    Reachability,
)
from bot.services import outbox
from bot.services import people as people_service
from bot.ui import FileOut, Screen


@dataclass(frozen=True, slots=True)
class Recipient:
    """A joined member who receives the cell's meeting messages, and the one account they get
    them on (whatever channels they use): only what a fan-out writes, no ORM objects, so that
    a cell of thousands costs one light query."""

    member_id: int
    org_id: int
    person_id: int
    locale: str | None  # the person's language; None: the cell's
    channel: str  # the account's channel
    chat_id: str  # the account's private chat id (its external id)
    # Full or probationary (expected at meetings and to register commitments); False for a
    # committee member who is exempt or attached elsewhere.
    expected: bool = True
    # Secretary, deputy or committee member (a họp chi ủy is for them alone).
    committee: bool = False


@dataclass(frozen=True, slots=True)
class _Account:
    channel: str
    chat_id: str
    reachability: Reachability


def recipients(*, session: Session, org_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Returns, per cell, the joined members expected at meetings (and the committee), in
    roster id order.

    Exempt members and members attached elsewhere get no reminders: the domain says no nagging.
    A member whose person has no account cannot be written to and is left out. One query,
    however many cells and members: each member's accounts come with them, and
    people.choose_address picks the one to write to.
    """
    ids = list(set(org_ids))
    out: dict[int, list[Recipient]] = {org_id: [] for org_id in ids}
    if not ids:
        return out
    rows = session.execute(
        select(
            col(Member.id),
            col(Member.org_id),
            col(Person.id),
            col(Person.locale),
            col(Person.notify_channel),
            col(Account.channel),
            col(Account.external_id),
            col(Account.reachability),
            col(Member.status),
            col(Member.role),
        )
        .join(Person, col(Person.id) == col(Member.person_id))
        .join(Account, col(Account.person_id) == col(Person.id))
        .where(
            col(Member.org_id).in_(ids),
            col(Member.removed_at).is_(None),
            or_(
                col(Member.status).in_(list(EXPECTED_STATUSES)),
                col(Member.role).in_(list(COMMITTEE_ROLES)),
            ),
        )
        .order_by(col(Member.id), col(Account.created_at).desc(), col(Account.id).desc())
    ).all()
    for _, group in groupby(rows, key=itemgetter(0)):
        accounts = list(group)
        member_id, org_id, person_id, locale, notify_channel = accounts[0][:5]
        address = people_service.choose_address(
            [_Account(row[5], row[6], row[7]) for row in accounts], notify_channel
        )
        if member_id is None or person_id is None:
            continue
        out[org_id].append(
            Recipient(
                member_id=member_id,
                org_id=org_id,
                person_id=person_id,
                locale=locale,
                channel=address.channel,
                chat_id=address.chat_id,
                expected=accounts[0][8] in EXPECTED_STATUSES,
                committee=accounts[0][9] in COMMITTEE_ROLES,
            )
        )
    return out


_SLOT = "\x00slot\x00"  # stands for a recipient's dedupe key and chat in a shaped template


def fan_out_rows(
    *,
    org: Organisation,
    people: list[Recipient],
    build: Callable[[Translator], Screen],
    key: str,
    now: datetime,
    include_group: bool,
    skip_member_ids: set[int] | None = None,
    priority: int = Priority.NORMAL,
    expires_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Returns outbox rows for one message to each recipient (and the group); dedupe keys are
    `<key>:<member id>` and `<key>:group`; none is sent after `expires_at` (if given).

    The message is rendered once per language and shaped for a channel once per language and
    channel (outbox.message_rows, with a placeholder for the key and the chat); each
    recipient's rows are copies of that template with their own key, chat and person.
    """
    screens: dict[str, Screen] = {}
    templates: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def screen_for(locale: str) -> Screen:
        if locale not in screens:
            screens[locale] = build(translator(locale, org.timezone))
        return screens[locale]

    def template_for(locale: str, channel: str) -> list[dict[str, Any]]:
        found = templates.get((locale, channel))
        if found is None:
            screen = screen_for(locale)
            found = outbox.message_rows(
                dedupe_key=_SLOT,
                chat_id=_SLOT,
                text=screen.text,
                keyboard=screen.keyboard,
                priority=priority,
                org_id=org.id,
                is_group=False,
                channel=channel,
                now=now,
                expires_at=expires_at,
            )
            templates[(locale, channel)] = found
        return found

    rows: list[dict[str, Any]] = []
    skip = skip_member_ids or set()
    for recipient in people:
        if recipient.member_id in skip:
            continue
        member_key = f"{key}:{recipient.member_id}"
        for part in template_for(recipient.locale or org.locale, recipient.channel):
            row = part.copy()
            row["dedupe_key"] = part["dedupe_key"].replace(_SLOT, member_key, 1)
            row["chat_id"] = recipient.chat_id
            row["person_id"] = recipient.person_id
            rows.append(row)
    if include_group and org.group_chat_id:
        # Built apart: in the group the text addresses the comrades, not one of them.
        screen = build(translator(org.locale, org.timezone, group=True))
        rows.extend(
            outbox.message_rows(
                dedupe_key=f"{key}:group",
                chat_id=org.group_chat_id,
                text=screen.text,
                keyboard=screen.keyboard,
                priority=priority,
                org_id=org.id,
                is_group=True,
                channel=org.channel or "telegram",
                now=now,
                expires_at=expires_at,
            )
        )
    return rows


def group_rows(
    *,
    org: Organisation,
    people: list[Recipient],
    build: Callable[[Translator], Screen],
    key: str,
    now: datetime,
    priority: int = Priority.NORMAL,
    expires_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Returns the rows of a message meant for the cell's group: the group when the cell has
    one; otherwise each member privately, on their channel (call it only with text that is for
    everyone — never committee-only figures)."""
    has_group = bool(org.group_chat_id)
    return fan_out_rows(
        org=org,
        people=[] if has_group else people,
        build=build,
        key=key,
        now=now,
        include_group=has_group,
        priority=priority,
        expires_at=expires_at,
    )


def for_meeting(people: list[Recipient], kind: MeetingKind | None) -> list[Recipient]:
    """Who a meeting is for: a họp chi ủy is the committee's alone (its notice, reminders, roll
    call and documents); every other kind is for the whole cell."""
    if kind == MeetingKind.COMMITTEE:
        return [r for r in people if r.committee]
    return people


def group_sees(kind: MeetingKind | None) -> bool:
    """Whether a meeting is shown in the cell's group (never a họp chi ủy)."""
    return kind != MeetingKind.COMMITTEE


def announce_meeting(
    *,
    session: Session,
    org: Organisation,
    build: Callable[[Translator], Screen],
    key: str,
    now: datetime,
    kind: MeetingKind | None = None,
    include_group: bool = True,
    expires_at: datetime | None = None,
) -> int:
    """Queues one message about a meeting to those it is for (see for_meeting; none sent after
    `expires_at`, e.g. an RSVP request once the meeting starts); returns how many rows were
    new."""
    assert org.id is not None
    people = for_meeting(recipients(session=session, org_ids=[org.id])[org.id], kind)
    rows = fan_out_rows(
        org=org,
        people=people,
        build=build,
        key=key,
        now=now,
        include_group=include_group and group_sees(kind),
        expires_at=expires_at,
    )
    return outbox.enqueue_many(session=session, rows=rows)


def fan_out_documents(
    *,
    org: Organisation,
    people: list[Recipient],
    build: Callable[[Translator], FileOut],
    key: str,
    now: datetime,
    include_group: bool,
) -> list[dict[str, Any]]:
    """Returns outbox rows sending one document to each recipient (and the group)."""
    documents: dict[str, FileOut] = {}

    def document_for(locale: str) -> FileOut:
        if locale not in documents:
            documents[locale] = build(translator(locale, org.timezone))
        return documents[locale]

    rows = [
        outbox.document_row(
            dedupe_key=f"{key}:{recipient.member_id}",
            chat_id=recipient.chat_id,
            document=document_for(recipient.locale or org.locale),
            priority=Priority.NORMAL,
            person_id=recipient.person_id,
            org_id=org.id,
            is_group=False,
            channel=recipient.channel,
            now=now,
        )
        for recipient in people
    ]
    if include_group and org.group_chat_id:
        rows.append(
            outbox.document_row(
                dedupe_key=f"{key}:group",
                chat_id=org.group_chat_id,
                document=build(translator(org.locale, org.timezone, group=True)),
                priority=Priority.NORMAL,
                org_id=org.id,
                is_group=True,
                channel=org.channel or "telegram",
                now=now,
            )
        )
    return rows
