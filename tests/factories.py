"""Builds test data through the real services (never by writing rows directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.models import Account, Member, MemberStatus, Organisation, Person, Role
from bot.services import invites, members, orgs, people


@dataclass
class Cell:
    org: Organisation
    secretary: Person
    secretary_member: Member


_counter = {"n": 1000}


def _external_id(channel: str) -> str:
    _counter["n"] += 1
    # Telegram ids are numbers; Zalo's are hex strings.
    return str(_counter["n"]) if channel == "telegram" else f"{_counter['n']:x}abc"


def person(
    session: Session,
    name: str,
    now: datetime,
    *,
    started: bool = True,
    channel: str = "telegram",
) -> Person:
    p, _ = person_and_account(session, name, now, started=started, channel=channel)
    return p


def person_and_account(
    session: Session,
    name: str,
    now: datetime,
    *,
    started: bool = True,
    channel: str = "telegram",
) -> tuple[Person, Account]:
    p, account = people.ensure_account(
        session=session,
        channel=channel,
        external_id=_external_id(channel),
        display_name=name,
        username=None,
        now=now,
    )
    if started:
        people.mark_started(session=session, account=account)
    return p, account


def add_account(
    session: Session, p: Person, now: datetime, *, channel: str = "zalo", started: bool = True
) -> Account:
    """Gives an existing person another channel account (as joining from a second channel)."""
    _, account = person_and_account(session, p.display_name, now, started=started, channel=channel)
    return people.link_account(session=session, account=account, person=p)


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
    channel: str = "telegram",
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
    p = person(session, name, now, channel=channel)
    joined, _ = invites.accept_personal_invite(session=session, token=token, person=p, now=now)
    return joined, p


def joined_members(
    session: Session,
    c: Cell,
    names: list[str],
    now: datetime,
    *,
    status: MemberStatus = MemberStatus.FULL,
    channel: str = "telegram",
) -> list[tuple[Member, Person, Account]]:
    """Adds many roster entries at once and joins each through its personal invite (the real
    join path, in the caller's one transaction); returns them in the order of `names`."""
    assert c.org.id is not None
    added = members.add_members(
        session=session,
        org_id=c.org.id,
        names=names,
        role=Role.MEMBER,
        status=status,
        actor=c.secretary,
        now=now,
    )
    out = []
    for member in added:
        assert member.id is not None
        token = invites.create_personal_invite(
            session=session, org_id=c.org.id, member_id=member.id, actor=c.secretary, now=now
        )
        p, account = person_and_account(session, member.full_name, now, channel=channel)
        joined, _ = invites.accept_personal_invite(session=session, token=token, person=p, now=now)
        out.append((joined, p, account))
    return out
