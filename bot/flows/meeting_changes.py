"""The form that changes a meeting (its menu and other parts: bot.flows.meeting_edit_fields):
moving it, a new place, cancelling it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.date_examples import date_error_text, example_day, short_day, understood_text
from bot.datetext import DateTextError, ParsedTime, combine, parse_when
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.flows.meeting_edit_fields import (
    CANCEL,
    MOVE,
    PLACE,
    chosen,
    context_steps,
    field_steps,
    menu_step,
    save_changes,
)
from bot.i18n import N_
from bot.models import Meeting, Organisation
from bot.render import error_text
from bot.render_meetings import cancel_text, kind_label
from bot.services import meetings, members, notices
from bot.services.errors import InvalidInput, NotFound
from bot.ui import Screen


def _meeting(ctx: FlowContext) -> Meeting:
    return meetings.get_meeting(session=ctx.session, meeting_id=int(ctx.params["meeting_id"]))


def _org(ctx: FlowContext, meeting: Meeting) -> Organisation:
    org = ctx.session.get(Organisation, meeting.org_id)
    if org is None:
        raise NotFound("org_not_found")
    return org


# --- moving, changing the place, cancelling ------------------------------------------------


def _check_editor(ctx: FlowContext) -> None:
    meeting = _meeting(ctx)
    members.require_committee(session=ctx.session, person=ctx.person, org_id=meeting.org_id)


def _tz(ctx: FlowContext) -> ZoneInfo:
    return ZoneInfo(_org(ctx, _meeting(ctx)).timezone)


PASSED = "when_passed"  # this year's day/month, already past, when the day typed is next year's


def _parse_new_when(ctx: FlowContext, text: str) -> Any:
    meeting = _meeting(ctx)
    tz = _tz(ctx)
    try:
        day, at = parse_when(text, now=ctx.now, tz=tz)
    except DateTextError as exc:
        today = ctx.now.astimezone(tz).date()
        raise InvalidAnswer(date_error_text(ctx.t, exc.reason, today)) from exc
    local = meeting.starts_at.astimezone(tz)
    new_day = day.day if day is not None else local.date()
    new_time = at if at is not None else ParsedTime(local.hour, local.minute)
    starts = combine(new_day, new_time, tz)
    if starts <= ctx.now:
        raise InvalidAnswer(error_text(ctx.t, InvalidInput("meeting_in_past")))
    ctx.answers.pop(PASSED, None)
    if day is not None and day.passed is not None:
        ctx.answers[PASSED] = day.passed.isoformat()
    return starts.isoformat()


def _when_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    sample = example_day(ctx.now.astimezone(_tz(ctx)).date())
    examples = t.gettext(
        "{day} 19:30, {weekday}, {time}",
        day=short_day(t, sample),
        weekday=t.gettext("next Friday"),
        time=t.gettext("8 pm"),
    )
    return t.gettext("The new day and/or time (e.g. {examples}):", examples=examples)


def _when_echo(ctx: FlowContext, typed: bool) -> str | None:
    if not typed or PASSED in ctx.answers:
        return None
    new = datetime.fromisoformat(ctx.answers["when"])
    return understood_text(ctx.t, new.astimezone(_tz(ctx)).date(), _local_time(ctx, new))


def _local_time(ctx: FlowContext, instant: datetime) -> ParsedTime:
    local = instant.astimezone(_tz(ctx))
    return ParsedTime(local.hour, local.minute)


def _passed_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    new = datetime.fromisoformat(ctx.answers["when"])
    return t.gettext(
        "{passed} has already passed — did you mean {meant}?",
        passed=t.date_text(date.fromisoformat(ctx.answers[PASSED])),
        meant=t.date_text(new),
    )


def _passed_options(ctx: FlowContext) -> list[Option]:
    new = datetime.fromisoformat(ctx.answers["when"])
    return [
        Option("yes", ctx.t.gettext("Yes, {day}", day=ctx.t.when_text(new))),
        Option("no", ctx.t.gettext("No, I will type the day again")),
    ]


def _passed_back(ctx: FlowContext, value: Any) -> str | None:
    if value != "no":
        return None
    ctx.answers.pop(PASSED, None)
    return "when"


def _parse_place(ctx: FlowContext, text: str) -> Any:
    try:
        return meetings.validate_place(text)
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _confirm_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    meeting = _meeting(ctx)
    return t.gettext(
        "Cancel the {kind} at {when}? Everyone will be told.",
        kind=kind_label(t, meeting.kind),
        when=t.when_text(meeting.starts_at),
    )


def _complete_change(ctx: FlowContext) -> Screen:
    action = ctx.answers["action"]
    version = int(ctx.params["version"])
    meeting_id = int(ctx.params["meeting_id"])
    if action == CANCEL:
        meeting = meetings.cancel_meeting(
            session=ctx.session,
            meeting_id=meeting_id,
            version=version,
            actor=ctx.person,
            now=ctx.now,
        )
        org = _org(ctx, meeting)
        notices.announce_meeting(
            session=ctx.session,
            org=org,
            kind=meeting.kind,
            build=lambda t: Screen(cancel_text(t, meeting, org)),
            key=f"change:{meeting.id}:v{meeting.version}",
            now=ctx.now,
        )
        return Screen(ctx.t.gettext("Cancelled, and everyone was told."))
    return save_changes(ctx)


EDIT_MEETING_FLOW = Flow(
    name="edit_meeting",
    title=N_("Changing a meeting"),
    check=_check_editor,
    steps=(
        *context_steps(),
        Step(
            "when",
            StepKind.TEXT,
            _when_prompt,
            parse=_parse_new_when,
            when=chosen(MOVE),
            echo=_when_echo,
        ),
        Step(
            "when_check",
            StepKind.CHOICE,
            _passed_prompt,
            options=_passed_options,
            when=lambda ctx: ctx.answers.get("action") == MOVE and PASSED in ctx.answers,
            back_to=_passed_back,
        ),
        Step(
            "place",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("The new place or link:"),
            parse=_parse_place,
            when=chosen(PLACE),
        ),
        *field_steps(),
        menu_step(),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt, when=answered("action", CANCEL)),
    ),
    complete=_complete_change,
)
