"""Fan-out of one meeting message to the cell: each member privately, in their language, on the
one account they are notified on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.i18n import Translator, translator
from bot.models import (
    COMMITTEE_ROLES,
    EXPECTED_STATUSES,
    Account,
    Member,
    Organisation,
    Person,
    Priority,
)
from bot.services import outbox
from bot.services import people as people_service
from bot.ui import FileOut, Screen


@dataclass(frozen=True)
class Recipient:
    """A joined member who receives the cell's meeting messages, and the account they get
    them on (one per person, whatever channels they use)."""

    member: Member
    person: Person
    account: Account


def recipients(*, session: Session, org_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Returns, per cell, the joined members expected at meetings (and the committee).

    Exempt members and members attached elsewhere get no reminders: the domain says no nagging.
    A member whose person has no account cannot be written to and is left out. Two queries,
    however many cells and members.
    """
    ids = list(set(org_ids))
    out: dict[int, list[Recipient]] = {org_id: [] for org_id in ids}
    if not ids:
        return out
    rows = session.exec(
        select(Member, Person)
        .join(Person, col(Person.id) == col(Member.person_id))
        .where(col(Member.org_id).in_(ids), col(Member.removed_at).is_(None))
        .order_by(col(Member.id))
    ).all()
    wanted = [
        (member, person)
        for member, person in rows
        if member.status in EXPECTED_STATUSES or member.role in COMMITTEE_ROLES
    ]
    accounts = people_service.addresses(
        session=session, person_ids=[p.id for _, p in wanted if p.id is not None]
    )
    for member, person in wanted:
        account = accounts.get(person.id) if person.id is not None else None
        if account is not None:
            out[member.org_id].append(Recipient(member=member, person=person, account=account))
    return out


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
) -> list[dict[str, Any]]:
    """Returns outbox rows for one message to each recipient (and the group), one render per
    language; dedupe keys are `<key>:<member id>` and `<key>:group`."""
    screens: dict[str, Screen] = {}

    def screen_for(locale: str) -> Screen:
        if locale not in screens:
            screens[locale] = build(translator(locale, org.timezone))
        return screens[locale]

    rows: list[dict[str, Any]] = []
    skip = skip_member_ids or set()
    for recipient in people:
        if recipient.member.id in skip:
            continue
        screen = screen_for(recipient.person.locale or org.locale)
        rows.extend(
            outbox.message_rows(
                dedupe_key=f"{key}:{recipient.member.id}",
                chat_id=recipient.account.external_id,
                text=screen.text,
                keyboard=screen.keyboard,
                priority=priority,
                person_id=recipient.person.id,
                org_id=org.id,
                is_group=False,
                channel=recipient.account.channel,
                now=now,
            )
        )
    if include_group and org.group_chat_id:
        screen = screen_for(org.locale)
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
    )


def announce_meeting(
    *,
    session: Session,
    org: Organisation,
    build: Callable[[Translator], Screen],
    key: str,
    now: datetime,
    include_group: bool = True,
) -> int:
    """Queues one message about a meeting to its cell; returns how many rows were new."""
    assert org.id is not None
    people = recipients(session=session, org_ids=[org.id])[org.id]
    rows = fan_out_rows(
        org=org, people=people, build=build, key=key, now=now, include_group=include_group
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
            dedupe_key=f"{key}:{recipient.member.id}",
            chat_id=recipient.account.external_id,
            document=document_for(recipient.person.locale or org.locale),
            priority=Priority.NORMAL,
            person_id=recipient.person.id,
            org_id=org.id,
            is_group=False,
            channel=recipient.account.channel,
            now=now,
        )
        for recipient in people
    ]
    if include_group and org.group_chat_id:
        rows.append(
            outbox.document_row(
                dedupe_key=f"{key}:group",
                chat_id=org.group_chat_id,
                document=document_for(org.locale),
                priority=Priority.NORMAL,
                org_id=org.id,
                is_group=True,
                channel=org.channel or "telegram",
                now=now,
            )
        )
    return rows
