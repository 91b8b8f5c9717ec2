import contextlib
import re
import unicodedata
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, SQLModel, col, select

from bot.db import Database
from bot.models import Member, MemberStatus, OutboxMessage, OutboxStatus, Role, SetupCode
from bot.services import audit, delivery, members, orgs, outbox
from bot.services.delivery import Delivery
from bot.services.errors import Conflict, DomainError, InvalidInput, NotFound
from bot.services.tokens import token_hash
from tests import factories

CELL = "Chi bộ Khu phố 3"


def new_org(session: Session, now: datetime, name: str = CELL, parent: str | None = None):
    return orgs.create_org(
        session=session,
        name=name,
        parent_name=parent,
        timezone="Asia/Ho_Chi_Minh",
        locale="vi",
        now=now,
    )


def link(session: Session, code: str, admin, now: datetime, chat_id: str = "-100777"):
    return orgs.link_group(
        session=session,
        code=code,
        channel="telegram",
        chat_id=chat_id,
        chat_title=CELL,
        admin=admin,
        now=now,
    )


def every_stored_value(session: Session) -> list[str]:
    values = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(select(table)):
            values.extend(str(value) for value in row)
    return values


# --- create_org ---------------------------------------------------------------------------------


def test_setup_code_is_random_and_stored_only_as_hash(db: Database, now: datetime) -> None:
    with db.session() as session:
        org, code = new_org(session, now)
        _, other = new_org(session, now, name="Chi bộ Khu phố 4")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", code)  # token_urlsafe(16): 128 random bits
    assert code != other
    with db.session() as session:
        [stored] = session.exec(select(SetupCode).where(SetupCode.org_id == org.id)).all()
        assert stored.code_hash == token_hash(code)
        assert stored.expires_at == now + timedelta(days=7)
        assert not any(code in value for value in every_stored_value(session))


def test_create_org_normalises_name_and_audits(db: Database, now: datetime) -> None:
    with db.session() as session:
        org, _ = new_org(session, now, name=unicodedata.normalize("NFD", "  Chi bộ  Đoàn Kết "))
    with db.session() as session:
        assert org.name == "Chi bộ Đoàn Kết"
        [entry] = audit.list_actions(session=session, org_id=org.id)
        assert entry.action == "org.create"
        assert entry.after is not None
        assert entry.after["name"] == "Chi bộ Đoàn Kết"


def test_duplicate_name_conflicts_even_when_decomposed(db: Database, now: datetime) -> None:
    with db.session() as session:
        new_org(session, now)
        with pytest.raises(Conflict) as info:
            new_org(session, now, name=unicodedata.normalize("NFD", CELL))
    assert info.value.code == "org_exists"


def test_unknown_parent_is_not_found(db: Database, now: datetime) -> None:
    with db.session() as session, pytest.raises(NotFound) as info:
        new_org(session, now, parent="Đảng bộ Không Có")
    assert info.value.code == "parent_not_found"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "UTC+7"])
def test_bad_timezone_is_invalid_input(db: Database, now: datetime, zone: str) -> None:
    with db.session() as session, pytest.raises(InvalidInput) as info:
        orgs.create_org(
            session=session, name=CELL, parent_name=None, timezone=zone, locale="vi", now=now
        )
    assert info.value.code == "bad_timezone"


def test_bad_org_name_is_invalid_input(db: Database, now: datetime) -> None:
    with db.session() as session, pytest.raises(InvalidInput) as info:
        new_org(session, now, name="<b>Chi bộ</b>")
    assert info.value.code == "bad_org_name"
    assert info.value.params["reason"] == "markup"


# --- link_group ---------------------------------------------------------------------------------


def test_link_group_makes_admin_secretary_and_audits(db: Database, now: datetime) -> None:
    with db.session() as session:
        org, code = new_org(session, now)
        admin = factories.person(session, "Trần Văn Bình", now)
        linked, member = link(session, code, admin, now)
    with db.session() as session:
        assert linked.id == org.id
        assert (
            orgs.org_for_chat(session=session, channel="telegram", chat_id="-100777").id == org.id
        )
        stored = session.get(Member, member.id)
        assert stored.role == Role.SECRETARY
        assert stored.person_id == admin.id
        assert stored.full_name == "Trần Văn Bình"
        assert stored.joined_at == now
        entry = audit.list_actions(session=session, org_id=org.id)[0]
        assert entry.action == "org.link_group"
        assert entry.actor_person_id == admin.id
        assert entry.before == {"group_chat_id": None}
        assert entry.after["group_chat_id"] == "-100777"


@pytest.mark.parametrize("code", ["", "abc", "../../etc", "x" * 200, "A" * 22])
def test_wrong_code_is_refused(db: Database, now: datetime, code: str) -> None:
    with db.session() as session:
        new_org(session, now)
        admin = factories.person(session, "Trần Văn Bình", now)
        with pytest.raises(InvalidInput) as info:
            link(session, code, admin, now)
    assert info.value.code == "bad_setup_code"


def test_code_works_once(db: Database, now: datetime) -> None:
    with db.session() as session:
        _, code = new_org(session, now)
        link(session, code, factories.person(session, "Trần Văn Bình", now), now)
    with db.session() as session:
        other = factories.person(session, "Lê Thị Hoa", now)
        with pytest.raises(Conflict) as info:
            link(session, code, other, now, chat_id="-100888")
    assert info.value.code == "setup_code_used"


def test_code_expires_after_seven_days(db: Database, now: datetime) -> None:
    with db.session() as session:
        _, code = new_org(session, now)
        admin = factories.person(session, "Trần Văn Bình", now)
    with db.session() as session, pytest.raises(Conflict) as info:
        link(session, code, admin, now + timedelta(days=7, seconds=1))
    assert info.value.code == "setup_code_expired"
    with db.session() as session:
        _, member = link(session, code, admin, now + timedelta(days=7, seconds=-1))
        assert member.role == Role.SECRETARY


def test_new_code_revokes_the_old_one(db: Database, now: datetime) -> None:
    with db.session() as session:
        org, old = new_org(session, now)
        new = orgs.issue_setup_code(session=session, org=org, now=now)
        admin = factories.person(session, "Trần Văn Bình", now)
    assert new != old
    with db.session() as session, pytest.raises(InvalidInput) as info:
        link(session, old, admin, now)
    assert info.value.code == "bad_setup_code"
    with db.session() as session:
        linked, _ = link(session, new, admin, now)
        assert linked.id == org.id


def test_chat_already_linked_conflicts(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, code = new_org(session, now)
        admin = factories.person(session, "Trần Văn Bình", now)
        with pytest.raises(Conflict) as info:
            link(session, code, admin, now, chat_id=cell.org.group_chat_id)
    assert info.value.code == "group_already_linked"
    assert info.value.params["name"] == cell.org.name


def test_relinking_never_leaves_two_secretaries(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        code = orgs.issue_setup_code(session=session, org=cell.org, now=now)
        newcomer = factories.person(session, "Lê Thị Hoa", now)
    with contextlib.suppress(DomainError), db.session() as session:
        link(session, code, newcomer, now, chat_id="-100999")
    with db.session() as session:
        secretaries = [
            m
            for m in members.active_members(session=session, org_id=cell.org.id)
            if m.role == Role.SECRETARY
        ]
        assert len(secretaries) == 1


# --- follow_migration and org_tree ---------------------------------------------------------------


def test_follow_migration_moves_group_and_pending_rows(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        old = cell.org.group_chat_id
        for key in ("a", "b", "sent"):
            outbox.enqueue_message(
                session=session, dedupe_key=key, chat_id=old, text=key, now=now, is_group=True
            )
        outbox.enqueue_message(
            session=session, dedupe_key="x", chat_id="42", text="x", now=now, is_group=False
        )
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == "sent")).one()
        delivery.claim(session=session, ids=[sent.id], now=now)
        delivery.record_delivery(
            session=session,
            row_id=sent.id,
            delivery=Delivery("sent", provider_message_id="9"),
            now=now,
            retry_base=timedelta(seconds=1),
        )
    with db.session() as session:
        org = orgs.follow_migration(
            session=session, channel="telegram", old_chat_id=old, new_chat_id="-100123"
        )
        assert org is not None
        assert org.id == cell.org.id
    with db.session() as session:
        assert orgs.org_for_chat(session=session, channel="telegram", chat_id=old) is None
        moved = orgs.org_for_chat(session=session, channel="telegram", chat_id="-100123")
        assert moved.id == cell.org.id
        chats = {
            row.dedupe_key: (row.chat_id, row.status)
            for row in session.exec(select(OutboxMessage))
        }
        assert chats == {
            "a": ("-100123", OutboxStatus.PENDING),
            "b": ("-100123", OutboxStatus.PENDING),
            "sent": (old, OutboxStatus.SENT),
            "x": ("42", OutboxStatus.PENDING),
        }
        assert (
            orgs.follow_migration(
                session=session, channel="telegram", old_chat_id="-5", new_chat_id="-6"
            )
            is None
        )


def test_org_tree_order_depth_and_counts(db: Database, now: datetime) -> None:
    with db.session() as session:
        new_org(session, now, name="Đảng bộ Xã Tân Phú")
        new_org(session, now, name="Đảng bộ Phường Bến Nghé")
        new_org(session, now, name="Chi bộ Khu phố 2", parent="Đảng bộ Phường Bến Nghé")
        new_org(session, now, name="Chi bộ Khu phố 1", parent="Đảng bộ Phường Bến Nghé")
        new_org(session, now, name="Tổ đảng 1", parent="Chi bộ Khu phố 1")
        kp1 = orgs.find_org(session=session, name="Chi bộ Khu phố 1")
        members.add_members(
            session=session,
            org_id=kp1.id,
            names=["Lê Văn Tám", "Võ Thị Sáu"],
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=None,
            now=now,
        )
    with db.session() as session:
        tree = [(s.org.name, s.depth, s.member_count) for s in orgs.org_tree(session=session)]
    assert tree == [
        ("Đảng bộ Phường Bến Nghé", 0, 0),
        ("Chi bộ Khu phố 1", 1, 2),
        ("Tổ đảng 1", 2, 0),
        ("Chi bộ Khu phố 2", 1, 0),
        ("Đảng bộ Xã Tân Phú", 0, 0),
    ]


def test_org_tree_does_not_count_removed_members(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        gone, _ = factories.joined_member(session, cell, "Phạm Văn Đồng", now)
        factories.joined_member(session, cell, "Lê Thị Hoa", now)
        members.add_members(
            session=session,
            org_id=cell.org.id,
            names=["Võ Thị Sáu"],
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=cell.secretary,
            now=now,
        )
        members.update_member(
            session=session,
            org_id=cell.org.id,
            member_id=gone.id,
            actor=cell.secretary,
            now=now,
            remove=True,
        )
    with db.session() as session:
        [summary] = orgs.org_tree(session=session)
        removed = session.exec(select(Member).where(col(Member.removed_at).is_not(None))).all()
    assert len(removed) == 1
    assert summary.member_count == 3  # secretary, Hoa and Sáu
