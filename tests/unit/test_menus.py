"""Each person's own command menu: by their highest role, in their language, queued only for
a private chat they opened on a channel with menus, and only when it is not the members'."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.db import Database
from bot.menus import Level, private_entries
from bot.models import MemberStatus, OutboxMessage, Person, Role
from bot.services import menus
from bot.services.outbox import MENU_METHOD
from tests import factories


def _menus(session: Session) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.method == MENU_METHOD)
            .order_by(col(OutboxMessage.id))
        )
    )


def test_levels_show_more_commands_the_higher_the_role() -> None:
    member = {name for name, _ in private_entries(Level.MEMBER)}
    committee = {name for name, _ in private_entries(Level.COMMITTEE)}
    secretary = {name for name, _ in private_entries(Level.SECRETARY)}
    assert {"lichhop", "camket", "tiendo"} <= member
    assert not {"taohop", "duyet", "dangvien", "moi", "caidat"} & member
    assert member < committee < secretary
    assert "taohop" in committee
    assert "moi" not in committee
    assert {"moi", "caidat"} <= secretary


def test_a_menu_follows_the_role_and_the_language(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, lan = factories.joined_member(session, cell, "Trần Thị Lan", now)
        _, hung = factories.joined_member(
            session, cell, "Lê Văn Hùng", now, role=Role.COMMITTEE, status=MemberStatus.FULL
        )
        assert menus.level_of(session=session, person=cell.secretary) == Level.SECRETARY
        assert menus.level_of(session=session, person=hung) == Level.COMMITTEE
        assert menus.level_of(session=session, person=lan) == Level.MEMBER
        # A plain member keeps the menu every private chat has: nothing to queue.
        assert menus.queue_own_menu(session=session, person=lan, now=now) == 0
        assert menus.queue_own_menu(session=session, person=hung, now=now) == 1
        assert menus.queue_own_menu(session=session, person=hung, now=now) == 0  # same row
        lan.locale = "en"
        assert menus.queue_own_menu(session=session, person=lan, now=now) == 1
        hung_menu, lan_menu = _menus(session)
    hung_commands = {c["command"]: c["description"] for c in hung_menu.payload["commands"]}
    lan_commands = {c["command"]: c["description"] for c in lan_menu.payload["commands"]}
    assert hung_commands["taohop"] == "Tạo cuộc họp (chi ủy)"
    assert "moi" not in hung_commands
    assert lan_commands["lichhop"] == "Upcoming meetings"
    assert "taohop" not in lan_commands
    assert not lan_menu.is_group


def test_no_menu_for_a_chat_never_opened_or_a_channel_without_menus(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, zalo = factories.joined_member(
            session, cell, "Võ Thị Sáu", now, role=Role.DEPUTY, channel="zalo"
        )
        quiet = factories.person(session, "Đinh Văn Lặng", now, started=False)
        factories.joined_member(session, cell, "Trần Thị Lan", now)
        assert menus.queue_menu(session=session, person=zalo, now=now) == 0
        assert menus.queue_menu(session=session, person=quiet, now=now) == 0
        assert _menus(session) == []
        assert session.get(Person, zalo.id) is not None
