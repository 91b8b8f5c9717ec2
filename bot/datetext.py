"""Reads the meeting dates and times people type, in Vietnamese or English, accents optional."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.datepatterns import (
    _BARE_DAY,
    _BARE_HOUR,
    _EN_DM,
    _EN_MD,
    _EN_WEEKDAYS,
    _FILLERS,
    _ISO,
    _MONTH_END,
    _MONTHS,
    _NUMERIC,
    _PERIOD_HOURS,
    _RELATIVE,
    _TIME,
    _VN_DM,
    _VN_MD,
    _VN_REL_MONTH,
    _VN_WEEKDAYS,
    _WEEKDAY,
    _WORD_TIME,
)
from bot.text import clean_line, fold

# Reading rules (the text is first NFC-cleaned, then folded: lower case, no accents, đ → d):
# - Dates are day-first (Vietnamese convention): 11/12 is 11 December. ISO YYYY-MM-DD is the
#   only month-first numeric form; English "Nov 26" names its month, so it is not ambiguous.
# - A two-digit year means 20xx. A day/month without a year is its next occurrence today or
#   later; when that moved it to next year and this year's day passed within RECENTLY_PASSED,
#   the result says which day that was (`ParsedDate.passed`), for the form to ask. "cuối
#   tháng" (end of the month) is the last day of this month, "cuối tháng sau" of the next. A
#   lone day of month ("26", "ngày 26") is this month's if not past, else the next month that
#   has that day. In parse_when a lone number is always a day, never an hour.
# - A bare weekday is its next occurrence strictly after today (a meeting is set ahead, so
#   "thứ 2" typed on a Monday is next Monday). "tuần sau"/"tuần tới"/"next week" and "next
#   <weekday>" pick that weekday in the next Monday-based week; "tuần này"/"this week" in this
#   one (possibly "past"). A weekday next to a full date ("thứ 5, 26/11") must agree with it.
# - The whole message must be understood: readings are tried in order (full dates, then
#   weekdays, then relative words, then a time with a lone day number) and the first that
#   accounts for every word wins; only fillers (lúc, vào, hồi, ngày, buổi, at, on, the, commas)
#   may be left over. When none works, the first specific error is raised, else "unknown".
# - So "d.m" with dots is a date unless the rest then makes no sense: "11.12" alone is
#   11 December, "mai 8.05" is tomorrow 08:05, "19.30" is a time (there is no month 30).
# - Periods of the day: sáng 0–11; trưa 11–12 and 1–2 (→ 13–14); chiều 1–6 (→ 13–18) and 12;
#   tối 6–11 (→ 18–23); đêm/khuya 9–11 (→ 21–23), 1–5, and 12 → 00:00 *at the start* of the day
#   given (the preview shows it); 24-hour values already in the period are kept (19h tối).
#   Anything else, 24:00 included, is "bad_time". "noon" is 12:00, "midnight"/"nửa đêm" 00:00.

MAX_INPUT_LENGTH = 100
MAX_YEARS_AHEAD = 2
# A day/month that passed this year at most this long ago is asked about (ParsedDate.passed).
RECENTLY_PASSED = timedelta(days=183)


@dataclass(frozen=True)
class ParsedDate:
    """A calendar day understood from text.

    Attributes:
        day: The day, in the cell's zone.
        explicit_year: True when the person typed the year.
        passed: For a day and month typed without a year that had already passed this year
            ("26/11" on 02/12/2026): that day this year; `day` is then next year's. Else None.
            How the text was read, not what it means: not part of equality.
    """

    day: date
    explicit_year: bool
    passed: date | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ParsedTime:
    """A 24-hour wall-clock time of day understood from text."""

    hour: int
    minute: int

    def __post_init__(self) -> None:
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError(f"not a time of day: {self.hour}:{self.minute}")

    def __str__(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


class DateTextError(ValueError):
    """The text is not a usable date or time; `reason` is a stable code for the message.

    Reasons: "empty", "too_long" (over MAX_INPUT_LENGTH characters), "unknown" (not understood,
    or understood only in part), "no_such_day" (31/02, 29/02/2027, month 13), "bad_time" (25:00,
    19:75, 24:00, 13h sáng), "past" (before today in the zone), "too_far" (more than
    MAX_YEARS_AHEAD years ahead), "weekday_mismatch" (a weekday that disagrees with the date).

    Attributes:
        reason: One of the codes above.
        value: The person's text, NFC-cleaned (cut to MAX_INPUT_LENGTH characters).
        day: The day understood, for "past", "too_far" and "weekday_mismatch"; else None.
    """

    def __init__(self, reason: str, value: str = "", *, day: date | None = None) -> None:
        super().__init__(f"{reason}: {value[:40]!r}")
        self.reason = reason
        self.value = value
        self.day = day


SUGGESTED_TIMES: list[ParsedTime] = [
    ParsedTime(h, m) for h, m in ((7, 30), (8, 0), (14, 0), (17, 0), (19, 0), (19, 30), (20, 0))
]


Resolved = tuple[date, bool]

# --- resolving matches ------------------------------------------------------------------------


def _next_day_month(day: int, month: int, today: date) -> date:
    """The next `day`/`month` that is today or later (29/02 waits for a leap year)."""
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]):
        raise DateTextError("no_such_day")
    for year in range(today.year, today.year + 9):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    raise DateTextError(
        "no_such_day"
    )  # pragma: no cover - a valid day/month recurs within 8 years


def _from_numbers(day: int, month: int, year: str | None, today: date) -> Resolved:
    if year is None:
        return _next_day_month(day, month, today), False
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(full_year, month, day), True
    except ValueError:
        raise DateTextError("no_such_day") from None


def _numbers(match: re.Match[str], today: date) -> Resolved:
    groups = match.groupdict()
    year = groups.get("y") or groups.get("y4")
    return _from_numbers(int(match["d"]), int(match["m"]), year, today)


def _slashed(match: re.Match[str], today: date) -> Resolved | None:
    return None if match["sep"] == "." else _numbers(match, today)


def _dotted(match: re.Match[str], today: date) -> Resolved | None:
    # "19.30" has no month 30, so it is left for the time reading.
    plausible = match["sep"] == "." and (match["y"] or int(match["m"]) <= 12)
    return _numbers(match, today) if plausible else None


def _named_month(match: re.Match[str], today: date) -> Resolved:
    month = _MONTHS.index(match["mon"][:3]) + 1
    return _from_numbers(int(match["d"]), month, match["y"], today)


def _relative_month(match: re.Match[str], today: date) -> Resolved:
    months = today.year * 12 + today.month - 1 + (0 if match["rel"] == "nay" else 1)
    try:
        return date(months // 12, months % 12 + 1, int(match["d"])), False
    except ValueError:
        raise DateTextError("no_such_day") from None


def _month_end(match: re.Match[str], today: date) -> Resolved:
    later = (match["vn"] or match["en"] or "") in {"sau", "toi", "next"}
    months = today.year * 12 + today.month - 1 + (1 if later else 0)
    year, month = months // 12, months % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1]), False


def _weekday_index(match: re.Match[str]) -> int:
    if match["vn"]:
        return int(match["vn"]) - 2 if match["vn"].isdigit() else _VN_WEEKDAYS[match["vn"]]
    if match["short"]:
        return int(match["short"]) - 2
    return 6 if match["cn"] else _EN_WEEKDAYS.index(match["en"][:3])


def _weekday(match: re.Match[str], today: date) -> Resolved:
    index = _weekday_index(match)
    monday = today - timedelta(days=today.weekday())
    week = match["week"] or ""
    if match["next"] or week.endswith(("sau", "toi", "next week")):
        return monday + timedelta(days=7 + index), False
    if week:  # "tuần này" / "this week"
        return monday + timedelta(days=index), False
    return today + timedelta(days=(index - today.weekday()) % 7 or 7), False


def _relative(match: re.Match[str], today: date) -> Resolved:
    offset = 0 if match["d0"] else 1 if match["d1"] else 2
    return today + timedelta(days=offset), False


# Tried in this order; each match in turn until one reading of the whole text works.
_DATE_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], Resolved | None]]] = [
    (_ISO, _numbers),
    (_MONTH_END, _month_end),
    (_NUMERIC, _slashed),
    (_VN_DM, _numbers),
    (_VN_MD, _numbers),
    (_VN_REL_MONTH, _relative_month),
    (_EN_DM, _named_month),
    (_EN_MD, _named_month),
    (_NUMERIC, _dotted),
    (_WEEKDAY, _weekday),
    (_RELATIVE, _relative),
]


# The readings of a day and month, whose year may be left out.
_DAY_MONTH = frozenset({_numbers, _slashed, _dotted, _named_month})


def _passed_this_year(day: date, today: date) -> date | None:
    """This year's `day` if a day/month without a year was moved past it to a later year and
    it passed recently (within RECENTLY_PASSED): "26/11" on 02/12 may be a slip, while "10/1"
    on 31/12 plainly means next January."""
    if day.year == today.year:
        return None
    try:
        this_year = day.replace(year=today.year)
    except ValueError:  # 29/02, waiting for a leap year: nothing this year to offer
        return None
    return this_year if today - RECENTLY_PASSED <= this_year < today else None


def _time_from(match: re.Match[str]) -> ParsedTime:
    if match.re is _WORD_TIME:
        return ParsedTime(12, 0) if match["noon"] else ParsedTime(0, 0)
    pre, post, ampm = match["pre"], match["post"], match["ap"]
    if (pre and post and pre != post) or (pre and ampm):
        raise DateTextError("unknown")
    period = ampm or post or pre or ""
    minute = 30 if match["half1"] or match["half2"] else int(match["m1"] or match["m2"] or 0)
    minute = int(match["m3"]) if match["m3"] else minute
    hour = _PERIOD_HOURS[period].get(int(match["h"]))
    if hour is None or minute > 59:
        raise DateTextError("bad_time")
    return ParsedTime(hour, minute)


def _exact_time(text: str) -> ParsedTime:
    match = _TIME.fullmatch(text) or _WORD_TIME.fullmatch(text)
    if match is None:
        raise DateTextError("unknown")
    return _time_from(match)


def _bare_day(text: str, today: date | None) -> ParsedDate:
    match = _BARE_DAY.fullmatch(text)
    if match is None or today is None:
        raise DateTextError("unknown")
    day = int(match["d"])
    if not 1 <= day <= 31:
        raise DateTextError("no_such_day")
    year, month = today.year, today.month
    while day > calendar.monthrange(year, month)[1] or date(year, month, day) < today:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return _checked(date(year, month, day), False, today)


def _bare_hour(text: str) -> ParsedTime:
    if _BARE_HOUR.fullmatch(text) is None:
        raise DateTextError("unknown")
    if int(text) > 23:
        raise DateTextError("bad_time")
    return ParsedTime(int(text), 0)


def _checked(
    day: date, explicit_year: bool, today: date, passed: date | None = None
) -> ParsedDate:
    if day < today:
        raise DateTextError("past", day=day)
    try:
        limit = today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # today is 29 February
        limit = date(today.year + MAX_YEARS_AHEAD, 2, 28)
    if day > limit:
        raise DateTextError("too_far", day=day)
    return ParsedDate(day, explicit_year, passed)


def _cut(text: str, match: re.Match[str]) -> str:
    return f"{text[: match.start()]} {text[match.end() :]}"


def _strip(text: str) -> str:
    return " ".join(_FILLERS.sub(" ", text).split())


def _drop_weekday_hint(rest: str, day: date, today: date) -> str:
    """Removes a weekday written beside a date ("thứ 5, 26/11") after checking they agree."""
    match = _WEEKDAY.search(rest)
    if match is None:
        return rest
    hinted, _ = _weekday(match, today)
    qualified = match["next"] or match["week"]
    if (hinted != day) if qualified else (hinted.weekday() != day.weekday()):
        raise DateTextError("weekday_mismatch", day=day)
    return _cut(rest, match)


# --- reading ----------------------------------------------------------------------------------


def _read_day_first(
    text: str, today: date, *, want_time: bool, errors: list[DateTextError]
) -> tuple[ParsedDate, ParsedTime | None] | None:
    """Tries each date expression in turn, the rest of the text being a time (or nothing)."""
    for pattern, resolve in _DATE_RULES:
        for match in pattern.finditer(text):
            try:
                found = resolve(match, today)
                if found is None:
                    continue
                rest = _strip(_drop_weekday_hint(_cut(text, match), found[0], today))
                if rest and not want_time:
                    raise DateTextError("unknown")
                time = _exact_time(rest) if rest else None
                day, explicit = found
                typed_day_month = resolve in _DAY_MONTH and not explicit
                passed = _passed_this_year(day, today) if typed_day_month else None
                return _checked(day, explicit, today, passed), time
            except DateTextError as error:
                errors.append(error)
    return None


def _read(
    text: str, today: date | None, *, want_time: bool
) -> tuple[ParsedDate | None, ParsedTime | None]:
    """Tries each reading in turn: a date (plus a time), a time (plus a day number), alone."""
    errors: list[DateTextError] = []
    if today is not None:
        found = _read_day_first(text, today, want_time=want_time, errors=errors)
        if found is not None:
            return found
    if want_time:
        for match in [*_TIME.finditer(text), *_WORD_TIME.finditer(text)]:
            try:
                time = _time_from(match)
                rest = _strip(_cut(text, match))
                return (_bare_day(rest, today) if rest else None), time
            except DateTextError as error:
                errors.append(error)
    try:
        if today is not None:
            return _bare_day(_strip(text), today), None
        return None, _bare_hour(_strip(text))
    except DateTextError as error:
        errors.append(error)
    raise next((e for e in errors if e.reason != "unknown"), errors[-1])


def _parse(
    text: str, today: date | None, *, want_time: bool
) -> tuple[ParsedDate | None, ParsedTime | None]:
    if len(text) > 10 * MAX_INPUT_LENGTH:  # far too long: not worth normalising
        raise DateTextError("too_long", clean_line(text[:MAX_INPUT_LENGTH]))
    clean = clean_line(text)
    if not clean:
        raise DateTextError("empty", clean)
    if len(clean) > MAX_INPUT_LENGTH:
        raise DateTextError("too_long", clean[:MAX_INPUT_LENGTH])
    try:
        return _read(fold(clean), today, want_time=want_time)
    except DateTextError as error:
        raise DateTextError(error.reason, clean, day=error.day) from None


def _today(now: datetime, tz: ZoneInfo) -> date:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be an aware datetime")
    return now.astimezone(tz).date()


# --- public API -------------------------------------------------------------------------------


def parse_day(text: str, *, now: datetime, tz: ZoneInfo) -> ParsedDate:
    """Reads a day such as "26/11", "thứ 5 tuần sau", "mai" or "Nov 26".

    "Today" is `now`'s date in `tz`. The day returned is today or later and at most
    MAX_YEARS_AHEAD years ahead. Raises DateTextError (empty, too_long, unknown, no_such_day,
    past, too_far, weekday_mismatch), or ValueError if `now` is naive.
    """
    day, _ = _parse(text, _today(now, tz), want_time=False)
    assert day is not None  # a reading without times always yields a day
    return day


def parse_time(text: str) -> ParsedTime:
    """Reads a time of day such as "19:30", "19h30", "7 rưỡi tối", "7:30 pm" or "19".

    A lone number is an hour on the 24-hour clock (here only; parse_when reads it as a day).
    Raises DateTextError (empty, too_long, unknown, bad_time).
    """
    _, time = _parse(text, None, want_time=True)
    assert time is not None  # a reading without days always yields a time
    return time


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo
) -> tuple[ParsedDate | None, ParsedTime | None]:
    """Reads a message holding a day, a time or both, e.g. "19h30 thứ 5 tuần sau", "mai 7h tối".

    Either part is None when the text does not mention it, never both. A time earlier today
    is not rejected here: combine, then compare with `now`. Raises DateTextError (any reason)
    unless the whole text is understood, or ValueError if `now` is naive.
    """
    return _parse(text, _today(now, tz), want_time=True)


def combine(day: date, time: ParsedTime, tz: ZoneInfo) -> datetime:
    """Places a wall-clock time on a day in `tz` and returns the instant, in UTC.

    DST is handled deterministically (PEP 495 fold=0): a time inside a spring-forward gap
    moves forward by the gap (02:30 on 28/03/2027 in Berlin is 03:30 CEST, 01:30 UTC); an
    ambiguous time in an autumn fold is its first occurrence (02:30 on 25/10/2026 in Berlin
    is 02:30 CEST, 00:30 UTC, not 02:30 CET).
    """
    local = datetime(day.year, day.month, day.day, time.hour, time.minute, tzinfo=tz, fold=0)
    return local.astimezone(UTC)


def suggested_days(*, now: datetime, tz: ZoneInfo, count: int = 6) -> list[date]:
    """Returns the `count` days following today in `tz`, tomorrow first (for quick buttons)."""
    today = _today(now, tz)
    return [today + timedelta(days=offset) for offset in range(1, count + 1)]
