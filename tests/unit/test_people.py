"""People and their channel accounts: one person, several accounts, one address per event."""

import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.db import Database
from bot.models import (
    Account,
    JoinRequest,
    Member,
    OutboxMessage,
    Person,
    Priority,
    Reachability,
)
from bot.services import invites, notices, outbox, people
from bot.services.errors import Conflict, InvalidInput
from bot.ui import Screen
from tests import factories
from tests.statements import count_statements


def ensure(
    session: Session,
    channel: str,
    external_id: str,
    now: datetime,
    name: str = "Trần Thị Lan",
    username: str | None = None,
) -> tuple[Person, Account]:
    return people.ensure_account(
        session=session,
        channel=channel,
        external_id=external_id,
        display_name=name,
        username=username,
        now=now,
    )


def reach(session: Session, account: Account, reachability: Reachability) -> None:
    people.mark_reachability(
        session=session,
        channel=account.channel,
        external_id=account.external_id,
        reachability=reachability,
    )


# --- accounts ---------------------------------------------------------------------------------


def test_first_contact_creates_a_person_and_an_account(db: Database, now: datetime) -> None:
    with db.session() as session:
        person = people.ensure_person(
            session=session,
            channel="telegram",
            external_id="501",
            display_name="  Trần   Thị Lan ",
            username="lan",
            now=now,
        )
    with db.session() as session:
        [account] = people.accounts_of(session=session, person_id=person.id)
        stored = session.get(Person, person.id)
    assert stored.display_name == "Trần Thị Lan"
    assert stored.notify_channel is None
    assert (account.channel, account.external_id, account.username) == ("telegram", "501", "lan")
    assert (account.reachability, account.created_at, account.last_seen_at) == (
        Reachability.UNKNOWN,
        now,
        now,
    )


def test_a_known_account_is_refreshed_not_duplicated(db: Database, now: datetime) -> None:
    later = now + timedelta(hours=3)
    with db.session() as session:
        first, account = ensure(session, "telegram", "501", now, username="lan")
    with db.session() as session:
        again, same = ensure(session, "telegram", "501", later, name="Lan Trần", username=None)
        assert (again.id, same.id) == (first.id, account.id)
    with db.session() as session:
        assert len(session.exec(select(Person)).all()) == 1
        stored = people.get_account(session=session, channel="telegram", external_id="501")
        assert (stored.username, stored.created_at, stored.last_seen_at) == (None, now, later)
        assert session.get(Person, first.id).display_name == "Lan Trần"
        found = people.get_person(session=session, channel="telegram", external_id="501")
        assert found.id == first.id


def test_the_same_id_on_two_channels_is_two_accounts(db: Database, now: datetime) -> None:
    with db.session() as session:
        on_telegram, _ = ensure(session, "telegram", "777", now)
        on_zalo, _ = ensure(session, "zalo", "777", now)
        assert on_telegram.id != on_zalo.id
        assert people.get_person(session=session, channel="zalo", external_id="777").id == (
            on_zalo.id
        )
        assert people.get_person(session=session, channel="zalo", external_id="778") is None
        assert people.get_account(session=session, channel="zalo", external_id="778") is None


def test_reachability_and_start_are_per_account(db: Database, now: datetime) -> None:
    with db.session() as session:
        person, telegram = factories.person_and_account(session, "Lan", now, started=False)
        zalo = factories.add_account(session, person, now, channel="zalo", started=False)
        reach(session, zalo, Reachability.BLOCKED)
    with db.session() as session:
        assert session.get(Account, zalo.id).reachability == Reachability.BLOCKED
        assert session.get(Account, telegram.id).reachability == Reachability.UNKNOWN
        people.mark_started(session=session, account=session.get(Account, zalo.id))
    with db.session() as session:
        assert session.get(Account, zalo.id).reachability == Reachability.OK
        assert session.get(Account, telegram.id).reachability == Reachability.UNKNOWN
        assert [a.channel for a in people.accounts_of(session=session, person_id=person.id)] == [
            "telegram",
            "zalo",
        ]


# --- notify channel -----------------------------------------------------------------------------


def test_notify_channel_must_be_a_channel_the_person_has(db: Database, now: datetime) -> None:
    with db.session() as session:
        person = factories.person(session, "Lan", now)
        with pytest.raises(InvalidInput) as info:
            people.set_notify_channel(session=session, person=person, channel="zalo")
        assert info.value.code == "no_account_on_channel"
        assert info.value.params == {"channel": "Zalo"}
        assert person.notify_channel is None
        factories.add_account(session, person, now, channel="zalo")
        people.set_notify_channel(session=session, person=person, channel="zalo")
    with db.session() as session:
        stored = session.get(Person, person.id)
        assert stored.notify_channel == "zalo"
        people.set_notify_channel(session=session, person=stored, channel=None)
    with db.session() as session:
        assert session.get(Person, person.id).notify_channel is None


# --- addresses ----------------------------------------------------------------------------------


def two_accounts(
    session: Session, now: datetime, *, newer: str = "zalo"
) -> tuple[Person, Account, Account]:
    """A person on Telegram and Zalo, the `newer` channel's account created an hour later."""
    older = "telegram" if newer == "zalo" else "zalo"
    person, first = factories.person_and_account(session, "Lan", now, channel=older)
    second = factories.add_account(session, person, now + timedelta(hours=1), channel=newer)
    return person, first, second


def address_of(session: Session, person: Person) -> Account | None:
    found = people.address(session=session, person=person)
    by_bulk = people.addresses(session=session, person_ids=[person.id]).get(person.id)
    assert (found.id if found else None) == (by_bulk.id if by_bulk else None)
    return found


def test_one_account_is_the_address(db: Database, now: datetime) -> None:
    with db.session() as session:
        person, account = factories.person_and_account(session, "Lan", now)
        assert address_of(session, person).id == account.id


def test_without_a_choice_the_newest_account_is_the_address(db: Database, now: datetime) -> None:
    with db.session() as session:
        person, _, zalo = two_accounts(session, now, newer="zalo")
        assert address_of(session, person).id == zalo.id
        other, _, telegram = two_accounts(session, now, newer="telegram")
        assert address_of(session, other).id == telegram.id


def test_the_chosen_channel_wins_over_the_newest(db: Database, now: datetime) -> None:
    with db.session() as session:
        person, telegram, _ = two_accounts(session, now, newer="zalo")
        people.set_notify_channel(session=session, person=person, channel="telegram")
        assert address_of(session, person).id == telegram.id


def test_a_choice_without_an_account_falls_back_to_the_newest(db: Database, now: datetime) -> None:
    with db.session() as session:
        person, _, zalo = two_accounts(session, now, newer="zalo")
        person.notify_channel = "viber"  # e.g. an account since removed
        session.add(person)
        session.flush()
        assert address_of(session, person).id == zalo.id


@pytest.mark.parametrize("chosen", [None, "zalo"])
def test_a_blocked_account_is_passed_over_for_a_reachable_one(
    db: Database, now: datetime, chosen: str | None
) -> None:
    with db.session() as session:
        person, telegram, zalo = two_accounts(session, now, newer="zalo")
        people.set_notify_channel(session=session, person=person, channel=chosen)
        reach(session, zalo, Reachability.BLOCKED)
        assert address_of(session, person).id == telegram.id


def test_a_blocked_account_stays_the_address_when_no_other_is_reachable(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        person, telegram, zalo = two_accounts(session, now, newer="zalo")
        reach(session, zalo, Reachability.BLOCKED)
        reach(session, telegram, Reachability.NEVER_STARTED)
        # Nothing known to work: the usual rule holds, and the bounce keeps being recorded.
        assert address_of(session, person).id == zalo.id
        reach(session, telegram, Reachability.BLOCKED)
        assert address_of(session, person).id == zalo.id


def test_people_without_accounts_have_no_address(db: Database, now: datetime) -> None:
    with db.session() as session:
        bare = Person(display_name="Không Tài Khoản", created_at=now)
        session.add(bare)
        session.flush()
        person, account = factories.person_and_account(session, "Lan", now)
        found = people.addresses(session=session, person_ids=[bare.id, person.id, 99_999])
        assert {k: v.id for k, v in found.items()} == {person.id: account.id}
        assert people.address(session=session, person=bare) is None
        assert people.addresses(session=session, person_ids=[]) == {}


def test_addresses_take_one_statement_however_many_people(db: Database, now: datetime) -> None:
    with db.session() as session:
        crowd = []
        for i in range(40):
            person, _ = factories.person_and_account(session, f"Đảng viên {i}", now)
            if i % 3 == 0:
                factories.add_account(session, person, now + timedelta(minutes=i), channel="zalo")
            crowd.append(person.id)
    counts = {}
    for size in (5, 40):
        with db.session() as session:
            with count_statements(db) as statements:
                found = people.addresses(session=session, person_ids=crowd[:size])
            assert len(found) == size
            counts[size] = statements.count
    assert counts == {5: 1, 40: 1}


def test_many_people_fit_in_one_statement(db: Database, now: datetime) -> None:
    # The ids are not bound one by one, so no driver limit on bound parameters applies: here
    # SQLite allows 999 (older builds' default) and a fan-out asks for 5000 people; PostgreSQL's
    # protocol allows 65,535 and a fan-out asks for 70,000.
    def low_limit(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)

    sqlite = db.engine.dialect.name == "sqlite"
    many = 5_000 if sqlite else 70_000
    if sqlite:
        event.listen(db.engine, "connect", low_limit)
    try:
        with db.session() as session:
            person, account = factories.person_and_account(session, "Lan", now)
            ids = [person.id, *range(1_000_000, 1_000_000 + many)]
            session.flush()
            with count_statements(db) as statements:
                found = people.addresses(session=session, person_ids=ids)
    finally:
        if sqlite:
            event.remove(db.engine, "connect", low_limit)
    assert {k: v.id for k, v in found.items()} == {person.id: account.id}
    assert statements.count == 1


# --- linking an account to another person ------------------------------------------------------


def test_linking_moves_the_account_and_merges_away_its_empty_person(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        member, lan = factories.joined_member(session, cell, "Trần Thị Lan", now)
        stray, zalo = factories.person_and_account(session, "Lan (Zalo)", now, channel="zalo")
        stray.locale = "en"
        session.add(stray)
        # Traces the Zalo-only person left before linking: a reply sent to them, a request.
        outbox.enqueue_message(
            session=session,
            dedupe_key="hello",
            chat_id=zalo.external_id,
            text="Xin chào",
            now=now,
            is_group=False,
            person_id=stray.id,
            channel="zalo",
        )
        token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        invites.request_join(
            session=session, token=token, person=stray, full_name="Trần Thị Lan", now=now
        )
        linked = people.link_account(session=session, account=zalo, person=lan)
        assert linked.person_id == lan.id
    with db.session() as session:
        assert session.get(Person, stray.id) is None
        assert [a.channel for a in people.accounts_of(session=session, person_id=lan.id)] == [
            "telegram",
            "zalo",
        ]
        assert session.get(Person, lan.id).locale == "en"
        row = session.exec(select(OutboxMessage)).one()
        assert row.person_id == lan.id
        assert session.exec(select(JoinRequest)).one().person_id == lan.id
        assert session.get(Member, member.id).person_id == lan.id
        found = people.get_person(session=session, channel="zalo", external_id=zalo.external_id)
        assert found.id == lan.id


def test_linking_refuses_an_account_whose_person_is_on_a_roster(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, lan = factories.joined_member(session, cell, "Trần Thị Lan", now)
        _, other = factories.joined_member(session, cell, "Lê Văn Tám", now, channel="zalo")
        [zalo] = people.accounts_of(session=session, person_id=other.id)
        with pytest.raises(Conflict) as info:
            people.link_account(session=session, account=zalo, person=lan)
        assert info.value.code == "account_has_memberships"
        assert info.value.params == {"channel": "Zalo"}
    with db.session() as session:
        assert session.get(Account, zalo.id).person_id == other.id


def test_linking_keeps_a_person_that_still_has_accounts(db: Database, now: datetime) -> None:
    with db.session() as session:
        lan = factories.person(session, "Lan", now)
        other, _, zalo = two_accounts(session, now, newer="zalo")
        people.link_account(session=session, account=zalo, person=lan)
        people.link_account(session=session, account=zalo, person=lan)  # again: nothing to do
    with db.session() as session:
        assert session.get(Person, other.id) is not None
        assert [a.channel for a in people.accounts_of(session=session, person_id=other.id)] == [
            "telegram"
        ]
        assert session.get(Account, zalo.id).person_id == lan.id


# --- fan-out: one message per person, on their address ------------------------------------------


def test_fan_out_writes_each_person_once_on_their_address(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, both = factories.joined_member(session, cell, "Trần Thị Lan", now)
        zalo = factories.add_account(session, both, now + timedelta(minutes=1), channel="zalo")
        _, zalo_only = factories.joined_member(session, cell, "Lê Văn Tám", now, channel="zalo")
        [tam] = people.accounts_of(session=session, person_id=zalo_only.id)
        _, gone = factories.joined_member(session, cell, "Võ Thị Sáu", now)
        for account in people.accounts_of(session=session, person_id=gone.id):
            session.delete(account)
        session.flush()
        recipients = notices.recipients(session=session, org_ids=[cell.org.id])[cell.org.id]
        rows = notices.fan_out_rows(
            org=cell.org,
            people=recipients,
            build=lambda t: Screen(t.gettext("Cancelled. Nothing was changed.")),
            key="notice:1",
            now=now,
            include_group=True,
            priority=Priority.NORMAL,
        )
        secretary = people.addresses(session=session, person_ids=[cell.secretary.id])
    sent = {(r["channel"], r["chat_id"], r["is_group"]) for r in rows}
    assert sent == {
        ("telegram", secretary[cell.secretary.id].external_id, False),
        ("zalo", zalo.external_id, False),  # the newest account of a person on both
        ("zalo", tam.external_id, False),
        ("telegram", cell.org.group_chat_id, True),
    }
    assert len(rows) == len(sent)
    assert gone.id not in {r.person_id for r in recipients}


def test_recipients_take_one_statement_however_many_cells(db: Database, now: datetime) -> None:
    with db.session() as session:
        cells = []
        for n, size in enumerate((3, 12)):
            cell = factories.cell(session, now, name=f"Chi bộ {n}")
            for i in range(size):
                factories.joined_member(session, cell, f"Nguyễn Văn Hải {n}{i:02d}", now)
            cells.append(cell.org.id)
    with db.session() as session:
        with count_statements(db) as small:
            notices.recipients(session=session, org_ids=cells[:1])
        with count_statements(db) as big:
            found = notices.recipients(session=session, org_ids=cells)
    assert small.count == big.count == 1
    assert [len(found[org_id]) for org_id in cells] == [4, 13]
    persons = [r.person_id for org_id in cells for r in found[org_id]]
    assert len(persons) == len(set(persons))
    with db.session() as session:
        for org_id in cells:
            for r in found[org_id]:
                address = people.address(session=session, person=session.get(Person, r.person_id))
                assert (r.channel, r.chat_id) == (address.channel, address.external_id)
