"""The roster as the committee reads it (/dangvien, the digest's exceptions): each current
member with whether they joined and whether the bot can reach them, on every channel."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.models import Member, Reachability
from bot.services import people
from bot.services.members import active_members


@dataclass(frozen=True)
class AccountReach:
    """One channel account of a member, and whether the bot can write to it."""

    channel: str
    reachability: Reachability


@dataclass(frozen=True)
class RosterEntry:
    """A roster line with what the committee needs to see about reachability.

    `reachability` is that of the account notifications go to; `accounts` lists every channel
    account of the member, oldest first.
    """

    member: Member
    joined: bool
    reachability: Reachability
    accounts: tuple[AccountReach, ...] = ()


def roster(*, session: Session, org_id: int) -> list[RosterEntry]:
    """Returns the roster with joined flags and each member's accounts and their reachability
    (two queries, however many members)."""
    current = active_members(session=session, org_id=org_id)
    person_ids = [m.person_id for m in current if m.person_id is not None]
    book = people.accounts_of_people(session=session, person_ids=person_ids)
    entries = []
    for member in current:
        found = book.get(member.person_id) if member.person_id is not None else None
        if found is None:
            entries.append(
                RosterEntry(
                    member=member,
                    joined=member.person_id is not None,
                    reachability=Reachability.UNKNOWN,
                )
            )
            continue
        accounts = tuple(
            AccountReach(channel=a.channel, reachability=a.reachability)
            for a in reversed(found.accounts)
        )
        entries.append(
            RosterEntry(
                member=member,
                joined=True,
                reachability=found.address.reachability,
                accounts=accounts,
            )
        )
    return entries
