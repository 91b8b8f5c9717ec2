"""The roster edit form: change a member's role, status or name, or remove them, with
confirmation."""

from __future__ import annotations

from typing import Any

from bot.flows.common import role_options, status_options
from bot.flows.engine import (
    Flow,
    FlowContext,
    InvalidAnswer,
    Option,
    Step,
    StepKind,
    answered,
)
from bot.i18n import N_
from bot.models import Member, MemberStatus, Person, Role
from bot.render import error_text, role_label, status_label
from bot.services import members, menus
from bot.services.errors import InvalidInput
from bot.text import escape
from bot.ui import Screen

ROLE, STATUS, RENAME, REMOVE = "role", "status", "rename", "remove"


def _member(ctx: FlowContext) -> Member:
    return members.get_member(
        session=ctx.session,
        org_id=int(ctx.params["org_id"]),
        member_id=int(ctx.params["member_id"]),
    )


def _check(ctx: FlowContext) -> None:
    members.require_secretary(
        session=ctx.session, person=ctx.person, org_id=int(ctx.params["org_id"])
    )
    _member(ctx)


def _action_prompt(ctx: FlowContext) -> str:
    member = _member(ctx)
    return ctx.t.gettext(
        "<b>{name}</b> — {role}, {status}.\nWhat would you like to change?",
        name=escape(member.full_name),
        role=role_label(ctx.t, member.role),
        status=status_label(ctx.t, member.status),
    )


def _action_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(ROLE, ctx.t.gettext("Change role")),
        Option(STATUS, ctx.t.gettext("Change status")),
        Option(REMOVE, ctx.t.gettext("Remove from the roster")),
        Option(RENAME, ctx.t.gettext("✏️ Rename")),
    ]


def _parse_name(ctx: FlowContext, text: str) -> Any:
    """Reads the new name as /moi reads names (NFC, capitals tidied, not someone else's)."""
    try:
        return members.checked_new_name(
            session=ctx.session,
            org_id=int(ctx.params["org_id"]),
            member_id=int(ctx.params["member_id"]),
            raw=text,
        )
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _confirm_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    member = _member(ctx)
    name = escape(member.full_name)
    action = ctx.answers["action"]
    if action == REMOVE:
        return t.gettext(
            "Remove <b>{name}</b> from the roster? Their records are kept.", name=name
        )
    if action == RENAME:
        return t.gettext(
            "Rename <b>{name}</b> to <b>{new}</b>?", name=name, new=escape(ctx.answers["name"])
        )
    if action == ROLE:
        return t.gettext(
            "Change the role of <b>{name}</b> from {before} to {after}?",
            name=name,
            before=role_label(t, member.role),
            after=role_label(t, Role(ctx.answers["role"])),
        )
    return t.gettext(
        "Change the status of <b>{name}</b> from {before} to {after}?",
        name=name,
        before=status_label(t, member.status),
        after=status_label(t, MemberStatus(ctx.answers["status"])),
    )


def _complete(ctx: FlowContext) -> Screen:
    action = ctx.answers["action"]
    member = members.update_member(
        session=ctx.session,
        org_id=int(ctx.params["org_id"]),
        member_id=int(ctx.params["member_id"]),
        actor=ctx.person,
        now=ctx.now,
        role=Role(ctx.answers["role"]) if action == ROLE else None,
        status=MemberStatus(ctx.answers["status"]) if action == STATUS else None,
        full_name=str(ctx.answers["name"]) if action == RENAME else None,
        remove=action == REMOVE,
    )
    joined = ctx.session.get(Person, member.person_id) if member.person_id else None
    if joined is not None and action in {ROLE, REMOVE}:
        # Their menu follows: a new role shows (or hides) the committee's commands.
        menus.queue_menu(session=ctx.session, person=joined, now=ctx.now)
    name = escape(member.full_name)
    if action == REMOVE:
        return Screen(ctx.t.gettext("<b>{name}</b> was removed from the roster.", name=name))
    if action == RENAME:
        return Screen(ctx.t.gettext("Saved: the roster now reads <b>{name}</b>.", name=name))
    return Screen(
        ctx.t.gettext(
            "Saved: <b>{name}</b> — {role}, {status}.",
            name=name,
            role=role_label(ctx.t, member.role),
            status=status_label(ctx.t, member.status),
        )
    )


EDIT_MEMBER_FLOW = Flow(
    name="edit_member",
    title=N_("Editing a member"),
    check=_check,
    steps=(
        Step("action", StepKind.CHOICE, _action_prompt, options=_action_options),
        Step(
            "role",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("The new role:"),
            options=role_options,
            when=answered("action", ROLE),
        ),
        Step(
            "status",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("The new status:"),
            options=status_options,
            when=answered("action", STATUS),
        ),
        Step(
            "name",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "Type the new full name (họ và tên) of <b>{name}</b>:",
                name=escape(_member(ctx).full_name),
            ),
            parse=_parse_name,
            when=answered("action", RENAME),
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete,
)
