"""The day and time steps of the /taohop form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

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
    return invalid(ctx, InvalidInput(f"date_{exc.reason}"))


def _day_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "Which day? Tap one, or type it: 26/11, 26/11/2026, mai, thứ 5 tuần sau. "
        "You may add the time too (19h30)."
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
        raise invalid(ctx, InvalidInput("date_unknown"))
    if at is not None:
        ctx.answers["typed_time"] = f"{at.hour:02d}:{at.minute:02d}"
    return day.day.isoformat()


def _time_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext("What time? Tap one, or type it: 19:30, 19h30, 7h tối.")


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
        raise _date_error(ctx, exc) from exc
    return _check_time(ctx, f"{at.hour:02d}:{at.minute:02d}")


def _typed_time(ctx: FlowContext) -> Any:
    typed = ctx.answers.get("typed_time")
    if typed is None:
        return None
    try:
        return _check_time(ctx, str(typed))
    except InvalidAnswer:
        return None


def when_steps() -> tuple[Step, ...]:
    """Returns the day and time steps, in the order the form asks them."""
    return (
        Step("day", StepKind.TEXT, _day_prompt, options=_day_options, parse=_parse_day, columns=2),
        Step(
            "time",
            StepKind.TEXT,
            _time_prompt,
            options=_time_options,
            parse=_parse_time,
            auto=_typed_time,
            columns=4,
        ),
    )
