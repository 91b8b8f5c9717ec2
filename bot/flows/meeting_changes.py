"""The form that changes a meeting (its menu and other parts: bot.flows.meeting_edit_fields):
moving it, a new place, cancelling it — one meeting of a repeating series, or the rest of the
series."""

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
from bot.render_meetings import cancel_text, kind_label, series_cancel_text, series_rule_text
from bot.services import meetings, members, notices, series
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


# Cancelling an occurrence of a repeating meeting: this one only, or the rest of the series.
ONE, SERIES = "one", "series"


def _in_series(ctx: FlowContext) -> bool:
    """Whether the meeting being cancelled repeats (its series still makes meetings)."""
    found = series.series_of(session=ctx.session, meeting=_meeting(ctx))
    return found is not None and found.ended_at is None


def _scope_prompt(ctx: FlowContext) -> str:
    meeting = _meeting(ctx)
    found = series.series_of(session=ctx.session, meeting=meeting)
    assert found is not None
    return ctx.t.gettext(
        "This meeting repeats ({rule}). Cancel only the meeting at {when}, or the whole series?",
        rule=series_rule_text(ctx.t, found),
        when=ctx.t.when_text(meeting.starts_at),
    )


def _scope_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(ONE, ctx.t.gettext("Only this meeting")),
        Option(SERIES, ctx.t.gettext("The whole series (this meeting and every later one)")),
    ]


def _parse_place(ctx: FlowContext, text: str) -> Any:
    try:
        return meetings.validate_place(text)
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _confirm_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    meeting = _meeting(ctx)
    if ctx.answers.get("scope") == SERIES:
        return t.gettext(
            "Cancel the {kind} at {when} and every later meeting of the series, and stop "
            "scheduling it? Everyone will be told.",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        )
    return t.gettext(
        "Cancel the {kind} at {when}? Everyone will be told.",
        kind=kind_label(t, meeting.kind),
        when=t.when_text(meeting.starts_at),
    )


def _complete_change(ctx: FlowContext) -> Screen:
    action = ctx.answers["action"]
    version = int(ctx.params["version"])
    meeting_id = int(ctx.params["meeting_id"])
    if action == CANCEL and ctx.answers.get("scope") == SERIES:
        first, ended = series.cancel_series(
            session=ctx.session,
            meeting_id=meeting_id,
            version=version,
            actor=ctx.person,
            now=ctx.now,
        )
        org = _org(ctx, first)
        notices.announce_meeting(
            session=ctx.session,
            org=org,
            kind=first.kind,
            build=lambda t: Screen(series_cancel_text(t, first, ended, org)),
            key=f"series-end:{ended.id}",
            now=ctx.now,
        )
        return Screen(
            ctx.t.gettext("The series was cancelled from this meeting on, and everyone was told.")
        )
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
        Step(
            "scope",
            StepKind.CHOICE,
            _scope_prompt,
            options=_scope_options,
            when=lambda ctx: ctx.answers.get("action") == CANCEL and _in_series(ctx),
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt, when=answered("action", CANCEL)),
    ),
    complete=_complete_change,
)
