"""The day and time steps of the /taohop form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.date_examples import (
    date_error_text,
    day_examples,
    noon_of,
    time_error_text,
    understood_text,
)
from bot.datetext import (
    SUGGESTED_TIMES,
    DateTextError,
    ParsedTime,
    combine,
    parse_time,
    parse_when,
    suggested_days,
)
from bot.flows.common_people import chosen_org
from bot.flows.engine import FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.render import error_text
from bot.services.errors import DomainError, InvalidInput


def cell_tz(ctx: FlowContext) -> ZoneInfo:
    """Returns the time zone of the cell the form is for."""
    return ZoneInfo(chosen_org(ctx).timezone)


def invalid(ctx: FlowContext, error: DomainError) -> InvalidAnswer:
    """Returns the refusal of a typed answer, in the person's language."""
    return InvalidAnswer(error_text(ctx.t, error))


def _date_error(ctx: FlowContext, exc: DateTextError) -> InvalidAnswer:
    return InvalidAnswer(date_error_text(ctx.t, exc.reason, _today(ctx)))


TYPED_TIME = "typed_time"  # a time typed with the day ("mai 19h30"), for the time step
PASSED = "day_passed"  # this year's day/month, already past, when the day typed is next year's


def _today(ctx: FlowContext) -> date:
    return ctx.now.astimezone(cell_tz(ctx)).date()


def _day_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "Which day? Tap one, or type it: {examples}. You may add the time too ({time}).",
        examples=day_examples(ctx.t, _today(ctx)),
        time=ctx.t.gettext("7:30 pm"),
    )


def _day_options(ctx: FlowContext) -> list[Option]:
    days = suggested_days(now=ctx.now, tz=cell_tz(ctx), count=6)
    return [Option(day.isoformat(), _day_label(ctx, day)) for day in days]


def _day_label(ctx: FlowContext, day: date) -> str:
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=cell_tz(ctx))
    return ctx.t.weekday_date_text(noon)


def _parse_day(ctx: FlowContext, text: str) -> Any:
    try:
        day, at = parse_when(text, now=ctx.now, tz=cell_tz(ctx))
    except DateTextError as exc:
        raise _date_error(ctx, exc) from exc
    if day is None:
        raise InvalidAnswer(date_error_text(ctx.t, "unknown", _today(ctx)))
    forget_typed(ctx)
    if at is not None:
        ctx.answers[TYPED_TIME] = str(at)
    if day.passed is not None:
        ctx.answers[PASSED] = day.passed.isoformat()
    return day.day.isoformat()


def forget_typed(ctx: FlowContext) -> None:
    """Forgets a time typed with the day, and a day/month that had passed."""
    ctx.answers.pop(TYPED_TIME, None)
    ctx.answers.pop(PASSED, None)


def _typed_at(ctx: FlowContext) -> ParsedTime | None:
    typed = ctx.answers.get(TYPED_TIME)
    if typed is None:
        return None
    hour, minute = (int(x) for x in str(typed).split(":"))
    return ParsedTime(hour, minute)


def _understood(ctx: FlowContext, typed: bool = True) -> str | None:
    """Says the day (and the time, once known) the form will use, when it was typed."""
    if not typed:
        return None
    day = date.fromisoformat(ctx.answers["day"])
    time = ctx.answers.get("time")
    at = ParsedTime(*(int(x) for x in str(time).split(":"))) if time else None
    return understood_text(ctx.t, day, at)


def _day_echo(ctx: FlowContext, typed: bool) -> str | None:
    # A day moved to next year is asked about first: the question shows both days.
    return None if PASSED in ctx.answers else _understood(ctx, typed)


def _passed_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    passed = date.fromisoformat(ctx.answers[PASSED])
    meant = date.fromisoformat(ctx.answers["day"])
    return t.gettext(
        "{passed} has already passed — did you mean {meant}?",
        passed=t.date_text(passed),
        meant=t.date_text(meant),
    )


def _passed_options(ctx: FlowContext) -> list[Option]:
    meant = date.fromisoformat(ctx.answers["day"])
    return [
        Option("yes", ctx.t.gettext("Yes, {day}", day=_day_label(ctx, meant))),
        Option("no", ctx.t.gettext("No, I will type the day again")),
    ]


def _passed_back(ctx: FlowContext, value: Any) -> str | None:
    if value != "no":
        return None
    forget_typed(ctx)
    return "day"


def _time_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    ask = t.gettext(
        "What time? Tap one, or type it: {examples}.", examples=t.gettext("19:30, 7:30 pm")
    )
    at = _typed_at(ctx)
    if at is None:
        return ask
    # Typed with the day but not taken (it has passed): said, never dropped silently.
    day = date.fromisoformat(ctx.answers["day"])
    passed = t.gettext(
        "{time} on {day} has already passed.",
        time=str(at),
        day=t.weekday_date_text(noon_of(t, day)),
    )
    return f"{passed} {ask}"


def _time_options(ctx: FlowContext) -> list[Option]:  # noqa: ARG001 - the steps' shape
    return [
        Option(f"{p.hour:02d}:{p.minute:02d}", f"{p.hour:02d}:{p.minute:02d}")
        for p in SUGGESTED_TIMES
    ]


def starts_at(ctx: FlowContext, hhmm: str) -> datetime:
    """Returns the instant the meeting starts: the day answered at `hhmm`, in UTC."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    day = date.fromisoformat(ctx.answers["day"])
    return combine(day, ParsedTime(hour, minute), cell_tz(ctx))


def _check_time(ctx: FlowContext, hhmm: str) -> str:
    if starts_at(ctx, hhmm) <= ctx.now:
        raise invalid(ctx, InvalidInput("meeting_in_past"))
    return hhmm


def _parse_time(ctx: FlowContext, text: str) -> Any:
    try:
        at = parse_time(text)
    except DateTextError as exc:
        raise InvalidAnswer(time_error_text(ctx.t, exc.reason)) from exc
    return _check_time(ctx, f"{at.hour:02d}:{at.minute:02d}")


def _typed_time(ctx: FlowContext) -> Any:
    at = _typed_at(ctx)
    if at is None:
        return None
    try:
        return _check_time(ctx, str(at))
    except InvalidAnswer:
        return None


def when_steps() -> tuple[Step, ...]:
    """Returns the day and time steps, in the order the form asks them."""
    return (
        Step(
            "day",
            StepKind.TEXT,
            _day_prompt,
            options=_day_options,
            parse=_parse_day,
            columns=2,
            echo=_day_echo,
        ),
        Step(
            "day_check",
            StepKind.CHOICE,
            _passed_prompt,
            options=_passed_options,
            when=lambda ctx: PASSED in ctx.answers,
            # The day was typed at the step before: said once this answer settles it.
            echo=lambda ctx, _: _understood(ctx),
            back_to=_passed_back,
        ),
        Step(
            "time",
            StepKind.TEXT,
            _time_prompt,
            options=_time_options,
            parse=_parse_time,
            auto=_typed_time,
            columns=4,
            echo=_understood,
        ),
    )
