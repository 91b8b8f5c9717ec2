"""The cell roster: adding people, roles and statuses, removal, who may do what."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import (
    COMMITTEE_ROLES,
    Member,
    MemberStatus,
    Organisation,
    Person,
    Role,
)
from bot.services import audit
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import InvalidName, fold, person_name, validate_name

MAX_NAMES_PER_BATCH = 100


def _snapshot(member: Member) -> dict[str, Any]:
    return {
        "full_name": member.full_name,
        "role": member.role.value,
        "status": member.status.value,
        "removed": member.removed_at is not None,
    }


def _active(org_id: int) -> Any:
    return select(Member).where(Member.org_id == org_id, col(Member.removed_at).is_(None))


_SNAPSHOT = "chibot.roster_snapshot"


@contextmanager
def roster_snapshot(*, session: Session, org_id: int) -> Iterator[None]:
    """Within it, the cell's current roster is read once and active_members filters it in
    memory: for a read-only pass (the digest) that asks for the same roster several ways."""
    rows = list(session.exec(_active(org_id).order_by(col(Member.sort_key), col(Member.id))))
    snapshots: dict[int, list[Member]] = session.info.setdefault(_SNAPSHOT, {})
    snapshots[org_id] = rows
    try:
        yield
    finally:
        snapshots.pop(org_id, None)


def active_members(
    *,
    session: Session,
    org_id: int,
    joined: bool | None = None,
    limit: int | None = None,
    statuses: Iterable[MemberStatus] | None = None,
    roles: Iterable[Role] | None = None,
) -> list[Member]:
    """Returns the cell's current roster, committee first, then by name (the stored sort key):
    all of it, or only the entries that have joined (or not), of some statuses or roles, or
    the first `limit`."""
    snapshot = session.info.get(_SNAPSHOT, {}).get(org_id)
    if snapshot is not None:
        wanted_statuses = None if statuses is None else set(statuses)
        wanted_roles = None if roles is None else set(roles)
        found = [
            m
            for m in snapshot
            if (joined is None or (m.person_id is not None) == joined)
            and (wanted_statuses is None or m.status in wanted_statuses)
            and (wanted_roles is None or m.role in wanted_roles)
        ]
        return found if limit is None else found[:limit]
    query = _active(org_id)
    if joined is not None:
        query = query.where(
            col(Member.person_id).is_not(None) if joined else col(Member.person_id).is_(None)
        )
    if statuses is not None:
        query = query.where(col(Member.status).in_(list(statuses)))
    if roles is not None:
        query = query.where(col(Member.role).in_(list(roles)))
    query = query.order_by(col(Member.sort_key), col(Member.id))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def names_by_id(
    *, session: Session, org_id: int, member_ids: Iterable[int | None]
) -> dict[int, str]:
    """Returns the full names of these current members of the cell, by id (one query on the
    primary key, however big the cell)."""
    ids = sorted({i for i in member_ids if i is not None})
    if not ids:
        return {}
    rows = session.exec(
        select(Member.id, Member.full_name).where(
            col(Member.id).in_(ids), Member.org_id == org_id, col(Member.removed_at).is_(None)
        )
    ).all()
    return {member_id: name for member_id, name in rows if member_id is not None}


def count_active(
    *,
    session: Session,
    org_id: int,
    statuses: Iterable[MemberStatus],
    joined: bool | None = None,
    roles: Iterable[Role] | None = None,
) -> int:
    """Counts the cell's current members with one of these statuses (and, if given, joined or
    not, and of these roles)."""
    query = (
        select(func.count())
        .select_from(Member)
        .where(
            Member.org_id == org_id,
            col(Member.removed_at).is_(None),
            col(Member.status).in_(list(statuses)),
        )
    )
    if joined is not None:
        query = query.where(
            col(Member.person_id).is_not(None) if joined else col(Member.person_id).is_(None)
        )
    if roles is not None:
        query = query.where(col(Member.role).in_(list(roles)))
    return session.exec(query).one()


def memberships(*, session: Session, person: Person) -> list[tuple[Member, Organisation]]:
    """Returns the cells a person belongs to, with their roster entry."""
    rows = session.exec(
        select(Member, Organisation)
        .join(Organisation, col(Organisation.id) == col(Member.org_id))
        .where(Member.person_id == person.id, col(Member.removed_at).is_(None))
        .order_by(col(Organisation.name))
    ).all()
    return [(m, o) for m, o in rows]


def membership_in(*, session: Session, person: Person, org_id: int) -> Member | None:
    """Returns the person's active roster entry in one cell."""
    return session.exec(
        select(Member).where(
            Member.person_id == person.id,
            Member.org_id == org_id,
            col(Member.removed_at).is_(None),
        )
    ).first()


def require_committee(*, session: Session, person: Person, org_id: int) -> Member:
    """Returns the person's entry if they sit on the cell committee, else raises NotAllowed."""
    member = membership_in(session=session, person=person, org_id=org_id)
    if member is None or member.role not in COMMITTEE_ROLES:
        raise NotAllowed("committee_only")
    return member


def require_secretary(*, session: Session, person: Person, org_id: int) -> Member:
    """Returns the entry of the secretary or deputy, else raises NotAllowed."""
    member = membership_in(session=session, person=person, org_id=org_id)
    if member is None or member.role not in {Role.SECRETARY, Role.DEPUTY}:
        raise NotAllowed("secretary_only")
    return member


def committee_cells(*, session: Session, person: Person) -> list[tuple[Member, Organisation]]:
    """Returns the cells where the person sits on the committee."""
    return [
        (m, o) for m, o in memberships(session=session, person=person) if m.role in COMMITTEE_ROLES
    ]


def ensure_secretary(
    *, session: Session, org: Organisation, person: Person, now: datetime
) -> Member:
    """Makes the person the cell's secretary, reusing their roster entry if they have one.

    A cell has one secretary: when an operator's fresh setup code is used by someone else, the
    previous secretary becomes deputy (audited), and the new secretary can adjust from there.
    """
    assert org.id is not None
    member = membership_in(session=session, person=person, org_id=org.id)
    for previous in list(session.exec(_active(org.id).where(Member.role == Role.SECRETARY))):
        if member is None or previous.id != member.id:
            before = _snapshot(previous)
            previous.role = Role.DEPUTY
            session.add(previous)
            audit.record_action(
                session=session,
                org_id=org.id,
                actor_person_id=person.id,
                actor_label=person.display_name,
                action="member.update",
                target=previous.full_name,
                before=before,
                after=_snapshot(previous),
                now=now,
            )
    if member is None:
        name = person.display_name or "?"
        try:
            name = validate_name(name)
        except InvalidName:
            name = name[:120]
        member = Member(
            org_id=org.id, full_name=name, person_id=person.id, created_at=now, joined_at=now
        )
    member.role = Role.SECRETARY
    session.add(member)
    session.flush()
    return member


def parse_names(text: str) -> list[str]:
    """Returns the validated names typed one per line; raises InvalidInput naming the bad line."""
    names: list[str] = []
    seen: set[str] = set()
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InvalidInput("names_empty")
    if len(lines) > MAX_NAMES_PER_BATCH:
        raise InvalidInput("names_too_many", limit=MAX_NAMES_PER_BATCH)
    for number, line in lines:
        try:
            name = person_name(line)
        except InvalidName as exc:
            raise InvalidInput(f"name_{exc.reason}", line=number) from exc
        if name.casefold() in seen:
            raise InvalidInput("name_duplicate", line=number)
        seen.add(name.casefold())
        names.append(name)
    return names


def on_roster(*, session: Session, org_id: int, names: list[str]) -> dict[str, Member]:
    """Returns, for each of `names` already on the cell's current roster (case, diacritics and
    spacing aside: "tran thi lan" is "Trần Thị Lan"), its entry."""
    wanted = {fold(name): name for name in names}
    found: dict[str, Member] = {}
    for member in session.exec(_active(org_id)).all():
        name = wanted.get(fold(member.full_name))
        if name is not None and name not in found:
            found[name] = member
    return found


def add_members(
    *,
    session: Session,
    org_id: int,
    names: list[str],
    role: Role,
    status: MemberStatus,
    actor: Person | None,
    now: datetime,
    phones: list[str | None] | None = None,
) -> list[Member]:
    """Adds roster entries (not yet joined) and writes one audit entry per person."""
    if role == Role.SECRETARY:
        existing = session.exec(
            select(Member).where(
                Member.org_id == org_id,
                Member.role == Role.SECRETARY,
                col(Member.removed_at).is_(None),
            )
        ).first()
        if existing is not None or len(names) > 1:
            raise Conflict("secretary_exists")
    added = []
    for index, raw in enumerate(names):
        try:
            name = person_name(raw)
        except InvalidName as exc:
            raise InvalidInput(f"name_{exc.reason}", line=index + 1) from exc
        member = Member(
            org_id=org_id,
            full_name=name,
            role=role,
            status=status,
            phone=phones[index] if phones else None,
            created_at=now,
        )
        session.add(member)
        session.flush()
        audit.record_action(
            session=session,
            org_id=org_id,
            actor_person_id=actor.id if actor else None,
            actor_label=actor.display_name if actor else "operator",
            action="member.add",
            target=name,
            before=None,
            after=_snapshot(member),
            now=now,
        )
        added.append(member)
    return added


def get_member(*, session: Session, org_id: int, member_id: int) -> Member:
    """Returns an active roster entry of this cell or raises NotFound."""
    member = session.get(Member, member_id)
    if member is None or member.org_id != org_id or member.removed_at is not None:
        raise NotFound("member_not_found")
    return member


def checked_new_name(*, session: Session, org_id: int, member_id: int, raw: str) -> str:
    """Returns a roster entry's new name as it is stored (see person_name); raises
    InvalidInput when it is not a name or is another current entry's name (case and
    diacritics aside)."""
    try:
        name = person_name(raw)
    except InvalidName as exc:
        raise InvalidInput(f"rename_{exc.reason}") from exc
    taken = on_roster(session=session, org_id=org_id, names=[name]).get(name)
    if taken is not None and taken.id != member_id:
        raise InvalidInput("rename_taken", name=taken.full_name)
    return name


def update_member(
    *,
    session: Session,
    org_id: int,
    member_id: int,
    actor: Person,
    now: datetime,
    role: Role | None = None,
    status: MemberStatus | None = None,
    remove: bool = False,
    full_name: str | None = None,
) -> Member:
    """Changes a member's role, status or name (checked as /moi checks names: NFC, capitals
    tidied, not another entry's), or removes them; secretary or deputy only; audited."""
    acting = require_secretary(session=session, person=actor, org_id=org_id)
    member = get_member(session=session, org_id=org_id, member_id=member_id)
    if full_name is not None:
        full_name = checked_new_name(
            session=session, org_id=org_id, member_id=member_id, raw=full_name
        )
    if member.id == acting.id and (remove or (role is not None and role != member.role)):
        raise Conflict("cannot_change_self")
    if member.role == Role.SECRETARY and acting.role != Role.SECRETARY:
        raise NotAllowed("secretary_only")
    if role == Role.SECRETARY and member.role != Role.SECRETARY:
        raise Conflict("secretary_exists")
    before = _snapshot(member)
    if role is not None:
        member.role = role
    if status is not None:
        member.status = status
    if full_name is not None:
        member.full_name = full_name
    if remove:
        member.removed_at = now
    session.add(member)
    action = (
        "member.remove"
        if remove
        else "member.rename"
        if full_name is not None
        else "member.update"
    )
    audit.record_action(
        session=session,
        org_id=org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action=action,
        target=member.full_name,
        before=before,
        after=_snapshot(member),
        now=now,
    )
    return member


def secretary_of(*, session: Session, org_id: int) -> Member | None:
    """Returns the cell's secretary on the roster (joined or not), if it has one."""
    query = select(Member).where(
        Member.org_id == org_id, Member.role == Role.SECRETARY, col(Member.removed_at).is_(None)
    )
    return session.exec(query).first()


def secretaries(*, session: Session, org_id: int) -> list[Member]:
    """Returns the joined secretary and deputies of a cell (who decide join requests)."""
    return list(
        session.exec(
            _active(org_id)
            .where(
                col(Member.role).in_([Role.SECRETARY, Role.DEPUTY]),
                col(Member.person_id).is_not(None),
            )
            .order_by(col(Member.sort_key), col(Member.id))
        )
    )


def committee_people(*, session: Session, org_id: int) -> list[tuple[Member, Person]]:
    """Returns the joined committee members of a cell with their persons (for private reports;
    people.addresses says where to write)."""
    rows = session.exec(
        select(Member, Person)
        .join(Person, col(Person.id) == col(Member.person_id))
        .where(
            Member.org_id == org_id,
            col(Member.removed_at).is_(None),
            col(Member.role).in_(list(COMMITTEE_ROLES)),
        )
        .order_by(col(Member.id))
    ).all()
    return [(m, p) for m, p in rows]
