"""Choices of people and cells for committee forms."""

from __future__ import annotations

from typing import Any

from bot.flows.engine import FlowContext, Option, Step, StepKind
from bot.models import COMMITTEE_ROLES, EXPECTED_STATUSES, Organisation
from bot.services import members
from bot.services.errors import NotAllowed

NOBODY = "0"
# A form lists at most this many members as choices (the first of the roster's order).
MEMBER_CHOICES = 40


def committee_cell_options(ctx: FlowContext) -> list[Option]:
    """Returns the cells where the person sits on the committee."""
    cells = members.committee_cells(session=ctx.session, person=ctx.person)
    return [Option(str(org.id), org.name) for _, org in cells]


def only_committee_cell(ctx: FlowContext) -> Any:
    """Fills the cell step when there is one committee cell (or the form was opened for one)."""
    if "org_id" in ctx.params:
        return str(ctx.params["org_id"])
    options = committee_cell_options(ctx)
    return options[0].value if len(options) == 1 else None


def committee_cell_step() -> Step:
    """The first question of a committee form: which cell (filled in when there is one)."""
    return Step(
        "org",
        StepKind.CHOICE,
        lambda ctx: ctx.t.gettext("Which cell is this for?"),
        options=committee_cell_options,
        auto=only_committee_cell,
    )


def require_some_committee(ctx: FlowContext) -> None:
    """Refuses a committee form to someone on no cell committee."""
    if not committee_cell_options(ctx):
        raise NotAllowed("committee_only")


def chosen_org(ctx: FlowContext) -> Organisation:
    """Returns the cell chosen in the form's `org` step (re-checking the committee role, once
    per turn)."""
    key = f"chosen_org:{ctx.answers['org']}"
    found: Organisation | None = ctx.memo.get(key)
    if found is not None:
        return found
    org = ctx.session.get(Organisation, int(ctx.answers["org"]))
    if org is None or org.id is None:
        raise NotAllowed("committee_only")
    members.require_committee(session=ctx.session, person=ctx.person, org_id=org.id)
    ctx.memo[key] = org
    return org


def member_options(
    ctx: FlowContext, *, none_label: str, committee_only: bool = False
) -> list[Option]:
    """Returns, as choices, the members who can chair or present: joined, full or
    probationary (never exempt, attached elsewhere or not yet joined), the committee alone
    when `committee_only`; plus a "nobody" choice first."""
    roster = members.active_members(
        session=ctx.session,
        org_id=int(ctx.answers["org"]),
        limit=MEMBER_CHOICES,
        joined=True,
        statuses=EXPECTED_STATUSES,
        roles=COMMITTEE_ROLES if committee_only else None,
    )
    return [Option(NOBODY, none_label)] + [
        Option(str(m.id), m.full_name) for m in roster if m.id is not None
    ]
