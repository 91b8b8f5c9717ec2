"""How dates are shown back to the person typing them: examples computed from today in the
reader's language (never a past or hard-coded day), and what a typed day and time were read as."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date

from bot.datetext import ParsedDate, ParsedTime
from bot.i18n import Translator
from bot.render import error_text
from bot.services.errors import InvalidInput

# How far ahead the example day is: past the week of quick buttons, never today or earlier.
EXAMPLE_DAYS_AHEAD = 10


def short_day(t: Translator, day: date) -> str:
    """Writes a day the way a person would type it: 26/11 in Vietnamese, 26 Nov in English."""
    if t.locale == "vi":
        return f"{day.day}/{day.month}"
    return format_date(day, "d MMM", locale=t.locale)


def full_day(t: Translator, day: date) -> str:
    """Writes a day with its year the way a person would type it: 26/11/2026, 26 Nov 2026."""
    if t.locale == "vi":
        return f"{day.day}/{day.month}/{day.year}"
    return format_date(day, "d MMM y", locale=t.locale)


def example_day(today: date) -> date:
    """Returns the day used in examples: a few days after `today`."""
    return today + timedelta(days=EXAMPLE_DAYS_AHEAD)


def example_within(today: date, first: date, last: date) -> date:
    """Returns an example day between `first` and `last` (a period's bounds), not before today
    when the period allows it."""
    return max(min(example_day(today), last), first, min(today, last))


def day_examples(t: Translator, today: date) -> str:
    """Returns ways to type a day, computed from `today`: "6/12, 6/12/2026, mai, …"."""
    sample = example_day(today)
    return ", ".join(
        (
            short_day(t, sample),
            full_day(t, sample),
            t.gettext("tomorrow"),
            t.gettext("next Thursday"),
            t.gettext("end of the month"),
        )
    )


def noon_of(t: Translator, day: date) -> datetime:
    """Returns midday of `day` in the translator's zone (to show a day with its weekday)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=t.tz)


def understood_text(t: Translator, day: date, at: ParsedTime | None) -> str:
    """Says how a typed day (and time) was read: "Understood: Thursday, 10/12/2026 at 19:30."."""
    shown = t.weekday_date_text(noon_of(t, day))
    if at is None:
        return t.gettext("Day understood: {day}.", day=shown)
    return t.gettext("Understood: {day} at {time}.", day=shown, time=str(at))


def passed_refusal(t: Translator, day: ParsedDate | None) -> str | None:
    """For a form that does not ask: refuses a day/month that passed this year (read as next
    year's), saying how to mean next year's; None when the day was not moved."""
    if day is None or day.passed is None:
        return None
    return t.gettext(
        "{passed} has already passed. If you mean {meant}, type the year too.",
        passed=t.date_text(day.passed),
        meant=t.date_text(day.day),
    )


# Refusals of a typed day or time that say how to type it instead.
_SHOW_HOW = frozenset({"empty", "unknown", "too_long"})


def date_error_text(t: Translator, reason: str, today: date) -> str:
    """Refuses a typed day (a DateTextError reason), with examples computed from `today`."""
    text = error_text(t, InvalidInput(f"date_{reason}"))
    if reason not in _SHOW_HOW:
        return text
    how = t.gettext("Type for example {examples}.", examples=day_examples(t, today))
    return f"{text} {how}"


def time_error_text(t: Translator, reason: str) -> str:
    """Refuses a typed time of day (a DateTextError reason), saying how to type one."""
    if reason not in _SHOW_HOW:
        return error_text(t, InvalidInput(f"date_{reason}"))
    return t.gettext(
        "I could not understand that time. Type for example {examples}.",
        examples=t.gettext("19:30, 7:30 pm"),
    )
