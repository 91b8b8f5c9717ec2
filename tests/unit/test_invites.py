import unicodedata
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.models import (
    Account,
    Invite,
    InviteKind,
    JoinRequestStatus,
    Member,
    MemberStatus,
    Person,
    Role,
)
from bot.services import audit, invites, join_codes, members, people
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from bot.services.tokens import token_hash
from tests import factories

TAM = "Lê Văn Tám"


def roster_entry(session: Session, cell: factories.Cell, now: datetime, name: str = TAM) -> Member:
    [member] = members.add_members(
        session=session,
        org_id=cell.org.id,
        names=[name],
        role=Role.COMMITTEE,
        status=MemberStatus.PROBATIONARY,
        actor=cell.secretary,
        now=now,
    )
    return member


def personal(session: Session, cell: factories.Cell, member: Member, now: datetime) -> str:
    return invites.create_personal_invite(
        session=session, org_id=cell.org.id, member_id=member.id, actor=cell.secretary, now=now
    )


def accept(session: Session, token: str, person, now: datetime):
    return invites.accept_personal_invite(session=session, token=token, person=person, now=now)


def ask(session: Session, token: str, person, now: datetime, name: str = "Đỗ Thị Mai"):
    return invites.request_join(
        session=session, token=token, person=person, full_name=name, now=now
    )


# --- personal links -----------------------------------------------------------------------------


def test_personal_link_binds_the_roster_entry(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        entry = roster_entry(session, cell, now)
        token = personal(session, cell, entry, now)
        tam = factories.person(session, "tam_tg", now)
    assert len(token) == 22
    with db.session() as session:
        assert invites.kind_of(session=session, token=token) == InviteKind.PERSONAL
        preview = invites.preview_invite(session=session, token=token, person=tam, now=now)
        assert preview.member.id == entry.id
        member, org = accept(session, token, tam, now)
    with db.session() as session:
        stored = session.get(Member, member.id)
        assert (stored.person_id, stored.joined_at, stored.role) == (tam.id, now, Role.COMMITTEE)
        assert org.id == cell.org.id
        assert audit.list_actions(session=session, org_id=org.id)[0].action == "member.join"
        invite = session.exec(select(Invite).where(Invite.token_hash == token_hash(token))).one()
        assert invite.used_at == now


def test_personal_link_is_single_use(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        token = personal(session, cell, roster_entry(session, cell, now), now)
        accept(session, token, factories.person(session, "first", now), now)
    with db.session() as session:
        second = factories.person(session, "second", now)
        with pytest.raises(Conflict) as info:
            accept(session, token, second, now)
    assert info.value.code == "invite_used"


def test_personal_link_expires_after_thirty_days(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        token = personal(session, cell, roster_entry(session, cell, now), now)
        tam = factories.person(session, "tam", now)
    with db.session() as session, pytest.raises(Conflict) as info:
        accept(session, token, tam, now + timedelta(days=30, seconds=1))
    assert info.value.code == "invite_expired"
    with db.session() as session:
        member, _ = accept(session, token, tam, now + timedelta(days=30, seconds=-1))
        assert member.person_id == tam.id


def test_regenerating_revokes_the_old_link(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        entry = roster_entry(session, cell, now)
        old = personal(session, cell, entry, now)
        new = personal(session, cell, entry, now + timedelta(minutes=1))
        tam = factories.person(session, "tam", now)
    assert old != new
    with db.session() as session, pytest.raises(Conflict) as info:
        accept(session, old, tam, now)
    assert info.value.code == "invite_expired"
    with db.session() as session:
        member, _ = accept(session, new, tam, now)
        assert member.id == entry.id


def test_a_new_link_for_a_joined_member_adds_another_account(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        joined, tam = factories.joined_member(session, cell, TAM, now)
        issued = invites.issue_personal_invite(
            session=session, org_id=cell.org.id, member_id=joined.id, actor=cell.secretary, now=now
        )
        zalo_person, zalo_account = factories.person_and_account(
            session, "Tám Zalo", now, channel="zalo"
        )
    later = now + timedelta(hours=1)
    with db.session() as session:
        preview = invites.preview_invite(
            session=session, token=issued.code, person=zalo_person, now=later
        )
        assert preview.links_account
        assert preview.member.id == joined.id
        account = session.get(Account, zalo_account.id)
        member, _ = invites.accept_personal_invite(
            session=session, token=issued.code, person=zalo_person, now=later, account=account
        )
        assert member.id == joined.id
    with db.session() as session:
        assert session.get(Member, joined.id).person_id == tam.id
        assert session.get(Account, zalo_account.id).person_id == tam.id
        # The Zalo-only person had nothing else: merged away, not left as a stray.
        assert session.get(Person, zalo_person.id) is None
        owner = session.get(Person, tam.id)
        assert owner.notify_channel == "zalo"
        assert people.address(session=session, person=owner).id == zalo_account.id
        assert len(people.accounts_of(session=session, person_id=tam.id)) == 2
        assert audit.list_actions(session=session, org_id=cell.org.id)[0].action == (
            "member.link_account"
        )
        invite = session.exec(
            select(Invite).where(Invite.token_hash == token_hash(issued.token))
        ).one()
        assert invite.used_at == later
    with db.session() as session, pytest.raises(Conflict) as info:
        invites.preview_invite(session=session, token=issued.token, person=zalo_person, now=later)
    assert info.value.code == "invite_used"


def test_a_link_invite_without_the_account_counts_as_used(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        joined, tam = factories.joined_member(session, cell, TAM, now)
        token = personal(session, cell, joined, now)
        other = factories.person(session, "other", now, channel="zalo")
        with pytest.raises(Conflict) as info:
            accept(session, token, other, now)
    assert info.value.code == "invite_used"
    with db.session() as session:
        assert session.get(Member, joined.id).person_id == tam.id


def test_an_account_of_another_cells_member_is_not_moved(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        other_cell = factories.cell(session, now, name="Chi bộ Khác")
        joined, _ = factories.joined_member(session, cell, TAM, now)
        _, sau = factories.joined_member(session, other_cell, "Võ Thị Sáu", now, channel="zalo")
        code = invites.issue_personal_invite(
            session=session, org_id=cell.org.id, member_id=joined.id, actor=cell.secretary, now=now
        ).code
        [sau_account] = people.accounts_of(session=session, person_id=sau.id)
    with db.session() as session, pytest.raises(Conflict) as info:
        invites.accept_personal_invite(
            session=session,
            token=code,
            person=sau,
            now=now,
            account=session.get(Account, sau_account.id),
        )
    assert info.value.code == "account_has_memberships"
    with db.session() as session:
        assert session.get(Account, sau_account.id).person_id == sau.id
        invite = session.exec(
            select(Invite).where(Invite.join_code_hash == join_codes.join_code_hash(code))
        ).one()
        assert invite.used_at is None


def test_only_secretary_or_deputy_creates_links(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, committee = factories.joined_member(session, cell, TAM, now, role=Role.COMMITTEE)
        entry = roster_entry(session, cell, now, name="Võ Thị Sáu")
        with pytest.raises(NotAllowed):
            invites.create_personal_invite(
                session=session, org_id=cell.org.id, member_id=entry.id, actor=committee, now=now
            )
        with pytest.raises(NotAllowed):
            invites.create_cell_invite(
                session=session, org_id=cell.org.id, actor=committee, now=now
            )


def test_removed_roster_entry_link_dies(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        entry = roster_entry(session, cell, now)
        token = personal(session, cell, entry, now)
        members.update_member(
            session=session,
            org_id=cell.org.id,
            member_id=entry.id,
            actor=cell.secretary,
            now=now,
            remove=True,
        )
        tam = factories.person(session, "tam", now)
        with pytest.raises(Conflict) as info:
            accept(session, token, tam, now)
    assert info.value.code == "invite_expired"


# --- cell links ---------------------------------------------------------------------------------


def test_cell_link_request_then_approve(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        mai = factories.person(session, "mai_tg", now)
    with db.session() as session:
        assert invites.kind_of(session=session, token=token) == InviteKind.CELL
        request, org = ask(
            session, token, mai, now, name=unicodedata.normalize("NFD", " Đỗ Thị Mai ")
        )
        assert org.id == cell.org.id
        assert members.membership_in(session=session, person=mai, org_id=org.id) is None
    with db.session() as session:
        decided, member = invites.decide_join(
            session=session, request_id=request.id, approver=cell.secretary, approve=True, now=now
        )
    with db.session() as session:
        stored = members.membership_in(session=session, person=mai, org_id=cell.org.id)
        assert stored is not None
        assert stored.id == member.id
        assert (stored.full_name, stored.role, stored.joined_at) == (
            "Đỗ Thị Mai",
            Role.MEMBER,
            now,
        )
        assert decided.status == JoinRequestStatus.APPROVED
        assert decided.decided_by == cell.secretary.id


def test_cell_link_reject_creates_no_member(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        mai = factories.person(session, "mai", now)
        request, _ = ask(session, token, mai, now)
        before = len(members.active_members(session=session, org_id=cell.org.id))
        decided, member = invites.decide_join(
            session=session, request_id=request.id, approver=cell.secretary, approve=False, now=now
        )
    with db.session() as session:
        assert member is None
        assert decided.status == JoinRequestStatus.REJECTED
        assert len(members.active_members(session=session, org_id=cell.org.id)) == before
        assert members.membership_in(session=session, person=mai, org_id=cell.org.id) is None


def test_deciding_twice_conflicts(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        request, _ = ask(session, token, factories.person(session, "mai", now), now)
        invites.decide_join(
            session=session, request_id=request.id, approver=cell.secretary, approve=False, now=now
        )
    with db.session() as session, pytest.raises(Conflict) as info:
        invites.decide_join(
            session=session, request_id=request.id, approver=cell.secretary, approve=True, now=now
        )
    assert info.value.code == "join_already_decided"


def test_plain_member_or_other_cell_cannot_decide(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        other = factories.cell(session, now, name="Chi bộ Khác")
        _, plain = factories.joined_member(session, cell, TAM, now)
        token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        request, _ = ask(session, token, factories.person(session, "mai", now), now)
    for approver in (plain, other.secretary):
        with db.session() as session, pytest.raises(NotAllowed):
            invites.decide_join(
                session=session, request_id=request.id, approver=approver, approve=True, now=now
            )


def test_second_pending_request_conflicts(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        mai = factories.person(session, "mai", now)
        ask(session, token, mai, now)
        with pytest.raises(Conflict) as info:
            ask(session, token, mai, now)
    assert info.value.code == "join_pending"


def test_new_cell_link_revokes_old_one(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        old = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        with pytest.raises(Conflict) as info:
            ask(session, old, factories.person(session, "mai", now), now)
    assert info.value.code == "invite_expired"


# --- any link -----------------------------------------------------------------------------------


def test_someone_already_in_the_cell_cannot_use_any_link(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, tam = factories.joined_member(session, cell, TAM, now)
        cell_token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        personal_token = personal(
            session, cell, roster_entry(session, cell, now, "Võ Thị Sáu"), now
        )
    for token in (cell_token, personal_token):
        with db.session() as session, pytest.raises(Conflict) as info:
            invites.preview_invite(session=session, token=token, person=tam, now=now)
        assert info.value.code == "already_member"
    with db.session() as session, pytest.raises(Conflict):
        ask(session, cell_token, tam, now)
    with db.session() as session, pytest.raises(Conflict):
        accept(session, personal_token, tam, now)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "../../etc", "x" * 200, "A" * 22, "Ab3_-" * 4 + "zz", "a b c d e f g h i j k"],
)
def test_garbage_tokens_are_bad_invites(db: Database, now: datetime, token: str) -> None:
    with db.session() as session:
        person = factories.person(session, "someone", now)
        for call in (
            lambda: invites.kind_of(session=session, token=token),
            lambda: invites.preview_invite(session=session, token=token, person=person, now=now),
            lambda: accept(session, token, person, now),
            lambda: ask(session, token, person, now),
        ):
            with pytest.raises(InvalidInput) as info:
                call()
            assert info.value.code == "bad_invite"


def test_personal_and_cell_tokens_are_not_interchangeable(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        cell_token = invites.create_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        personal_token = personal(session, cell, roster_entry(session, cell, now), now)
        mai = factories.person(session, "mai", now)
        with pytest.raises(InvalidInput):
            accept(session, cell_token, mai, now)
        with pytest.raises(InvalidInput):
            ask(session, personal_token, mai, now)
