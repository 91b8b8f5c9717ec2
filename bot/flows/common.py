"""Pieces shared by several flows: picking the cell, role and status choices, translators."""

from __future__ import annotations

from typing import Any

from bot.flows.engine import FlowContext, Option
from bot.i18n import Translator, translator
from bot.models import MemberStatus, Organisation, Person, Role
from bot.render import role_label, status_label
from bot.services import members
from bot.services.errors import NotAllowed


def secretary_cell_options(ctx: FlowContext) -> list[Option]:
    """Returns the cells where the person is secretary or deputy secretary."""
    cells = members.memberships(session=ctx.session, person=ctx.person)
    return [
        Option(str(org.id), org.name)
        for member, org in cells
        if member.role in {Role.SECRETARY, Role.DEPUTY}
    ]


def only_secretary_cell(ctx: FlowContext) -> Any:
    """Fills the cell step automatically when there is just one choice (or one was given)."""
    if "org_id" in ctx.params:
        return str(ctx.params["org_id"])
    options = secretary_cell_options(ctx)
    return options[0].value if len(options) == 1 else None


def require_some_secretary(ctx: FlowContext) -> None:
    """Refuses to open a secretary's form for someone who is nowhere secretary or deputy."""
    if not secretary_cell_options(ctx):
        raise NotAllowed("secretary_only")


def cell_prompt(ctx: FlowContext) -> str:
    """Asks which cell the form is for."""
    return ctx.t.gettext("Which cell is this for?")


def role_options(ctx: FlowContext, *, include_secretary: bool = False) -> list[Option]:
    """Returns the roles a person can be given in a form."""
    roles = [Role.MEMBER, Role.COMMITTEE, Role.DEPUTY]
    if include_secretary:
        roles.append(Role.SECRETARY)
    return [Option(role.value, role_label(ctx.t, role)) for role in roles]


def status_options(ctx: FlowContext) -> list[Option]:
    """Returns the membership statuses."""
    return [Option(s.value, status_label(ctx.t, s)) for s in MemberStatus]


def org_of(ctx: FlowContext) -> Organisation:
    """Returns the cell chosen in the flow's `org` step."""
    org = ctx.session.get(Organisation, int(ctx.answers["org"]))
    if org is None:
        raise NotAllowed("committee_only")
    return org


def translator_for(person: Person, org: Organisation | None = None) -> Translator:
    """Returns the translator for messages to a person (their language, the cell's zone)."""
    locale = person.locale or (org.locale if org else None)
    return translator(locale, org.timezone if org else "Asia/Ho_Chi_Minh")
