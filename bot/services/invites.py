"""Invites: personal one-time links bound to a roster entry, and cell links with approval.

Every invite has two secrets: a token for the Telegram deep link (`/start <token>`), and a short
join code ("ABCD-EFGH") to type to a bot on a channel without deep links (Zalo). Both open the
same invite: one use, one expiry. Only their SHA-256 hashes are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.models import (
    Account,
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
from bot.services import audit, members, people
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.join_codes import join_code_hash, new_join_code, normalise_join_code
from bot.services.tokens import looks_like_token, new_token, token_hash
from bot.text import InvalidName, person_name

PERSONAL_LIFETIME = timedelta(days=30)
CELL_LIFETIME = timedelta(days=14)

_NEW_CODE_ATTEMPTS = 8


class SecretKind(StrEnum):
    """How a secret reaches the bot: a deep-link token (Telegram) or a typed join code (Zalo)."""

    LINK = "link"
    CODE = "code"


@dataclass(frozen=True)
class IssuedInvite:
    """A freshly created invite's secrets, shown once to the secretary."""

    token: str  # for https://t.me/<bot>?start=<token>
    code: str  # "ABCD-EFGH", to send to the bot on a channel without deep links
    expires_at: datetime


@dataclass(frozen=True)
class InvitePreview:
    """What a person sees before confirming a join.

    `links_account` is set when the roster entry has already joined from another account: using
    the invite makes the current account one more account of the same person.
    """

    invite: Invite
    org: Organisation
    member: Member | None
    links_account: bool = False


def secret_kind(text: str) -> SecretKind | None:
    """Tells whether `text` has the shape of a link token or of a join code (None: neither).

    The shapes never overlap: a token has 16 to 64 characters, a code 8 (9 with its dash).
    """
    if looks_like_token(text):
        return SecretKind.LINK
    if normalise_join_code(text) is not None:
        return SecretKind.CODE
    return None


def find_invite(*, session: Session, secret: str) -> Invite | None:
    """Returns the invite a link token or a join code belongs to, whatever its state."""
    kind = secret_kind(secret)
    if kind == SecretKind.LINK:
        query = select(Invite).where(Invite.token_hash == token_hash(secret))
    elif kind == SecretKind.CODE:
        query = select(Invite).where(Invite.join_code_hash == join_code_hash(secret))
    else:
        return None
    return session.exec(query).first()


def _fresh_code(session: Session) -> tuple[str, str]:
    """Returns a new join code and its hash, unlike any stored one (old ones included)."""
    for _ in range(_NEW_CODE_ATTEMPTS):
        code = new_join_code()
        hashed = join_code_hash(code)
        taken = session.exec(select(Invite.id).where(Invite.join_code_hash == hashed)).first()
        if taken is None:
            return code, hashed
    raise RuntimeError("could not draw an unused join code")  # pragma: no cover


def deep_link(bot_username: str, token: str) -> str:
    """Returns the t.me link that opens the bot with `/start <token>`."""
    return f"https://t.me/{bot_username}?start={token}"


def issue_personal_invite(
    *, session: Session, org_id: int, member_id: int, actor: Person, now: datetime
) -> IssuedInvite:
    """Returns a fresh one-time link token and join code for a roster entry (older ones die).

    For someone who has already joined, the invite adds another account (e.g. Zalo besides
    Telegram) to the same person.
    """
    members.require_secretary(session=session, person=actor, org_id=org_id)
    members.get_member(session=session, org_id=org_id, member_id=member_id)
    return issue_for_member(
        session=session, org_id=org_id, member_id=member_id, created_by=actor.id, now=now
    )


def issue_for_member(
    *, session: Session, org_id: int, member_id: int, created_by: int | None, now: datetime
) -> IssuedInvite:
    """Issues a personal invite for a roster entry without asking who may (the caller has
    checked, or is the operator's command line); older unused ones die."""
    for old in session.exec(
        select(Invite).where(
            Invite.member_id == member_id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
    ):
        old.revoked_at = now
        session.add(old)
    session.flush()
    token = new_token()
    code, hashed = _fresh_code(session)
    session.add(
        Invite(
            org_id=org_id,
            kind=InviteKind.PERSONAL,
            token_hash=token_hash(token),
            join_code_hash=hashed,
            member_id=member_id,
            created_by=created_by,
            created_at=now,
            expires_at=now + PERSONAL_LIFETIME,
        )
    )
    return IssuedInvite(token=token, code=code, expires_at=now + PERSONAL_LIFETIME)


def create_personal_invite(
    *, session: Session, org_id: int, member_id: int, actor: Person, now: datetime
) -> str:
    """Returns a fresh one-time link token for a roster entry (see issue_personal_invite)."""
    return issue_personal_invite(
        session=session, org_id=org_id, member_id=member_id, actor=actor, now=now
    ).token


def issue_cell_invite(
    *, session: Session, org_id: int, actor: Person, now: datetime
) -> IssuedInvite:
    """Returns a fresh cell link token and join code (the previous cell link stops working)."""
    members.require_secretary(session=session, person=actor, org_id=org_id)
    for old in session.exec(
        select(Invite).where(
            Invite.org_id == org_id,
            Invite.kind == InviteKind.CELL,
            col(Invite.revoked_at).is_(None),
        )
    ):
        old.revoked_at = now
        session.add(old)
    session.flush()
    token = new_token()
    code, hashed = _fresh_code(session)
    session.add(
        Invite(
            org_id=org_id,
            kind=InviteKind.CELL,
            token_hash=token_hash(token),
            join_code_hash=hashed,
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
    return IssuedInvite(token=token, code=code, expires_at=now + CELL_LIFETIME)


def create_cell_invite(*, session: Session, org_id: int, actor: Person, now: datetime) -> str:
    """Returns a fresh cell link token (see issue_cell_invite)."""
    return issue_cell_invite(session=session, org_id=org_id, actor=actor, now=now).token


def kind_of(*, session: Session, token: str) -> InviteKind:
    """Returns the kind of invite a link token or join code belongs to; raises on garbage or
    unknown secrets."""
    invite = find_invite(session=session, secret=token)
    if invite is None:
        raise InvalidInput("bad_invite")
    return invite.kind


def preview_invite(
    *, session: Session, token: str, person: Person, now: datetime
) -> InvitePreview:
    """Checks a link token or join code and says what joining would mean; raises on a bad,
    used or expired one."""
    invite = find_invite(session=session, secret=token)
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
    links_account = False
    if invite.kind == InviteKind.PERSONAL:
        assert invite.member_id is not None
        member = session.get(Member, invite.member_id)
        if member is None or member.removed_at is not None:
            raise Conflict("invite_expired")
        links_account = member.person_id is not None
    return InvitePreview(invite=invite, org=org, member=member, links_account=links_account)


def accept_personal_invite(
    *,
    session: Session,
    token: str,
    person: Person,
    now: datetime,
    account: Account | None = None,
) -> tuple[Member, Organisation]:
    """Binds the person to the roster entry of a personal invite (link token or join code).

    When the entry has already joined from another account, `account` (the one the invite is
    used from) becomes an account of that member's person instead, and notifications go to
    it from now on; without `account` such an invite counts as used.
    """
    preview = preview_invite(session=session, token=token, person=person, now=now)
    if preview.member is None:
        raise InvalidInput("bad_invite")
    member = preview.member
    if preview.links_account:
        if account is None:
            raise Conflict("invite_used")
        return _link_account(session, preview, member, account, now)
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


def _link_account(
    session: Session, preview: InvitePreview, member: Member, account: Account, now: datetime
) -> tuple[Member, Organisation]:
    """Makes `account` one more account of the member's person; notifications go there now."""
    owner = session.get(Person, member.person_id)
    if owner is None:
        raise Conflict("invite_expired")
    people.link_account(session=session, account=account, person=owner)
    # The channel joined last is where notifications go (set explicitly: the account may be
    # older than the one the member joined with first).
    people.set_notify_channel(session=session, person=owner, channel=account.channel)
    preview.invite.used_at = now
    session.add(preview.invite)
    audit.record_action(
        session=session,
        org_id=member.org_id,
        actor_person_id=owner.id,
        actor_label=member.full_name,
        action="member.link_account",
        target=member.full_name,
        before=None,
        after={"channel": account.channel},
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
        name = person_name(full_name)
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
        # Someone on the roster who has not joined yet, under the same name (case and
        # diacritics aside), is this person: their entry is claimed, not duplicated.
        known = members.on_roster(
            session=session, org_id=request.org_id, names=[request.full_name]
        ).get(request.full_name)
        if known is not None and known.person_id is None:
            member = known
            member.person_id = person.id
            member.joined_at = now
        else:
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


def unjoined_members(*, session: Session, org_id: int, limit: int | None = None) -> list[Member]:
    """Returns roster entries nobody has claimed yet (candidates for a personal link), in the
    roster's order: all of them, or the first `limit`."""
    return members.active_members(session=session, org_id=org_id, joined=False, limit=limit)
