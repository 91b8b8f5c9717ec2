"""The form that changes the text or the time of an announcement not sent yet."""

from __future__ import annotations

from typing import Any

from bot.flows.announcement_screens import announcement_screen
from bot.flows.announcements import (
    due_of,
    parse_text,
    parse_when_answer,
    text_prompt,
    when_options,
    when_prompt,
)
from bot.flows.engine import Flow, FlowContext, Option, Step, StepKind, answered
from bot.i18n import N_
from bot.models import Announcement
from bot.services import announcements
from bot.ui import Screen

TEXT, TIME = "text", "time"


def _announcement(ctx: FlowContext) -> Announcement:
    key = "announcement"
    if key not in ctx.memo:
        ctx.memo[key] = announcements.for_committee(
            session=ctx.session,
            announcement_id=int(ctx.params["announcement_id"]),
            person=ctx.person,
        )
    found: Announcement = ctx.memo[key]
    return found


def _edit_check(ctx: FlowContext) -> None:
    announcements.edit_check(announcement=_announcement(ctx))


def _what_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(TEXT, ctx.t.gettext("✍️ The text")),
        Option(TIME, ctx.t.gettext("🕐 The time")),
    ]


def _edit_when(ctx: FlowContext, text: str) -> Any:
    ctx.answers.setdefault("org", str(_announcement(ctx).org_id))
    return parse_when_answer(ctx, text)


def _edit_when_prompt(ctx: FlowContext) -> str:
    # The examples are computed from today in the announcement's cell.
    ctx.answers.setdefault("org", str(_announcement(ctx).org_id))
    return when_prompt(ctx)


def _edit_complete(ctx: FlowContext) -> Screen:
    found = _announcement(ctx)
    due = due_of(ctx, "new_time")
    changed = announcements.edit(
        session=ctx.session,
        announcement_id=found.id or 0,
        version=int(ctx.params["version"]),
        actor=ctx.person,
        now=ctx.now,
        text=str(ctx.answers["new_text"]) if ctx.answers.get("what") == TEXT else None,
        due_at=due,
        send_now=ctx.answers.get("what") == TIME and due is None,
    )
    return announcement_screen(ctx.session, ctx.t, changed, ctx.t.gettext("✅ Changed."))


def _edit_cancelled(ctx: FlowContext) -> Screen:
    return announcement_screen(
        ctx.session, ctx.t, _announcement(ctx), ctx.t.gettext("Cancelled. Nothing was changed.")
    )


EDIT_ANNOUNCEMENT_FLOW = Flow(
    name="announcement_edit",
    title=N_("Editing an announcement"),
    check=_edit_check,
    steps=(
        Step(
            "what",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("What should change?"),
            options=_what_options,
        ),
        Step(
            "new_text",
            StepKind.TEXT,
            text_prompt,
            parse=parse_text,
            when=answered("what", TEXT),
        ),
        Step(
            "new_time",
            StepKind.TEXT,
            _edit_when_prompt,
            options=when_options,
            parse=_edit_when,
            when=answered("what", TIME),
        ),
    ),
    complete=_edit_complete,
    on_cancel=_edit_cancelled,
)
