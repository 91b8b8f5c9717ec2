"""The /moi form: add people to the roster with personal links, a cell link, or a link again."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.flows.common import (
    cell_prompt,
    only_secretary_cell,
    org_of,
    require_some_secretary,
    role_options,
    secretary_cell_options,
    status_options,
)
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.i18n import N_
from bot.models import MemberStatus, Role
from bot.render import error_text, role_label, status_label
from bot.services import invites, members
from bot.services.errors import InvalidInput
from bot.services.typed_roster import TypedPerson, parse_people
from bot.text import escape
from bot.ui import Screen

# The roster entries the link picker shows at a time; a typed name is matched against all.
INVITE_PAGE = 20

ADD, CELL, AGAIN = "add", "cell", "again"


def _action_options(ctx: FlowContext) -> list[Option]:
    t = ctx.t
    return [
        Option(ADD, t.gettext("➕ Add people and create personal links")),
        Option(CELL, t.gettext("🔗 A cell link (I approve each join)")),
        Option(AGAIN, t.gettext("🔁 A new personal link for someone on the roster")),
    ]


def _parse_names(ctx: FlowContext, text: str) -> Any:
    try:
        people = parse_people(text)
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc
    names = [person.name for person in people]
    # A name already on the roster (whatever its case or diacritics) is not added twice.
    known = members.on_roster(session=ctx.session, org_id=int(ctx.answers["org"]), names=names)
    if known:
        listed = ", ".join(escape(m.full_name) for m in known.values())
        raise InvalidAnswer(
            ctx.t.gettext(
                "Already on the roster: {names}. For a new link to that person, choose “🔁 A "
                "new personal link”; for someone else of the same name, add what tells them "
                "apart (e.g. “Nguyễn Văn An (1985)”).",
                names=listed,
            )
        )
    return [person.to_json() for person in people]


def _typed(ctx: FlowContext) -> list[TypedPerson]:
    """Returns the people typed, with the role and status each line gave (None: asked)."""
    return [TypedPerson.from_json(raw, i) for i, raw in enumerate(ctx.answers.get("names", []))]


def _ask_role(ctx: FlowContext) -> bool:
    """Asks the role when adding people and some line did not give one."""
    return ctx.answers.get("action") == ADD and any(p.role is None for p in _typed(ctx))


def _ask_status(ctx: FlowContext) -> bool:
    """Asks the status when adding people and some line did not give one."""
    return ctx.answers.get("action") == ADD and any(p.status is None for p in _typed(ctx))


def _settled(ctx: FlowContext) -> list[TypedPerson]:
    """Returns the people to add, each with a role and a status: as typed on the line, else
    the answers to the role and status questions."""
    role, status = ctx.answers.get("role"), ctx.answers.get("status")
    return [
        replace(
            person,
            role=person.role or Role(str(role)),
            status=person.status or MemberStatus(str(status)),
        )
        for person in _typed(ctx)
    ]


def _zalo(ctx: FlowContext) -> bool:
    """Whether members can also use the bot on Zalo (the action that opens the form says)."""
    return bool(ctx.params.get("zalo", False))


def _telegram(ctx: FlowContext) -> bool:
    return bool(ctx.params.get("bot_username"))


def _role_prompt(ctx: FlowContext) -> str:
    if all(p.role is None for p in _typed(ctx)):
        return ctx.t.gettext("Their role in the cell:")
    return ctx.t.gettext("The role in the cell of those whose line gives none:")


def _status_prompt(ctx: FlowContext) -> str:
    if all(p.status is None for p in _typed(ctx)):
        return ctx.t.gettext("Their membership status:")
    return ctx.t.gettext("The membership status of those whose line gives none:")


def _unjoined_options(ctx: FlowContext) -> list[Option]:
    """Returns everyone on the roster who can be given a new personal link (once per turn)."""
    org_id = int(ctx.answers["org"])
    key = f"invite_candidates:{org_id}"
    found: list[Option] | None = ctx.memo.get(key)
    if found is not None:
        return found
    unjoined = invites.unjoined_members(session=ctx.session, org_id=org_id)
    options = [Option(str(m.id), m.full_name) for m in unjoined]
    if _zalo(ctx):
        # Someone who joined on one app gets a link or code for the other from the same list.
        joined = members.active_members(session=ctx.session, org_id=org_id, joined=True)
        options += [
            Option(
                str(m.id),
                ctx.t.gettext("{name} (joined — for another app)", name=m.full_name),
            )
            for m in joined
        ]
    ctx.memo[key] = options
    return options


def _unjoined_prompt(ctx: FlowContext) -> str:
    if not _unjoined_options(ctx):
        return ctx.t.gettext("Everyone on the roster has joined; there is nobody to invite.")
    return ctx.t.gettext(
        "Who needs a new personal link? (The old link stops working.) Tap a name, or type it."
    )


def _confirm_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    people = _settled(ctx)
    kinds = {(p.role, p.status) for p in people}
    if len(kinds) == 1:
        role, status = kinds.pop()
        assert role is not None
        assert status is not None
        return t.gettext(
            "Add {count} to the roster of <b>{cell}</b> as {role}, {status}?\n{names}",
            count=t.ngettext("{n} comrade", "{n} comrades", len(people)),
            cell=escape(org_of(ctx).name),
            role=role_label(t, role),
            status=status_label(t, status),
            names="\n".join(f"• {escape(p.name)}" for p in people),
        )
    listing = "\n".join(
        f"• {escape(p.name)} — {role_label(t, p.role)}, {status_label(t, p.status)}"
        for p in people
        if p.role is not None and p.status is not None
    )
    return t.gettext(
        "Add {count} to the roster of <b>{cell}</b>?\n{names}",
        count=t.ngettext("{n} comrade", "{n} comrades", len(people)),
        cell=escape(org_of(ctx).name),
        names=listing,
    )


def _ways_in(ctx: FlowContext, issued: invites.IssuedInvite) -> str:
    """Returns how to use an invite: the Telegram link, and the code for Zalo when configured."""
    link = (
        invites.deep_link(str(ctx.params["bot_username"]), issued.token) if _telegram(ctx) else ""
    )
    if not _zalo(ctx):
        return link
    code = "<code>" + issued.code + "</code>"  # tap to copy on Telegram
    zalo = ctx.t.gettext("Zalo: send the code {code} to chibot on Zalo", code=code)
    return f"Telegram: {link}\n{zalo}" if link else zalo


def _link_line(ctx: FlowContext, name: str, issued: invites.IssuedInvite) -> str:
    return f"• <b>{escape(name)}</b>\n{_ways_in(ctx, issued)}"


def _complete(ctx: FlowContext) -> Screen:
    t = ctx.t
    org = org_of(ctx)
    assert org.id is not None
    action = ctx.answers["action"]
    if action == CELL:
        issued = invites.issue_cell_invite(
            session=ctx.session, org_id=org.id, actor=ctx.person, now=ctx.now
        )
        return Screen(
            t.gettext(
                "The cell link of <b>{cell}</b> (valid until {date}; the previous one stops "
                "working):\n{link}\n\nAnyone who opens it asks to join; I will send you each "
                "request to approve or reject.",
                cell=escape(org.name),
                link=_ways_in(ctx, issued),
                date=t.date_text(issued.expires_at),
            )
        )
    if action == AGAIN:
        choice = ctx.answers.get("member")
        if not choice:
            return Screen(
                t.gettext("Everyone on the roster has joined; there is nobody to invite.")
            )
        member = members.get_member(session=ctx.session, org_id=org.id, member_id=int(choice))
        assert member.id is not None
        issued = invites.issue_personal_invite(
            session=ctx.session,
            org_id=org.id,
            member_id=member.id,
            actor=ctx.person,
            now=ctx.now,
        )
        text = t.gettext(
            "A new personal link (for one use, valid until {date}):",
            date=t.date_text(issued.expires_at),
        )
        if member.person_id is not None:
            text += "\n" + t.gettext(
                "Comrade {name} has already joined: this adds the other app to the same "
                "account, and notifications go there from then on.",
                name=escape(member.full_name),
            )
        return Screen(text + "\n" + _link_line(ctx, member.full_name, issued))
    added = []
    for person in _settled(ctx):
        assert person.role is not None
        assert person.status is not None
        added += members.add_members(
            session=ctx.session,
            org_id=org.id,
            names=[person.name],
            role=person.role,
            status=person.status,
            actor=ctx.person,
            now=ctx.now,
        )
    lines = [
        t.gettext(
            "Added to the roster of <b>{cell}</b>. Send each comrade their own link "
            "(for one use, valid until {date}):",
            cell=escape(org.name),
            date=t.date_text(ctx.now + invites.PERSONAL_LIFETIME),
        )
    ]
    for member in added:
        assert member.id is not None
        issued = invites.issue_personal_invite(
            session=ctx.session,
            org_id=org.id,
            member_id=member.id,
            actor=ctx.person,
            now=ctx.now,
        )
        lines.append(_link_line(ctx, member.full_name, issued))
    return Screen("\n\n".join(lines))


def _no_member_needed(ctx: FlowContext) -> Any:
    return "" if not _unjoined_options(ctx) else None


INVITE_FLOW = Flow(
    name="invite",
    title=N_("Invitations"),
    check=require_some_secretary,
    steps=(
        Step(
            "org",
            StepKind.CHOICE,
            cell_prompt,
            options=secretary_cell_options,
            auto=only_secretary_cell,
        ),
        Step(
            "action",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("What would you like to do?"),
            options=_action_options,
        ),
        Step(
            "names",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "Type the full names (họ và tên) of the people to add, one per line. After a "
                "name you may add the role and the status, e.g. “Nguyễn Thị Hồng Nhung - phó "
                "bí thư - dự bị”; I will ask for those a line leaves out."
            ),
            parse=_parse_names,
            when=answered("action", ADD),
        ),
        Step(
            "role",
            StepKind.CHOICE,
            _role_prompt,
            options=role_options,
            when=_ask_role,
        ),
        Step(
            "status",
            StepKind.CHOICE,
            _status_prompt,
            options=status_options,
            when=_ask_status,
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt, when=answered("action", ADD)),
        Step(
            "member",
            StepKind.CHOICE,
            _unjoined_prompt,
            options=_unjoined_options,
            when=answered("action", AGAIN),
            auto=_no_member_needed,
            columns=2,
            page_size=INVITE_PAGE,
        ),
    ),
    complete=_complete,
)
