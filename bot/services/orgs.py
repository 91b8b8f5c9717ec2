"""Organisations (đảng bộ, chi bộ): creation, setup codes, linking a group chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import Member, Organisation, Person, SetupCode
from bot.services import audit, members
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.tokens import looks_like_token, new_token, token_hash
from bot.text import InvalidName, validate_name

SETUP_CODE_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class OrgSummary:
    """One line of the organisation tree."""

    org: Organisation
    depth: int
    member_count: int


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("bad_timezone", timezone=name) from exc
    return name


def find_org(*, session: Session, name: str) -> Organisation | None:
    """Returns the organisation with this exact (NFC-normalised) name."""
    try:
        clean = validate_name(name, max_length=200)
    except InvalidName:
        return None
    return session.exec(select(Organisation).where(Organisation.name == clean)).first()


def create_org(
    *,
    session: Session,
    name: str,
    parent_name: str | None,
    timezone: str,
    locale: str,
    now: datetime,
) -> tuple[Organisation, str]:
    """Creates an organisation and returns it with a one-time setup code."""
    try:
        clean = validate_name(name, max_length=200)
    except InvalidName as exc:
        raise InvalidInput("bad_org_name", reason=exc.reason) from exc
    if find_org(session=session, name=clean) is not None:
        raise Conflict("org_exists", name=clean)
    parent_id = None
    if parent_name:
        parent = find_org(session=session, name=parent_name)
        if parent is None:
            raise NotFound("parent_not_found", name=parent_name)
        parent_id = parent.id
    org = Organisation(
        name=clean,
        parent_id=parent_id,
        timezone=_check_timezone(timezone),
        locale=locale,
        created_at=now,
    )
    session.add(org)
    session.flush()
    code = issue_setup_code(session=session, org=org, now=now)
    audit.record_action(
        session=session,
        org_id=org.id,
        actor_person_id=None,
        actor_label="operator",
        action="org.create",
        target=clean,
        before=None,
        after={"name": clean, "parent_id": parent_id, "timezone": org.timezone},
        now=now,
    )
    return org, code


def issue_setup_code(*, session: Session, org: Organisation, now: datetime) -> str:
    """Revokes the organisation's unused codes and returns a fresh one (valid 7 days)."""
    for old in session.exec(
        select(SetupCode).where(
            SetupCode.org_id == org.id,
            col(SetupCode.used_at).is_(None),
            col(SetupCode.revoked_at).is_(None),
        )
    ):
        old.revoked_at = now
    code = new_token()
    assert org.id is not None
    session.add(
        SetupCode(
            org_id=org.id,
            code_hash=token_hash(code),
            created_at=now,
            expires_at=now + SETUP_CODE_LIFETIME,
        )
    )
    return code


def org_tree(*, session: Session) -> list[OrgSummary]:
    """Returns every organisation in tree order with its active member count."""
    orgs = list(session.exec(select(Organisation).order_by(col(Organisation.name))))
    counts = dict(
        session.exec(
            select(Member.org_id, func.count())
            .where(col(Member.removed_at).is_(None))
            .group_by(col(Member.org_id))
        ).all()
    )
    children: dict[int | None, list[Organisation]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)
    out: list[OrgSummary] = []

    def walk(parent: int | None, depth: int) -> None:
        for org in children.get(parent, []):
            assert org.id is not None
            out.append(OrgSummary(org=org, depth=depth, member_count=counts.get(org.id, 0)))
            walk(org.id, depth + 1)

    walk(None, 0)
    return out


def _redeem_setup_code(session: Session, code: str, now: datetime) -> Organisation:
    """Checks a setup code and marks it used; returns its organisation."""
    if not looks_like_token(code):
        raise InvalidInput("bad_setup_code")
    setup = session.exec(select(SetupCode).where(SetupCode.code_hash == token_hash(code))).first()
    if setup is None or setup.revoked_at is not None:
        raise InvalidInput("bad_setup_code")
    if setup.used_at is not None:
        raise Conflict("setup_code_used")
    if setup.expires_at <= now:
        raise Conflict("setup_code_expired")
    org = session.get(Organisation, setup.org_id)
    if org is None:
        raise InvalidInput("bad_setup_code")
    setup.used_at = now
    return org


def _become_secretary(
    session: Session,
    org: Organisation,
    admin: Person,
    now: datetime,
    action: str,
    before: dict[str, str | None],
) -> Member:
    assert admin.id is not None
    assert org.id is not None
    secretary = members.ensure_secretary(session=session, org=org, person=admin, now=now)
    audit.record_action(
        session=session,
        org_id=org.id,
        actor_person_id=admin.id,
        actor_label=admin.display_name,
        action=action,
        target=org.name,
        before=before,
        after={"group_chat_id": org.group_chat_id, "secretary_member_id": secretary.id},
        now=now,
    )
    return secretary


def link_group(
    *,
    session: Session,
    code: str,
    channel: str,
    chat_id: str,
    chat_title: str,
    admin: Person,
    now: datetime,
) -> tuple[Organisation, Member]:
    """Links a group to the organisation of a valid setup code; the admin becomes secretary."""
    linked = org_for_chat(session=session, channel=channel, chat_id=chat_id)
    org = _redeem_setup_code(session, code, now)
    if linked is not None:
        raise Conflict("group_already_linked", name=linked.name)
    before = {"group_chat_id": org.group_chat_id}
    org.channel = channel
    org.group_chat_id = chat_id
    org.group_title = chat_title[:255]
    return org, _become_secretary(session, org, admin, now, "org.link_group", before)


def claim_cell(
    *, session: Session, code: str, admin: Person, now: datetime
) -> tuple[Organisation, Member]:
    """Makes the person secretary of the setup code's cell without linking a group (a channel
    without groups, such as Zalo); the cell's group messages then reach members privately."""
    org = _redeem_setup_code(session, code, now)
    before = {"group_chat_id": org.group_chat_id}
    return org, _become_secretary(session, org, admin, now, "org.claim_cell", before)


def org_for_chat(*, session: Session, channel: str, chat_id: str) -> Organisation | None:
    """Returns the organisation whose group is this chat."""
    return session.exec(
        select(Organisation).where(
            Organisation.channel == channel, Organisation.group_chat_id == chat_id
        )
    ).first()


def follow_migration(
    *, session: Session, channel: str, old_chat_id: str, new_chat_id: str
) -> Organisation | None:
    """Moves a cell to its group's new chat id (a group upgraded to a supergroup)."""
    org = org_for_chat(session=session, channel=channel, chat_id=old_chat_id)
    if org is None:
        return None
    org.group_chat_id = new_chat_id
    from bot.services import outbox

    outbox.retarget_chat(session=session, old_chat_id=old_chat_id, new_chat_id=new_chat_id)
    return org


def get_org(*, session: Session, org_id: int) -> Organisation:
    """Returns an organisation or raises NotFound."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("org_not_found")
    return org
