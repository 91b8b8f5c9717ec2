"""The form that moves a meeting, changes its place or theme, or cancels it (one meeting of a
repeating series, or the rest of the series)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.date_examples import date_error_text, example_day, short_day, understood_text
from bot.datetext import DateTextError, ParsedTime, combine, parse_when
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.i18n import N_
from bot.models import Meeting, Organisation
from bot.render import error_text
from bot.render_meetings import (
    cancel_text,
    change_text,
    kind_label,
    no_theme,
    rsvp_keyboard,
    series_cancel_text,
    series_rule_text,
)
from bot.services import meetings, members, notices, series
from bot.services.errors import InvalidInput, NotFound
from bot.text import escape
from bot.ui import Screen


def _meeting(ctx: FlowContext) -> Meeting:
    return meetings.get_meeting(session=ctx.session, meeting_id=int(ctx.params["meeting_id"]))


def _org(ctx: FlowContext, meeting: Meeting) -> Organisation:
    org = ctx.session.get(Organisation, meeting.org_id)
    if org is None:
        raise NotFound("org_not_found")
    return org


# --- moving, changing the place or the theme, cancelling ------------------------------------

MOVE, PLACE, THEME, CANCEL = "move", "place", "theme", "cancel"
# Cancelling an occurrence of a repeating meeting: this one only, or the rest of the series.
ONE, SERIES = "one", "series"


def _action(ctx: FlowContext) -> str:
    """What is being changed: chosen in the form, or given by the button that opened it
    (e.g. "set the theme" on an occurrence that has none)."""
    return str(ctx.params.get("action") or ctx.answers.get("action", ""))


def _chose(action: str) -> Callable[[FlowContext], bool]:
    return lambda ctx: _action(ctx) == action


def _check_editor(ctx: FlowContext) -> None:
    meeting = _meeting(ctx)
    members.require_committee(session=ctx.session, person=ctx.person, org_id=meeting.org_id)


def _action_prompt(ctx: FlowContext) -> str:
    meeting = _meeting(ctx)
    return ctx.t.gettext(
        "{kind} at {when}: what would you like to change?",
        kind=kind_label(ctx.t, meeting.kind),
        when=ctx.t.when_text(meeting.starts_at),
    )


def _action_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(MOVE, ctx.t.gettext("Change the date or time")),
        Option(PLACE, ctx.t.gettext("Change the place")),
        Option(THEME, ctx.t.gettext("Change the theme")),
        Option(CANCEL, ctx.t.gettext("Cancel meeting")),
    ]


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


def _parse_theme(ctx: FlowContext, text: str) -> Any:
    try:
        topic = meetings.validate_topic(text)
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc
    if not topic:
        raise InvalidAnswer(ctx.t.gettext("Please type the theme."))
    return topic


def _theme_prompt(ctx: FlowContext) -> str:
    meeting = _meeting(ctx)
    current = escape(meeting.topic) if meeting.topic else no_theme(ctx.t)
    text = ctx.t.gettext("Theme now: {topic}. Type the new theme:", topic=current)
    if meeting.series_id is not None:
        text += "\n" + ctx.t.gettext(
            "(For this meeting only: each meeting of the series has its own theme.)"
        )
    return text


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


def _confirm_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    meeting = _meeting(ctx)
    action = _action(ctx)
    if action == CANCEL and ctx.answers.get("scope") == SERIES:
        return t.gettext(
            "Cancel the {kind} at {when} and every later meeting of the series, and stop "
            "scheduling it? Everyone will be told.",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        )
    if action == THEME:
        return t.gettext(
            "Change the theme of the meeting at {when} to “{topic}”? Everyone will be told.",
            when=t.when_text(meeting.starts_at),
            topic=escape(str(ctx.answers["theme"])),
        )
    if action == CANCEL:
        return t.gettext(
            "Cancel the {kind} at {when}? Everyone will be told.",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        )
    if action == MOVE:
        new = datetime.fromisoformat(ctx.answers["when"])
        return t.gettext(
            "Move the meeting from {before} to {after}? Everyone will be told and the "
            "reminders will follow the new time.",
            before=t.when_text(meeting.starts_at),
            after=t.when_text(new),
        )
    return t.gettext(
        "Change the place to “{place}”? Everyone will be told.",
        place=escape(str(ctx.answers["place"])),
    )


def _complete_change(ctx: FlowContext) -> Screen:
    action = _action(ctx)
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
    current = meetings.get_meeting(session=ctx.session, meeting_id=meeting_id)
    # What it was, for the notice's "old → new" (a copy: the row itself is about to change).
    before = Meeting(
        starts_at=current.starts_at,
        place=current.place,
        topic=current.topic,
        org_id=current.org_id,
    )
    meeting = meetings.reschedule(
        session=ctx.session,
        meeting_id=meeting_id,
        version=version,
        actor=ctx.person,
        now=ctx.now,
        starts_at=datetime.fromisoformat(ctx.answers["when"]) if action == MOVE else None,
        place=ctx.answers["place"] if action == PLACE else None,
        topic=ctx.answers["theme"] if action == THEME else None,
    )
    org = _org(ctx, meeting)
    names = members.names_by_id(
        session=ctx.session,
        org_id=meeting.org_id,
        member_ids=[meeting.chair_member_id, meeting.presenter_member_id],
    )
    notices.announce_meeting(
        session=ctx.session,
        org=org,
        kind=meeting.kind,
        build=lambda t: Screen(
            change_text(t, meeting, org, names, before), rsvp_keyboard(t, meeting)
        ),
        key=f"change:{meeting.id}:v{meeting.version}",
        now=ctx.now,
        # It asks for answers again: useless once the meeting starts.
        expires_at=meeting.starts_at,
    )
    return Screen(ctx.t.gettext("Saved, and everyone was told."))


EDIT_MEETING_FLOW = Flow(
    name="edit_meeting",
    title=N_("Changing a meeting"),
    check=_check_editor,
    steps=(
        Step(
            "action",
            StepKind.CHOICE,
            _action_prompt,
            options=_action_options,
            when=lambda ctx: "action" not in ctx.params,
        ),
        Step(
            "when",
            StepKind.TEXT,
            _when_prompt,
            parse=_parse_new_when,
            when=_chose(MOVE),
            echo=_when_echo,
        ),
        Step(
            "when_check",
            StepKind.CHOICE,
            _passed_prompt,
            options=_passed_options,
            when=lambda ctx: _action(ctx) == MOVE and PASSED in ctx.answers,
            back_to=_passed_back,
        ),
        Step(
            "place",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("The new place or link:"),
            parse=_parse_place,
            when=_chose(PLACE),
        ),
        Step(
            "theme",
            StepKind.TEXT,
            _theme_prompt,
            parse=_parse_theme,
            when=_chose(THEME),
        ),
        Step(
            "scope",
            StepKind.CHOICE,
            _scope_prompt,
            options=_scope_options,
            when=lambda ctx: _action(ctx) == CANCEL and _in_series(ctx),
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete_change,
)
