"""People: the humans the bot knows, their channel accounts, language and reachability.

A person may write from several channels (Telegram and Zalo); each is an Account. Every message
about one event goes to one account per person, the one `addresses` picks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import BindParameter, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from bot.channels import PROFILES
from bot.i18n import LOCALES
from bot.models import Account, Member, Person, Reachability
from bot.services.errors import Conflict, InvalidInput
from bot.text import clean_line


def channel_label(channel: str) -> str:
    """Returns a channel's name as people know it ("Telegram", "Zalo")."""
    profile = PROFILES.get(channel)
    return profile.label if profile is not None else channel


def _account_and_person(
    session: Session, channel: str, external_id: str
) -> tuple[Account, Person] | None:
    row = session.exec(
        select(Account, Person)
        .join(Person, col(Person.id) == col(Account.person_id))
        .where(Account.channel == channel, Account.external_id == external_id)
    ).first()
    return None if row is None else (row[0], row[1])


def ensure_account(
    *,
    session: Session,
    channel: str,
    external_id: str,
    display_name: str,
    username: str | None,
    now: datetime,
) -> tuple[Person, Account]:
    """Returns the person and account for a channel account, creating both the first time,
    refreshing the name and username, and recording that the account was seen now."""
    name = clean_line(display_name)[:255]
    found = _account_and_person(session, channel, external_id)
    if found is None:
        try:
            # A savepoint: if a concurrent turn of the same account inserted it first, only
            # this insert is undone (no orphan person) and that account is read below.
            with session.begin_nested():
                person = Person(display_name=name, created_at=now)
                session.add(person)
                session.flush()
                assert person.id is not None
                account = Account(
                    person_id=person.id,
                    channel=channel,
                    external_id=external_id,
                    username=username,
                    created_at=now,
                    last_seen_at=now,
                )
                session.add(account)
                session.flush()
            return person, account
        except IntegrityError:
            found = _account_and_person(session, channel, external_id)
            if found is None:
                raise
    account, person = found
    if name and person.display_name != name:
        person.display_name = name
        session.add(person)
    if account.username != username:
        account.username = username
    account.last_seen_at = now
    session.add(account)
    return person, account


def ensure_person(
    *,
    session: Session,
    channel: str,
    external_id: str,
    display_name: str,
    username: str | None,
    now: datetime,
) -> Person:
    """Returns the person for a channel account, creating or refreshing it (see ensure_account)."""
    person, _ = ensure_account(
        session=session,
        channel=channel,
        external_id=external_id,
        display_name=display_name,
        username=username,
        now=now,
    )
    return person


def get_account(*, session: Session, channel: str, external_id: str) -> Account | None:
    """Returns a channel account, if seen before."""
    return session.exec(
        select(Account).where(Account.channel == channel, Account.external_id == external_id)
    ).first()


def get_person(*, session: Session, channel: str, external_id: str) -> Person | None:
    """Returns the person behind a channel account, if seen before."""
    found = _account_and_person(session, channel, external_id)
    return None if found is None else found[1]


def accounts_of(*, session: Session, person_id: int) -> list[Account]:
    """Returns a person's accounts, oldest first."""
    return list(
        session.exec(
            select(Account)
            .where(Account.person_id == person_id)
            .order_by(col(Account.created_at), col(Account.id))
        )
    )


def set_locale(*, session: Session, person: Person, locale: str) -> Person:
    """Remembers the language a person chose."""
    if locale not in LOCALES:
        raise InvalidInput("bad_locale")
    person.locale = locale
    session.add(person)
    return person


def set_notify_channel(*, session: Session, person: Person, channel: str | None) -> Person:
    """Sends the person's notifications to their account on `channel` (None: the newest
    account's channel); refuses a channel they have no account on."""
    if channel is not None:
        found = session.exec(
            select(Account.id).where(Account.person_id == person.id, Account.channel == channel)
        ).first()
        if found is None:
            raise InvalidInput("no_account_on_channel", channel=channel_label(channel))
    person.notify_channel = channel
    session.add(person)
    return person


def mark_reachability(
    *, session: Session, channel: str, external_id: str, reachability: Reachability
) -> None:
    """Records whether the bot can write to one account privately."""
    session.execute(
        update(Account)
        .where(
            col(Account.channel) == channel,
            col(Account.external_id) == external_id,
            col(Account.reachability) != reachability,
        )
        .values(reachability=reachability)
    )


def mark_started(*, session: Session, account: Account) -> None:
    """Records that the account wrote to the bot privately (so it may write back)."""
    if account.reachability != Reachability.OK:
        account.reachability = Reachability.OK
        session.add(account)


def link_account(*, session: Session, account: Account, person: Person) -> Account:
    """Makes `account` one of `person`'s accounts (someone who joined on one channel joining the
    same roster entry from another).

    The person the account belonged to is merged away when the account was all it had: its
    other traces (sent messages, requests, audit lines) move to `person`. An account whose person
    is on a roster (even a past entry) is not moved: that would split a member's records.
    """
    assert person.id is not None
    old_id = account.person_id
    if old_id == person.id:
        return account
    on_roster = session.exec(select(Member.id).where(Member.person_id == old_id)).first()
    if on_roster is not None:
        raise Conflict("account_has_memberships", channel=channel_label(account.channel))
    account.person_id = person.id
    session.add(account)
    session.flush()
    if accounts_of(session=session, person_id=old_id):
        return account
    old = session.get(Person, old_id)
    if old is None:
        return account
    if person.locale is None and old.locale is not None:
        person.locale = old.locale
        session.add(person)
    _repoint_person(session, old_id, person.id)
    session.delete(old)
    session.flush()
    return account


def _repoint_person(session: Session, old_id: int, new_id: int) -> None:
    # Every column referencing person.id, found in the metadata so that a new table is covered.
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "person" and table.name != "person":
                column = fk.parent
                session.execute(
                    table.update().where(column == old_id).values({column.name: new_id})
                )


class Reachable(Protocol):
    """What choosing an address looks at: an account's channel and reachability."""

    @property
    def channel(self) -> str:
        """The account's channel ("telegram", "zalo")."""
        ...

    @property
    def reachability(self) -> Reachability:
        """Whether the bot can write to the account."""
        ...


AccountLike = TypeVar("AccountLike", bound=Reachable)


def choose_address(accounts: Sequence[AccountLike], notify_channel: str | None) -> AccountLike:
    """Picks the account to write to from a person's accounts, given newest first (an Account,
    or any row with its channel and reachability)."""
    has_ok = any(a.reachability == Reachability.OK for a in accounts)

    def rank(account: AccountLike) -> tuple[bool, bool]:
        # Lower is better: a blocked account loses to a reachable one; the chosen channel wins.
        blocked = has_ok and account.reachability == Reachability.BLOCKED
        return (blocked, account.channel != notify_channel)

    # min() keeps the first of equals: the newest account wins ties.
    return min(accounts, key=rank)


@dataclass(frozen=True)
class PersonAccounts:
    """A person's accounts, newest first, and the one their notifications go to."""

    accounts: tuple[Account, ...]
    address: Account


def accounts_of_people(
    *, session: Session, person_ids: Collection[int]
) -> dict[int, PersonAccounts]:
    """Returns every account of these people and each one's address, in one query.

    A person without accounts is absent from the result.
    """
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        return {}
    # The ids are integers rendered into the statement: one statement, however many people,
    # and no driver limit on bound parameters.
    wanted: BindParameter[list[int]] = bindparam(
        "person_ids", ids, expanding=True, literal_execute=True
    )
    rows = session.exec(
        select(Account, Person.notify_channel)
        .join(Person, col(Person.id) == col(Account.person_id))
        .where(col(Account.person_id).in_(wanted))
        .order_by(col(Account.person_id), col(Account.created_at).desc(), col(Account.id).desc())
    ).all()
    grouped: dict[int, tuple[str | None, list[Account]]] = {}
    for account, notify_channel in rows:
        grouped.setdefault(account.person_id, (notify_channel, []))[1].append(account)
    return {
        person_id: PersonAccounts(tuple(accounts), choose_address(accounts, notify_channel))
        for person_id, (notify_channel, accounts) in grouped.items()
    }


def addresses(*, session: Session, person_ids: Collection[int]) -> dict[int, Account]:
    """Returns, per person, the account their notifications go to, in one query.

    That is the account on the person's chosen channel, else their newest account; an account
    known to have blocked the bot is passed over when another account of theirs is reachable.
    A person without accounts is absent from the result.
    """
    book = accounts_of_people(session=session, person_ids=person_ids)
    return {person_id: entry.address for person_id, entry in book.items()}


def address(*, session: Session, person: Person) -> Account | None:
    """Returns the account a person's notifications go to (see addresses)."""
    if person.id is None:
        return None
    return addresses(session=session, person_ids=[person.id]).get(person.id)
