import unicodedata
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from bot.db import Database
from bot.i18n import translator
from bot.models import MemberStatus, Reachability, Role
from bot.render import roster_text
from bot.services import audit, invites, members, people, roster_reads
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests import factories
from tests.statements import count_statements

FULL = MemberStatus.FULL


def add(session: Session, cell: factories.Cell, names: list[str], now: datetime, role=Role.MEMBER):
    return members.add_members(
        session=session,
        org_id=cell.org.id,
        names=names,
        role=role,
        status=FULL,
        actor=cell.secretary,
        now=now,
    )


def update(session: Session, cell: factories.Cell, member, actor, now: datetime, **changes):
    return members.update_member(
        session=session, org_id=cell.org.id, member_id=member.id, actor=actor, now=now, **changes
    )


# --- parse_names --------------------------------------------------------------------------------


def test_parse_names_one_per_line_ignoring_blank_lines() -> None:
    text = "  Nguyễn Thị Lan \n\n   \nTrần   Văn Đức\n" + unicodedata.normalize("NFD", "Lê Hoa")
    assert members.parse_names(text) == ["Nguyễn Thị Lan", "Trần Văn Đức", "Lê Hoa"]


@pytest.mark.parametrize("text", ["", "\n\n", "   \n \t "])
def test_parse_names_needs_one_name(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        members.parse_names(text)
    assert info.value.code == "names_empty"


def test_parse_names_refuses_duplicates_by_line() -> None:
    text = "Nguyễn Thị Lan\nTrần Văn Đức\n" + unicodedata.normalize("NFD", "NGUYỄN THỊ LAN")
    with pytest.raises(InvalidInput) as info:
        members.parse_names(text)
    assert info.value.code == "name_duplicate"
    assert info.value.params["line"] == 3


def test_parse_names_at_most_one_hundred() -> None:
    names = [f"Đảng viên số {i}" for i in range(101)]
    assert len(members.parse_names("\n".join(names[:100]))) == 100
    with pytest.raises(InvalidInput) as info:
        members.parse_names("\n".join(names))
    assert info.value.code == "names_too_many"
    assert info.value.params["limit"] == 100


def test_invisible_characters_are_stripped_and_capitals_tidied() -> None:
    assert members.parse_names("Lan\x00\nnguyễn văn AN\nTRẦN THỊ HOA") == [
        "Lan",
        "nguyễn văn AN",
        "Trần Thị Hoa",
    ]


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("<b>Lan</b>", "name_markup"),
        ("Lan & Hoa", "name_markup"),
        ("x" * 121, "name_too_long"),
    ],
)
def test_parse_names_reports_the_bad_line(bad: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        members.parse_names(f"Nguyễn Thị Lan\n{bad}\nTrần Văn Đức")
    assert info.value.code == code
    assert info.value.params["line"] == 2


def test_bad_line_number_counts_the_blank_lines_the_user_typed() -> None:
    with pytest.raises(InvalidInput) as info:
        members.parse_names("Nguyễn Thị Lan\n\n<b>Hoa</b>")
    assert info.value.params["line"] == 3


# --- add_members --------------------------------------------------------------------------------


def test_add_members_adds_unjoined_entries_and_audits(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        added = add(session, cell, ["Nguyễn Thị Lan", "Trần Văn Đức"], now, role=Role.COMMITTEE)
    with db.session() as session:
        assert [(m.full_name, m.role, m.person_id) for m in added] == [
            ("Nguyễn Thị Lan", Role.COMMITTEE, None),
            ("Trần Văn Đức", Role.COMMITTEE, None),
        ]
        adds = [
            e
            for e in audit.list_actions(session=session, org_id=cell.org.id)
            if e.action == "member.add"
        ]
        assert sorted(e.target for e in adds) == ["Nguyễn Thị Lan", "Trần Văn Đức"]
        assert all(e.actor_person_id == cell.secretary.id for e in adds)


def test_add_members_refuses_a_second_secretary(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        with pytest.raises(Conflict) as info:
            add(session, cell, ["Nguyễn Thị Lan"], now, role=Role.SECRETARY)
    assert info.value.code == "secretary_exists"


def test_add_members_validates_names(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        with pytest.raises(InvalidInput) as info:
            add(session, cell, ["Nguyễn Thị Lan", "<script>"], now)
    assert info.value.code == "name_markup"
    assert info.value.params["line"] == 2


# --- update_member ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COMMITTEE])
def test_only_secretary_or_deputy_may_update(db: Database, now: datetime, role: Role) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, actor = factories.joined_member(session, cell, "Lê Văn Tám", now, role=role)
        target, _ = factories.joined_member(session, cell, "Võ Thị Sáu", now)
        with pytest.raises(NotAllowed):
            update(session, cell, target, actor, now, status=MemberStatus.EXEMPT)
        with pytest.raises(NotAllowed):
            update(session, cell, target, actor, now, remove=True)


def test_secretary_changes_role_with_audit(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        target, _ = factories.joined_member(session, cell, "Võ Thị Sáu", now)
        later = now + timedelta(hours=1)
        update(session, cell, target, cell.secretary, later, role=Role.COMMITTEE)
    with db.session() as session:
        assert (
            members.get_member(session=session, org_id=cell.org.id, member_id=target.id).role
            == Role.COMMITTEE
        )
        entry = audit.list_actions(session=session, org_id=cell.org.id)[0]
        assert entry.action == "member.update"
        assert entry.at == later
        assert entry.actor_person_id == cell.secretary.id
        assert entry.before == {
            "full_name": "Võ Thị Sáu",
            "role": "member",
            "status": "full",
            "removed": False,
        }
        assert entry.after == {
            "full_name": "Võ Thị Sáu",
            "role": "committee",
            "status": "full",
            "removed": False,
        }


def test_deputy_may_update_members(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, deputy = factories.joined_member(session, cell, "Lê Văn Tám", now, role=Role.DEPUTY)
        target, _ = factories.joined_member(session, cell, "Võ Thị Sáu", now)
        updated = update(session, cell, target, deputy, now, status=MemberStatus.PROBATIONARY)
    assert updated.status == MemberStatus.PROBATIONARY


def test_nobody_changes_own_role_or_removes_self(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        mine = cell.secretary_member
        with pytest.raises(Conflict) as info:
            update(session, cell, mine, cell.secretary, now, role=Role.MEMBER)
        assert info.value.code == "cannot_change_self"
        with pytest.raises(Conflict) as info:
            update(session, cell, mine, cell.secretary, now, remove=True)
        assert info.value.code == "cannot_change_self"
        member, deputy = factories.joined_member(
            session, cell, "Lê Văn Tám", now, role=Role.DEPUTY
        )
        with pytest.raises(Conflict):
            update(session, cell, member, deputy, now, role=Role.COMMITTEE)


def test_deputy_cannot_change_the_secretary(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, deputy = factories.joined_member(session, cell, "Lê Văn Tám", now, role=Role.DEPUTY)
        for change in ({"role": Role.MEMBER}, {"status": MemberStatus.EXEMPT}, {"remove": True}):
            with pytest.raises(NotAllowed):
                update(session, cell, cell.secretary_member, deputy, now, **change)


def test_nobody_is_promoted_to_a_second_secretary(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        target, _ = factories.joined_member(session, cell, "Võ Thị Sáu", now, role=Role.DEPUTY)
        with pytest.raises(Conflict) as info:
            update(session, cell, target, cell.secretary, now, role=Role.SECRETARY)
    assert info.value.code == "secretary_exists"


# --- roster and removal -------------------------------------------------------------------------


def test_roster_reports_joined_and_reachability(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        add(session, cell, ["Chưa Vào Nhóm"], now)
        _, blocked = factories.joined_member(session, cell, "Lê Văn Tám", now)
        [account] = people.accounts_of(session=session, person_id=blocked.id)
        people.mark_reachability(
            session=session,
            channel=account.channel,
            external_id=account.external_id,
            reachability=Reachability.BLOCKED,
        )
    with db.session() as session:
        rows = {
            e.member.full_name: (e.joined, e.reachability)
            for e in roster_reads.roster(session=session, org_id=cell.org.id)
        }
    assert rows == {
        cell.secretary_member.full_name: (True, Reachability.OK),
        "Chưa Vào Nhóm": (False, Reachability.UNKNOWN),
        "Lê Văn Tám": (True, Reachability.BLOCKED),
    }


def test_roster_lists_every_account_of_a_member_in_one_query(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, both = factories.joined_member(session, cell, "Lê Văn Tám", now)
        zalo = factories.add_account(session, both, now, channel="zalo")
        people.mark_reachability(
            session=session,
            channel="zalo",
            external_id=zalo.external_id,
            reachability=Reachability.BLOCKED,
        )
        factories.joined_member(session, cell, "Võ Thị Sáu", now, channel="zalo")
        add(session, cell, ["Chưa Vào Nhóm"], now)
    with db.session() as session:
        with count_statements(db) as statements:
            entries = roster_reads.roster(session=session, org_id=cell.org.id)
        # The members, then every account of every joined member: never one query per member.
        assert statements.count == 2
        text = roster_text(translator("vi"), cell.org, entries)
    rows = {
        e.member.full_name: (e.reachability, [(a.channel, a.reachability) for a in e.accounts])
        for e in entries
    }
    assert rows == {
        cell.secretary_member.full_name: (Reachability.OK, [("telegram", Reachability.OK)]),
        # Notices go to the Telegram account: the Zalo one blocked the bot.
        "Lê Văn Tám": (
            Reachability.OK,
            [("telegram", Reachability.OK), ("zalo", Reachability.BLOCKED)],
        ),
        "Võ Thị Sáu": (Reachability.OK, [("zalo", Reachability.OK)]),
        "Chưa Vào Nhóm": (Reachability.UNKNOWN, []),
    }
    lines = text.splitlines()
    assert any(
        line.endswith("Lê Văn Tám</b> — Đảng viên; chính thức; 🟢 Telegram, 🔴 Zalo (đã chặn bot)")
        for line in lines
    ), lines
    assert any(line.endswith("Võ Thị Sáu</b> — Đảng viên; chính thức; 🟢 Zalo") for line in lines)
    assert any(line.startswith("⚪") and "Chưa Vào Nhóm" in line for line in lines)


def test_removed_members_disappear_from_active_lists(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        gone, person = factories.joined_member(
            session, cell, "Lê Văn Tám", now, role=Role.COMMITTEE
        )
        [unjoined] = add(session, cell, ["Võ Thị Sáu"], now)
        update(session, cell, gone, cell.secretary, now, remove=True)
        update(session, cell, unjoined, cell.secretary, now, remove=True)
    with db.session() as session:
        org_id = cell.org.id
        assert [m.id for m in members.active_members(session=session, org_id=org_id)] == [
            cell.secretary_member.id
        ]
        assert len(roster_reads.roster(session=session, org_id=org_id)) == 1
        assert members.memberships(session=session, person=person) == []
        assert members.membership_in(session=session, person=person, org_id=org_id) is None
        assert invites.unjoined_members(session=session, org_id=org_id) == []
        with pytest.raises(NotAllowed):
            members.require_committee(session=session, person=person, org_id=org_id)
        with pytest.raises(NotFound):
            members.get_member(session=session, org_id=org_id, member_id=gone.id)
        assert audit.list_actions(session=session, org_id=org_id)[0].after["removed"] is True


def test_member_of_another_cell_is_not_found(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        other = factories.cell(session, now, name="Chi bộ Khác")
        [stranger] = add(session, other, ["Võ Thị Sáu"], now)
        with pytest.raises(NotFound):
            update(session, cell, stranger, cell.secretary, now, status=MemberStatus.EXEMPT)


def test_active_members_put_the_committee_first(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        add(session, cell, ["Trần Văn Bình", "Lê Thị An"], now)
        add(session, cell, ["Phạm Văn Cường"], now, role=Role.COMMITTEE)
        add(session, cell, ["Hoàng Thị Yến"], now, role=Role.DEPUTY)
        names = [m.full_name for m in members.active_members(session=session, org_id=cell.org.id)]
    assert names == [
        cell.secretary_member.full_name,
        "Hoàng Thị Yến",
        "Phạm Văn Cường",
        "Lê Thị An",
        "Trần Văn Bình",
    ]


def test_members_sort_in_vietnamese_alphabetical_order(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        add(
            session,
            cell,
            ["Hoàng Văn Yên", "Lê Văn Đức", "Nguyễn Thị Ánh", "Trần Văn Bình", "Phạm Thị Giang"],
            now,
        )
        names = [
            m.full_name
            for m in members.active_members(session=session, org_id=cell.org.id)
            if m.role == Role.MEMBER
        ]
    assert names == [
        "Nguyễn Thị Ánh",
        "Trần Văn Bình",
        "Lê Văn Đức",
        "Phạm Thị Giang",
        "Hoàng Văn Yên",
    ]


def test_the_stored_order_follows_a_change_of_role(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        *_, yen = add(session, cell, ["Lê Thị An", "Trần Văn Bình", "Hoàng Thị Yến"], now)
        update(session, cell, yen, cell.secretary, now, role=Role.DEPUTY)
    with db.session() as session:
        names = [m.full_name for m in members.active_members(session=session, org_id=cell.org.id)]
        assert names == [
            cell.secretary_member.full_name,
            "Hoàng Thị Yến",
            "Lê Thị An",
            "Trần Văn Bình",
        ]
        update(session, cell, yen, cell.secretary, now, role=Role.MEMBER)
    with db.session() as session:
        names = [m.full_name for m in members.active_members(session=session, org_id=cell.org.id)]
        assert names == [
            cell.secretary_member.full_name,
            "Lê Thị An",
            "Trần Văn Bình",
            "Hoàng Thị Yến",
        ]
        # A new secretary: the old one becomes deputy, and both move.
        newcomer = factories.person(session, "Đỗ Văn Tâm", now)
        members.ensure_secretary(session=session, org=cell.org, person=newcomer, now=now)
    with db.session() as session:
        roster = members.active_members(session=session, org_id=cell.org.id)
        assert [(m.full_name, m.role) for m in roster[:2]] == [
            ("Đỗ Văn Tâm", Role.SECRETARY),
            (cell.secretary_member.full_name, Role.DEPUTY),
        ]


def test_a_page_of_the_roster_is_its_beginning(db: Database, now: datetime) -> None:
    given = ["Yến", "An", "Ánh", "Ân", "Ấn", "Bình", "Đức", "Dũng", "Giang", "Ăn", "Anh", "Hà"]
    with db.session() as session:
        cell = factories.cell(session, now)
        added = add(session, cell, [f"Nguyễn Thị {g}" for g in given], now)
        factories.joined_member(session, cell, "Lê Văn Ơn", now)
        for member in added[:3]:
            token = invites.create_personal_invite(
                session=session,
                org_id=cell.org.id,
                member_id=member.id,
                actor=cell.secretary,
                now=now,
            )
            joiner = factories.person(session, member.full_name, now)
            invites.accept_personal_invite(session=session, token=token, person=joiner, now=now)
    with db.session() as session:
        org_id = cell.org.id
        everyone = members.active_members(session=session, org_id=org_id)
        assert members.active_members(session=session, org_id=org_id, limit=5) == everyone[:5]
        joined = [m for m in everyone if m.person_id is not None]
        unjoined = [m for m in everyone if m.person_id is None]
        assert members.active_members(session=session, org_id=org_id, joined=True) == joined
        assert (
            members.active_members(session=session, org_id=org_id, joined=False, limit=4)
            == (unjoined[:4])
        )
        assert [m.full_name.split()[-1] for m in everyone[1:]] == [
            "An",
            "Anh",
            "Ánh",
            "Ăn",
            "Ân",
            "Ấn",
            "Bình",
            "Dũng",
            "Đức",
            "Giang",
            "Hà",
            "Ơn",
            "Yến",
        ]


def test_names_are_looked_up_by_id_among_current_members(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        other = factories.cell(session, now, name="Chi bộ Khác")
        lan, tam = add(session, cell, ["Trần Thị Lan", "Lê Văn Tám"], now)
        [stranger] = add(session, other, ["Võ Thị Sáu"], now)
        update(session, cell, tam, cell.secretary, now, remove=True)
    with db.session() as session, count_statements(db) as counted:
        names = members.names_by_id(
            session=session, org_id=cell.org.id, member_ids=[lan.id, tam.id, stranger.id, None]
        )
    assert names == {lan.id: "Trần Thị Lan"}
    assert (counted.count, counted.rows) == (1, 1)


def test_a_roster_snapshot_answers_like_the_database_with_one_read(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        org_id = c.org.id or 0
        factories.joined_member(session, c, "Trần Thị Lan", now, role=Role.DEPUTY)
        factories.joined_member(session, c, "Lê Văn Hùng", now, status=MemberStatus.PROBATIONARY)
        members.add_members(
            session=session,
            org_id=org_id,
            names=["Phạm Văn Miễn", "Vũ Thị Chưa"],
            role=Role.MEMBER,
            status=MemberStatus.EXEMPT,
            actor=c.secretary,
            now=now,
        )
        asks: list[dict[str, object]] = [
            {},
            {"joined": True},
            {"joined": False},
            {"statuses": [MemberStatus.FULL, MemberStatus.PROBATIONARY]},
            {"roles": [Role.SECRETARY, Role.DEPUTY]},
            {"limit": 2},
        ]
        expected = [
            [m.id for m in members.active_members(session=session, org_id=org_id, **ask)]  # type: ignore[arg-type]
            for ask in asks
        ]
        with (
            count_statements(db) as counted,
            members.roster_snapshot(session=session, org_id=org_id),
        ):
            got = [
                [m.id for m in members.active_members(session=session, org_id=org_id, **ask)]  # type: ignore[arg-type]
                for ask in asks
            ]
        assert got == expected
        assert counted.count == 1
        # Outside it, the database is asked again.
        assert (
            "chibot.roster_snapshot" not in session.info
            or not session.info["chibot.roster_snapshot"]
        )
