"""Invite links: personal one-time links bound to a roster entry, and cell links with approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.models import (
    Invite,
    InviteKind,
    JoinRequest,
    JoinRequestStatus,
    Member,
    MemberStatus,
    Organisation,
    Person,
    Role,
)
from bot.services import audit, members
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.tokens import looks_like_token, new_token, token_hash
from bot.text import InvalidName, validate_name

PERSONAL_LIFETIME = timedelta(days=30)
CELL_LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class InvitePreview:
    """What a person sees before confirming a join."""

    invite: Invite
    org: Organisation
    member: Member | None


def deep_link(bot_username: str, token: str) -> str:
    """Returns the t.me link that opens the bot with `/start <token>`."""
    return f"https://t.me/{bot_username}?start={token}"


def create_personal_invite(
    *, session: Session, org_id: int, member_id: int, actor: Person, now: datetime
) -> str:
    """Returns a fresh one-time token for a roster entry that has not joined (older ones die)."""
    members.require_secretary(session=session, person=actor, org_id=org_id)
    member = members.get_member(session=session, org_id=org_id, member_id=member_id)
    if member.person_id is not None:
        raise Conflict("already_joined", name=member.full_name)
    for old in session.exec(
        select(Invite).where(
            Invite.member_id == member_id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
    ):
        old.revoked_at = now
    token = new_token()
    session.add(
        Invite(
            org_id=org_id,
            kind=InviteKind.PERSONAL,
            token_hash=token_hash(token),
            member_id=member_id,
            created_by=actor.id,
            created_at=now,
            expires_at=now + PERSONAL_LIFETIME,
        )
    )
    return token


def create_cell_invite(*, session: Session, org_id: int, actor: Person, now: datetime) -> str:
    """Returns a fresh cell link token (the previous cell link stops working)."""
    members.require_secretary(session=session, person=actor, org_id=org_id)
    for old in session.exec(
        select(Invite).where(
            Invite.org_id == org_id,
            Invite.kind == InviteKind.CELL,
            col(Invite.revoked_at).is_(None),
        )
    ):
        old.revoked_at = now
    token = new_token()
    session.add(
        Invite(
            org_id=org_id,
            kind=InviteKind.CELL,
            token_hash=token_hash(token),
            created_by=actor.id,
            created_at=now,
            expires_at=now + CELL_LIFETIME,
        )
    )
    audit.record_action(
        session=session,
        org_id=org_id,
        actor_person_id=actor.id,
        actor_label=actor.display_name,
        action="invite.cell_link",
        target="",
        before=None,
        after={"expires_at": (now + CELL_LIFETIME).isoformat()},
        now=now,
    )
    return token


def kind_of(*, session: Session, token: str) -> InviteKind:
    """Returns the kind of invite a token belongs to; raises on garbage or unknown tokens."""
    if not looks_like_token(token):
        raise InvalidInput("bad_invite")
    invite = session.exec(select(Invite).where(Invite.token_hash == token_hash(token))).first()
    if invite is None:
        raise InvalidInput("bad_invite")
    return invite.kind


def preview_invite(
    *, session: Session, token: str, person: Person, now: datetime
) -> InvitePreview:
    """Checks a token and says what joining would mean; raises on a bad, used or expired one."""
    if not looks_like_token(token):
        raise InvalidInput("bad_invite")
    invite = session.exec(select(Invite).where(Invite.token_hash == token_hash(token))).first()
    if invite is None:
        raise InvalidInput("bad_invite")
    org = session.get(Organisation, invite.org_id)
    if org is None:
        raise InvalidInput("bad_invite")
    existing = members.membership_in(session=session, person=person, org_id=invite.org_id)
    if existing is not None:
        raise Conflict("already_member", org=org.name)
    if invite.revoked_at is not None or invite.expires_at <= now:
        raise Conflict("invite_expired")
    if invite.used_at is not None:
        raise Conflict("invite_used")
    member = None
    if invite.kind == InviteKind.PERSONAL:
        assert invite.member_id is not None
        member = session.get(Member, invite.member_id)
        if member is None or member.removed_at is not None:
            raise Conflict("invite_expired")
        if member.person_id is not None:
            raise Conflict("invite_used")
    return InvitePreview(invite=invite, org=org, member=member)


def accept_personal_invite(
    *, session: Session, token: str, person: Person, now: datetime
) -> tuple[Member, Organisation]:
    """Binds the person to the roster entry of a personal invite."""
    preview = preview_invite(session=session, token=token, person=person, now=now)
    if preview.member is None:
        raise InvalidInput("bad_invite")
    member = preview.member
    member.person_id = person.id
    member.joined_at = now
    preview.invite.used_at = now
    session.add(member)
    audit.record_action(
        session=session,
        org_id=member.org_id,
        actor_person_id=person.id,
        actor_label=member.full_name,
        action="member.join",
        target=member.full_name,
        before={"joined": False},
        after={"joined": True, "via": "personal_invite"},
        now=now,
    )
    return member, preview.org


def request_join(
    *, session: Session, token: str, person: Person, full_name: str, now: datetime
) -> tuple[JoinRequest, Organisation]:
    """Records a join request through a cell link for the secretary to decide."""
    preview = preview_invite(session=session, token=token, person=person, now=now)
    if preview.invite.kind != InviteKind.CELL:
        raise InvalidInput("bad_invite")
    try:
        name = validate_name(full_name)
    except InvalidName as exc:
        raise InvalidInput(f"name_{exc.reason}", line=1) from exc
    assert person.id is not None
    assert preview.org.id is not None
    pending = session.exec(
        select(JoinRequest).where(
            JoinRequest.org_id == preview.org.id,
            JoinRequest.person_id == person.id,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    ).first()
    if pending is not None:
        raise Conflict("join_pending")
    request = JoinRequest(
        org_id=preview.org.id, person_id=person.id, full_name=name, created_at=now
    )
    session.add(request)
    session.flush()
    return request, preview.org


def decide_join(
    *, session: Session, request_id: int, approver: Person, approve: bool, now: datetime
) -> tuple[JoinRequest, Member | None]:
    """Approves (adding a member) or rejects a pending join request; secretary/deputy only."""
    request = session.get(JoinRequest, request_id)
    if request is None:
        raise NotFound("join_request_not_found")
    acting = members.require_secretary(session=session, person=approver, org_id=request.org_id)
    if request.status != JoinRequestStatus.PENDING:
        raise Conflict("join_already_decided")
    request.status = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.REJECTED
    request.decided_at = now
    request.decided_by = approver.id
    member = None
    if approve:
        person = session.get(Person, request.person_id)
        if person is None:
            raise NotFound("join_request_not_found")
        if members.membership_in(session=session, person=person, org_id=request.org_id):
            raise Conflict("already_member", org="")
        member = Member(
            org_id=request.org_id,
            full_name=request.full_name,
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            person_id=person.id,
            created_at=now,
            joined_at=now,
        )
        session.add(member)
        session.flush()
        request.member_id = member.id
    session.add(request)
    audit.record_action(
        session=session,
        org_id=request.org_id,
        actor_person_id=approver.id,
        actor_label=acting.full_name,
        action="join.approve" if approve else "join.reject",
        target=request.full_name,
        before={"status": "pending"},
        after={"status": request.status.value, "member_id": member.id if member else None},
        now=now,
    )
    return request, member


def unjoined_members(*, session: Session, org_id: int) -> list[Member]:
    """Returns roster entries nobody has claimed yet (candidates for a personal link)."""
    return [
        m for m in members.active_members(session=session, org_id=org_id) if m.person_id is None
    ]
