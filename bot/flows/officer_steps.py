"""The questions the announcement and study forms ask an officer of a đảng bộ instead of a
cell's audience: all the cells under it, or cells chosen by name; the preview's reach; and the
send to each cell."""

from __future__ import annotations

from typing import Any

from bot.channels import profile_of
from bot.flows.common_people import chosen_org
from bot.flows.engine import FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.flows.matching import match_key
from bot.models import Announcement, AudienceKind, Organisation
from bot.render import error_text
from bot.render_announcements import preview_text
from bot.render_officers import batch_screen, sent_note
from bot.services import announcement_audience, announcements, officers
from bot.services.errors import InvalidInput
from bot.text import escape
from bot.ui import Screen

ALL_CELLS = "cells"
PICK_CELLS = "pick"
OFFICER_VALUES = frozenset({ALL_CELLS, PICK_CELLS})


def _cells(ctx: FlowContext) -> list[Organisation]:
    key = "cells_under"
    if key not in ctx.memo:
        ctx.memo[key] = officers.cells_under(session=ctx.session, org_id=chosen_org(ctx).id or 0)
    found: list[Organisation] = ctx.memo[key]
    return found


def audience_options(ctx: FlowContext) -> list[Option]:
    """Returns the officer's choices (all cells, or chosen ones); none for a cell."""
    if not _cells(ctx):
        return []
    return [
        Option(ALL_CELLS, ctx.t.gettext("🏛 All cells under the đảng bộ")),
        Option(PICK_CELLS, ctx.t.gettext("✍️ Choose cells by name")),
    ]


def officer_send(ctx: FlowContext) -> bool:
    """Tells whether the form sends to cells under a đảng bộ."""
    return ctx.answers.get("audience") in OFFICER_VALUES


def _cells_prompt(ctx: FlowContext) -> str:
    names = ", ".join(escape(c.name) for c in _cells(ctx))
    return ctx.t.gettext(
        "Type the names of the cells, separated by commas. The cells: {names}", names=names
    )


def _parse_cells(ctx: FlowContext, text: str) -> Any:
    typed = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    chosen: list[int] = []
    for name in typed:
        wanted = match_key(name)
        hits = [c for c in _cells(ctx) if wanted and wanted in match_key(c.name)]
        exact = [c for c in hits if match_key(c.name) == wanted]
        hits = exact or hits
        if len(hits) != 1:
            raise InvalidAnswer(
                error_text(ctx.t, InvalidInput("cells_unknown")) + "\n" + _cells_prompt(ctx)
            )
        if hits[0].id not in chosen:
            chosen.append(hits[0].id or 0)
    if not chosen:
        raise InvalidAnswer(_cells_prompt(ctx))
    return chosen


def cells_step() -> Step:
    """The question naming the cells, asked when the officer chose to pick them."""
    return Step(
        "cells",
        StepKind.TEXT,
        _cells_prompt,
        parse=_parse_cells,
        when=answered("audience", PICK_CELLS),
    )


def chosen_cells(ctx: FlowContext) -> list[Organisation]:
    """Returns the cells the officer is sending to."""
    if ctx.answers.get("audience") == ALL_CELLS:
        return _cells(ctx)
    wanted = [int(i) for i in ctx.answers.get("cells") or []]
    by_id = {c.id: c for c in _cells(ctx)}
    return [by_id[i] for i in wanted if i in by_id]


def preview(ctx: FlowContext, shown: Announcement) -> str:
    """Returns the preview with the reach over all chosen cells and their names."""
    audience = unreachable = 0
    for cell in chosen_cells(ctx):
        found = announcement_audience.audience(
            session=ctx.session, org_id=cell.id or 0, kind=AudienceKind.CELL
        )
        audience += len(found)
        unreachable += sum(1 for a in found if a.recipient is None)
    shown.audience = AudienceKind.CELL
    cells = chosen_cells(ctx)
    text = preview_text(
        ctx.t,
        shown,
        cells[0] if cells else chosen_org(ctx),
        profile_of(ctx.key.channel),
        audience=audience,
        unreachable=unreachable,
    )
    names = ", ".join(escape(c.name) for c in cells)
    return (
        text
        + "\n"
        + ctx.t.gettext("🏛 Each cell's members get it as their cell's own: {cells}", cells=names)
    )


def complete(ctx: FlowContext, draft: announcements.Draft) -> Screen:
    """Sends the draft to each chosen cell; returns the figures per cell."""
    cells = [c.id or 0 for c in chosen_cells(ctx)]
    sent = officers.create_for_cells(
        session=ctx.session, draft=draft, cell_ids=cells, actor=ctx.person, now=ctx.now
    )
    figures = officers.batch_figures(session=ctx.session, batch=sent.batch)
    note = sent_note(ctx.t, len(figures.cells), sent.skipped)
    return batch_screen(ctx.t, chosen_org(ctx), figures, note)
