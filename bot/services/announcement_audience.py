"""Who an announcement is for: the members an audience names and the account each is written
to, and the refusal of an audience in which nobody can be reached."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot.models import (
    COMMITTEE_ROLES,
    EXPECTED_STATUSES,
    Account,
    AudienceKind,
    Member,
    Person,
    Reachability,
)
from bot.services import notices
from bot.services import people as people_service
from bot.services.errors import Conflict

# Accounts the bot knows it cannot write to (a blocked bot, a chat never started).
UNREACHABLE = frozenset({Reachability.BLOCKED, Reachability.NEVER_STARTED})


@dataclass(frozen=True)
class Addressee:
    """A roster entry of an audience and where it can be written to (None: nowhere)."""

    member_id: int
    full_name: str
    person_id: int | None
    recipient: notices.Recipient | None
    reachability: Reachability | None


@dataclass(frozen=True)
class _Account:
    channel: str
    chat_id: str
    reachability: Reachability


def audience(
    *, session: Session, org_id: int, kind: AudienceKind, chosen: tuple[int, ...] = ()
) -> list[Addressee]:
    """Returns the members an audience names, in roster order, each with the account they are
    written to (people.choose_address), in one query.

    The whole cell is every full or probationary member and the committee (exempt members and
    members attached elsewhere are not nagged, as for meetings); the committee is the bí thư,
    phó bí thư and chi ủy viên; chosen members are whoever was named.
    """
    query = (
        sa_select(
            col(Member.id),
            col(Member.full_name),
            col(Person.id),
            col(Person.locale),
            col(Person.notify_channel),
            col(Account.channel),
            col(Account.external_id),
            col(Account.reachability),
        )
        .select_from(Member)
        .outerjoin(Person, col(Person.id) == col(Member.person_id))
        .outerjoin(Account, col(Account.person_id) == col(Person.id))
        .where(col(Member.org_id) == org_id, col(Member.removed_at).is_(None))
    )
    if kind == AudienceKind.CELL:
        query = query.where(
            col(Member.status).in_(list(EXPECTED_STATUSES))
            | col(Member.role).in_(list(COMMITTEE_ROLES))
        )
    elif kind == AudienceKind.COMMITTEE:
        query = query.where(col(Member.role).in_(list(COMMITTEE_ROLES)))
    else:
        query = query.where(col(Member.id).in_(list(chosen)))
    query = query.order_by(
        col(Member.sort_key), col(Member.id), col(Account.created_at).desc(), col(Account.id)
    )
    found: list[Addressee] = []
    for member_id, group in groupby(session.execute(query).all(), key=itemgetter(0)):
        rows = list(group)
        _, name, person_id, locale, notify_channel = rows[0][:5]
        accounts = [_Account(r[5], r[6], r[7]) for r in rows if r[5] is not None]
        if person_id is None or not accounts:
            found.append(Addressee(member_id or 0, name, person_id, None, None))
            continue
        chosen_account = people_service.choose_address(accounts, notify_channel)
        recipient = notices.Recipient(
            member_id=member_id or 0,
            org_id=org_id,
            person_id=person_id,
            locale=locale,
            channel=chosen_account.channel,
            chat_id=chosen_account.chat_id,
        )
        found.append(
            Addressee(member_id or 0, name, person_id, recipient, chosen_account.reachability)
        )
    if kind == AudienceKind.CHOSEN:
        order = {member_id: index for index, member_id in enumerate(chosen)}
        found.sort(key=lambda a: order.get(a.member_id, len(order)))
    return found


def require_reachable(addressees: list[Addressee]) -> None:
    """Refuses an audience in which nobody can be written to, saying why."""
    if not addressees:
        raise Conflict("audience_empty")
    joined = [a for a in addressees if a.recipient is not None]
    if not joined:
        raise Conflict("audience_not_joined")
    if all(a.reachability in UNREACHABLE for a in joined):
        raise Conflict("audience_unreachable")
