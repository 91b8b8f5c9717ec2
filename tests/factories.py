"""Builds test data through the real services (never by writing rows directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.models import Member, MemberStatus, Organisation, Person, Role
from bot.services import invites, members, orgs, people


@dataclass
class Cell:
    org: Organisation
    secretary: Person
    secretary_member: Member


_counter = {"n": 1000}


def person(session: Session, name: str, now: datetime, *, started: bool = True) -> Person:
    _counter["n"] += 1
    p = people.ensure_person(
        session=session,
        channel="telegram",
        external_id=str(_counter["n"]),
        display_name=name,
        username=None,
        now=now,
    )
    if started:
        people.mark_started(session=session, person=p)
    return p


def cell(session: Session, now: datetime, name: str = "Chi bộ Văn phòng") -> Cell:
    org, code = orgs.create_org(
        session=session,
        name=name,
        parent_name=None,
        timezone="Asia/Ho_Chi_Minh",
        locale="vi",
        now=now,
    )
    secretary = person(session, "Nguyễn Văn Bí", now)
    _counter["n"] += 1
    org, member = orgs.link_group(
        session=session,
        code=code,
        channel="telegram",
        chat_id=f"-{_counter['n']}",
        chat_title=name,
        admin=secretary,
        now=now,
    )
    return Cell(org=org, secretary=secretary, secretary_member=member)


def joined_member(
    session: Session,
    c: Cell,
    name: str,
    now: datetime,
    role: Role = Role.MEMBER,
    status: MemberStatus = MemberStatus.FULL,
) -> tuple[Member, Person]:
    assert c.org.id is not None
    [member] = members.add_members(
        session=session,
        org_id=c.org.id,
        names=[name],
        role=role,
        status=status,
        actor=c.secretary,
        now=now,
    )
    assert member.id is not None
    token = invites.create_personal_invite(
        session=session, org_id=c.org.id, member_id=member.id, actor=c.secretary, now=now
    )
    p = person(session, name, now)
    joined, _ = invites.accept_personal_invite(session=session, token=token, person=p, now=now)
    return joined, p
