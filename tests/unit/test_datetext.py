import unicodedata
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.datetext import (
    SUGGESTED_TIMES,
    DateTextError,
    ParsedDate,
    ParsedTime,
    combine,
    parse_day,
    parse_time,
    parse_when,
    suggested_days,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
# Sunday 22/11/2026, 10:00 in Hà Nội. That week runs Mon 16 – Sun 22; the next Mon 23 – Sun 29.
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=HCM)


def d(day: int, month: int = 11, year: int = 2026) -> date:
    return date(year, month, day)


def test_now_is_a_sunday() -> None:
    assert NOW.date().weekday() == 6


# (text, expected day, explicit_year)
DAYS = [
    # numeric, day-first
    ("26/11", d(26), False),
    ("26/11/2026", d(26), True),
    ("26-11-2026", d(26), True),
    ("26.11.2026", d(26), True),
    ("26/11/26", d(26), True),  # two-digit year → 2026
    ("1/3/27", d(1, 3, 2027), True),  # two-digit year → 2027
    ("2026-11-26", d(26), True),  # ISO, the only month-first form
    ("11/12", d(11, 12), False),  # day-first: 11 December, not 12 November
    ("11.12", d(11, 12), False),  # a dotted pair alone that is a valid day.month is a date
    ("22/11", d(22), False),  # today counts as "not yet passed"
    ("20/11", d(20, 11, 2027), False),  # 20/11 has passed this year → next year
    ("5/1", d(5, 1, 2027), False),
    ("29/02/2028", d(29, 2, 2028), True),  # leap day
    ("29/02", d(29, 2, 2028), False),  # no year: waits for the next leap year
    ("ngày 26/11", d(26), False),
    # relative words
    ("hôm nay", d(22), False),
    ("nay", d(22), False),
    ("today", d(22), False),
    ("mai", d(23), False),
    ("ngày mai", d(23), False),
    ("tomorrow", d(23), False),
    ("mốt", d(24), False),
    ("ngày mốt", d(24), False),
    ("ngày kia", d(24), False),
    ("day after tomorrow", d(24), False),
    # bare weekdays: the next occurrence after today (Sunday 22/11)
    ("thứ 2", d(23), False),  # Monday 23/11
    ("thứ hai", d(23), False),
    ("t2", d(23), False),
    ("monday", d(23), False),
    ("mon", d(23), False),
    ("thứ 3", d(24), False),
    ("thứ ba", d(24), False),
    ("tue", d(24), False),
    ("thứ tư", d(25), False),
    ("wednesday", d(25), False),
    ("thứ 5", d(26), False),  # Thursday 26/11
    ("thứ năm", d(26), False),
    ("thursday", d(26), False),
    ("thu", d(26), False),  # "thu" alone is English; "thứ" needs a number after it
    ("thứ 6", d(27), False),
    ("thứ sáu", d(27), False),
    ("fri", d(27), False),
    ("thứ 7", d(28), False),
    ("thứ bảy", d(28), False),
    ("T7", d(28), False),
    ("saturday", d(28), False),
    ("chủ nhật", d(29), False),  # today is Sunday → next Sunday, never today
    ("CN", d(29), False),
    ("sun", d(29), False),
    # weekday in the next Monday-based week (Mon 23 – Sun 29)
    ("thứ 5 tuần sau", d(26), False),  # from Sunday 22/11 → Thursday 26/11
    ("thứ năm tuần tới", d(26), False),
    ("thursday next week", d(26), False),
    ("next monday", d(23), False),  # the Monday of next week
    ("next sunday", d(29), False),
    ("chủ nhật tuần sau", d(29), False),
    ("thứ sáu tuần sau", d(27), False),  # "sáu" (six) and "sau" (next) both fold to "sau"
    ("CN tuần này", d(22), False),  # this week's Sunday is today
    # day of month alone
    ("ngày 26", d(26), False),  # this month, not yet past
    ("26", d(26), False),
    ("ngày 22", d(22), False),  # today
    ("ngày 20", d(20, 12), False),  # passed this month → December
    ("31", d(31, 12), False),  # November has no 31st → 31 December
    ("5 tháng sau", d(5, 12), False),  # the 5th of next month
    # Vietnamese words
    ("ngày 26 tháng 11", d(26), False),
    ("26 tháng 11 năm 2026", d(26), True),
    ("26 tháng 11 năm 26", d(26), True),
    ("tháng 11 ngày 26", d(26), False),
    ("2 tháng 1", d(2, 1, 2027), False),  # passed this year → next year
    # English month names
    ("26 Nov", d(26), False),
    ("Nov 26", d(26), False),
    ("November 26, 2026", d(26), True),
    ("26th of November", d(26), False),
    ("3 Jan 2027", d(3, 1, 2027), True),
    # weekday beside a date, agreeing with it (26/11/2026 is a Thursday)
    ("thứ 5, 26/11", d(26), False),
    ("thứ năm ngày 26/11/2026", d(26), True),
    ("T5 26.11", d(26), False),
    # filler words and noise
    ("vào thứ 5", d(26), False),
    ("  Ngày   MAI ", d(23), False),
]


@pytest.mark.parametrize(("text", "day", "explicit"), DAYS, ids=[case[0] for case in DAYS])
def test_parse_day(text: str, day: date, explicit: bool) -> None:
    assert parse_day(text, now=NOW, tz=HCM) == ParsedDate(day, explicit)
    assert parse_when(text, now=NOW, tz=HCM) == (ParsedDate(day, explicit), None)


@pytest.mark.parametrize(("text", "day", "explicit"), DAYS, ids=[case[0] for case in DAYS])
def test_parse_day_nfd_upper_and_unaccented(text: str, day: date, explicit: bool) -> None:
    expected = ParsedDate(day, explicit)
    assert parse_day(unicodedata.normalize("NFD", text.upper()), now=NOW, tz=HCM) == expected
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)
    )
    assert parse_day(stripped, now=NOW, tz=HCM) == expected


TIMES = [
    ("19:30", 19, 30),
    ("19h30", 19, 30),
    ("19h", 19, 0),
    ("19H", 19, 0),
    ("19g30", 19, 30),
    ("7 giờ 30 phút", 7, 30),
    ("0h", 0, 0),
    ("07:05", 7, 5),
    ("7h tối", 19, 0),  # tối: 6–11 → +12
    ("7 giờ tối", 19, 0),
    ("7h30 tối", 19, 30),
    ("7 rưỡi tối", 19, 30),  # rưỡi = half past
    ("7h rưỡi", 7, 30),
    ("19h tối", 19, 0),  # already 24-hour and in the evening
    ("tối 7h", 19, 0),
    ("8h sáng", 8, 0),  # sáng keeps 0–11
    ("sáng 8h", 8, 0),
    ("2h chiều", 14, 0),  # chiều: 1–6 → +12
    ("5h chiều", 17, 0),
    ("12h trưa", 12, 0),
    ("1h trưa", 13, 0),
    ("12h đêm", 0, 0),  # midnight: 00:00, the start of the day it is given with
    ("11h đêm", 23, 0),
    ("7pm", 19, 0),
    ("7 PM", 19, 0),
    ("7:30 pm", 19, 30),
    ("7.30pm", 19, 30),
    ("7 p.m.", 19, 0),
    ("12am", 0, 0),
    ("12pm", 12, 0),
    ("19.30", 19, 30),
    ("noon", 12, 0),
    ("12 noon", 12, 0),
    ("midnight", 0, 0),
    ("lúc 19h30", 19, 30),
    ("at 7pm", 19, 0),
    ("19", 19, 0),  # parse_time only: a lone number is an hour on the 24-hour clock
]


@pytest.mark.parametrize(("text", "hour", "minute"), TIMES, ids=[case[0] for case in TIMES])
def test_parse_time(text: str, hour: int, minute: int) -> None:
    assert parse_time(text) == ParsedTime(hour, minute)
    assert parse_time(unicodedata.normalize("NFD", text.upper())) == ParsedTime(hour, minute)


@pytest.mark.parametrize(
    ("text", "day", "time"),
    [
        ("thứ 5 tuần sau lúc 19h30", d(26), (19, 30)),  # Sunday 22/11 → Thursday 26/11
        ("19h30 thứ năm tuần sau", d(26), (19, 30)),
        ("mai 7h tối", d(23), (19, 0)),
        ("tối mai 7h", d(23), (19, 0)),
        ("sáng mai lúc 8h", d(23), (8, 0)),
        ("26/11 lúc 19:30", d(26), (19, 30)),
        ("26/11 19:30", d(26), (19, 30)),
        ("19:30 26/11", d(26), (19, 30)),
        ("tomorrow at 7:30pm", d(23), (19, 30)),
        ("tomorrow 7:30 pm", d(23), (19, 30)),
        ("next monday 7pm", d(23), (19, 0)),
        ("tối thứ 5 lúc 7h30", d(26), (19, 30)),
        ("26 tháng 11 lúc 7 giờ tối", d(26), (19, 0)),
        ("vào lúc 19h30 ngày 26/11", d(26), (19, 30)),
        ("ngày 26 lúc 19h", d(26), (19, 0)),  # a lone day number beside a time
        ("mai 8.05", d(23), (8, 5)),  # "8.05" as 8 May leaves "mai" unexplained → a time
        ("mai 12h trưa", d(23), (12, 0)),
    ],
)
def test_parse_when_day_and_time(text: str, day: date, time: tuple[int, int]) -> None:
    assert parse_when(text, now=NOW, tz=HCM) == (ParsedDate(day, False), ParsedTime(*time))
    decomposed = unicodedata.normalize("NFD", text)
    assert parse_when(decomposed, now=NOW, tz=HCM) == (ParsedDate(day, False), ParsedTime(*time))


@pytest.mark.parametrize(
    ("text", "time"),
    [("19h30", (19, 30)), ("7 rưỡi tối", (19, 30)), ("8.05 sáng", (8, 5)), ("noon", (12, 0))],
)
def test_parse_when_time_only(text: str, time: tuple[int, int]) -> None:
    assert parse_when(text, now=NOW, tz=HCM) == (None, ParsedTime(*time))


@pytest.mark.parametrize(
    "text", ["26/11/2026 19h", "November 26, 2026 7 pm", "19h, thứ Năm 26/11/2026"]
)
def test_explicit_year_reported_by_parse_when(text: str) -> None:
    assert parse_when(text, now=NOW, tz=HCM) == (ParsedDate(d(26), True), ParsedTime(19, 0))


ERRORS = [
    ("", "empty"),
    ("   ", "empty"),
    ("x" * 101, "too_long"),
    ("thứ 5 " * 40, "too_long"),
    ("xyz", "unknown"),
    ("tuần sau", "unknown"),
    ("thứ 8", "unknown"),
    ("thứ 5 tuần sau họp chi bộ", "unknown"),  # extra words are not silently dropped
    ("thứ 7 tối", "unknown"),  # a period of the day with no hour
    ("mai 7", "unknown"),  # a lone number beside a date is not an hour in parse_when
    ("31/02", "no_such_day"),
    ("30/02/2027", "no_such_day"),
    ("29/02/2027", "no_such_day"),  # 2027 is not a leap year
    ("31/04", "no_such_day"),
    ("13/13", "no_such_day"),
    ("ngày 31 tháng 4", "no_such_day"),
    ("ngày 32", "no_such_day"),
    ("ngày 0", "no_such_day"),
    ("30.02 19h", "no_such_day"),
    ("25:00", "bad_time"),
    ("24:30", "bad_time"),
    ("24:00", "bad_time"),  # say 00:00 of the next day
    ("19:60", "bad_time"),
    ("19:75", "bad_time"),
    ("13h sáng", "bad_time"),
    ("5h tối", "bad_time"),  # tối is 6–11
    ("13pm", "bad_time"),
    ("mai 25:00", "bad_time"),
    ("26/11/2025", "past"),
    ("21/11/2026", "past"),
    ("thứ 5 tuần này", "past"),  # Thursday 19/11, this week
    ("26/11/2029", "too_far"),  # more than two years after 22/11/2026
    ("thứ 6 26/11", "weekday_mismatch"),  # 26/11/2026 is a Thursday
    ("thứ 6 tuần sau 26/11", "weekday_mismatch"),
]


@pytest.mark.parametrize(("text", "reason"), ERRORS, ids=[f"{c[0][:20]}-{c[1]}" for c in ERRORS])
def test_parse_when_errors(text: str, reason: str) -> None:
    with pytest.raises(DateTextError) as caught:
        parse_when(text, now=NOW, tz=HCM)
    assert caught.value.reason == reason
    assert len(caught.value.value) <= 100


def test_error_carries_the_cleaned_text_and_the_day() -> None:
    with pytest.raises(DateTextError) as caught:
        parse_day(unicodedata.normalize("NFD", "  thứ 5   tuần này "), now=NOW, tz=HCM)
    assert caught.value.value == "thứ 5 tuần này"
    assert caught.value.day == d(19)
    with pytest.raises(DateTextError) as caught:
        parse_day("26/11/2029", now=NOW, tz=HCM)
    assert (caught.value.reason, caught.value.day) == ("too_far", d(26, 11, 2029))


def test_too_far_boundary_is_two_years_to_the_day() -> None:
    assert parse_day("22/11/2028", now=NOW, tz=HCM) == ParsedDate(d(22, 11, 2028), True)
    with pytest.raises(DateTextError, match="too_far"):
        parse_day("23/11/2028", now=NOW, tz=HCM)


def test_huge_input_is_too_long_without_parsing() -> None:
    with pytest.raises(DateTextError) as caught:
        parse_when("26/11 " * 10_000, now=NOW, tz=HCM)
    assert caught.value.reason == "too_long"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("abc", "unknown"), ("26/11", "unknown"), ("25:00", "bad_time"),
     ("24", "bad_time"), ("7h chiều", "bad_time"), ("tối 8h sáng", "unknown")],
)  # fmt: skip
def test_parse_time_errors(text: str, reason: str) -> None:
    with pytest.raises(DateTextError) as caught:
        parse_time(text)
    assert caught.value.reason == reason


def test_parse_day_rejects_a_time() -> None:
    with pytest.raises(DateTextError) as caught:
        parse_day("26/11 19h", now=NOW, tz=HCM)
    assert caught.value.reason == "unknown"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_day("mai", now=datetime(2026, 11, 22, 10, 0), tz=HCM)  # noqa: DTZ001


# --- the day is the cell's, not UTC's ---------------------------------------------------------


def test_mai_just_after_local_midnight_is_the_next_local_day() -> None:
    now = datetime(2026, 11, 22, 0, 5, tzinfo=HCM)  # still 21/11 in UTC (17:05)
    assert now.astimezone(UTC).date() == d(21)
    assert parse_day("mai", now=now, tz=HCM).day == d(23)


def test_mai_just_before_local_midnight() -> None:
    now = datetime(2026, 11, 21, 16, 59, tzinfo=UTC)  # 23:59 on 21/11 in Hà Nội
    assert now.astimezone(HCM).hour == 23
    assert parse_day("mai", now=now, tz=HCM).day == d(22)
    assert parse_day("hôm nay", now=now, tz=HCM).day == d(21)


def test_today_follows_the_zone() -> None:
    now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # 23/11 03:00 in Hà Nội, a Monday
    assert parse_day("hôm nay", now=now, tz=HCM).day == d(23)
    assert parse_day("thứ 2", now=now, tz=HCM).day == d(30)  # Monday today → next Monday
    assert parse_day("today", now=now, tz=BERLIN).day == d(22)


# --- combine ----------------------------------------------------------------------------------


def test_combine_returns_utc() -> None:
    instant = combine(d(26), ParsedTime(19, 30), HCM)
    assert instant == datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    assert instant.utcoffset() == timedelta(0)


def test_combine_moves_a_time_in_the_spring_gap_forward() -> None:
    # 28/03/2027 in Berlin: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist.
    instant = combine(d(28, 3, 2027), ParsedTime(2, 30), BERLIN)
    assert instant == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    local = instant.astimezone(BERLIN)
    assert (local.hour, local.minute) == (3, 30)


def test_combine_takes_the_first_of_an_ambiguous_time() -> None:
    # 25/10/2026 in Berlin: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice.
    instant = combine(d(25, 10, 2026), ParsedTime(2, 30), BERLIN)
    assert instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not CET
    assert instant.astimezone(BERLIN).utcoffset() == timedelta(hours=2)


# --- suggestions ------------------------------------------------------------------------------


def test_suggested_days_start_tomorrow_in_the_zone() -> None:
    assert suggested_days(now=NOW, tz=HCM) == [d(23), d(24), d(25), d(26), d(27), d(28)]
    late = datetime(2026, 11, 21, 17, 30, tzinfo=UTC)  # 00:30 on 22/11 in Hà Nội
    assert suggested_days(now=late, tz=HCM, count=2) == [d(23), d(24)]


def test_suggested_times() -> None:
    assert [str(t) for t in SUGGESTED_TIMES] == [
        "07:30", "08:00", "14:00", "17:00", "19:00", "19:30", "20:00"
    ]  # fmt: skip
    assert all(parse_time(str(t)) == t for t in SUGGESTED_TIMES)


def test_parsed_time_rejects_impossible_values() -> None:
    with pytest.raises(ValueError, match="not a time"):
        ParsedTime(24, 0)


# --- a day and month already past this year; the end of the month --------------------------

# Wednesday 02/12/2026, 10:00 in Hà Nội.
DEC_2 = datetime(2026, 12, 2, 10, 0, tzinfo=HCM)


@pytest.mark.parametrize("text", ["26/11", "26.11", "26 tháng 11", "Nov 26", "26th of November"])
def test_a_day_month_past_this_year_says_so(text: str) -> None:
    found = parse_day(text, now=DEC_2, tz=HCM)
    assert (found.day, found.explicit_year, found.passed) == (d(26, 11, 2027), False, d(26, 11))


def test_a_time_with_a_past_day_month_is_kept() -> None:
    day, at = parse_when("26/11 19h30", now=DEC_2, tz=HCM)
    assert day is not None
    assert (day.day, day.passed, at) == (d(26, 11, 2027), d(26, 11), ParsedTime(19, 30))


@pytest.mark.parametrize(
    "text",
    [
        "5/12",  # still ahead this year
        "2/12",  # today
        "26/11/2027",  # the year was typed
        "mai",
        "thứ 2",
        "1",  # a lone day of month moves to next month, not to next year's same day
        "5/1",  # passed 11 months ago: plainly next January, nothing to ask
        "29/02",  # 2028 is the next 29 February: nothing this year to offer instead
    ],
)
def test_nothing_passed_when_the_day_was_not_moved_to_next_year(text: str) -> None:
    assert parse_day(text, now=DEC_2, tz=HCM).passed is None


def test_a_typed_year_in_the_past_is_still_refused() -> None:
    with pytest.raises(DateTextError) as info:
        parse_day("26/11/2026", now=DEC_2, tz=HCM)
    assert (info.value.reason, info.value.day) == ("past", d(26, 11))


@pytest.mark.parametrize(
    ("text", "now", "day"),
    [
        ("cuối tháng", DEC_2, d(31, 12)),
        ("Cuối Tháng Này", DEC_2, d(31, 12)),
        ("cuoi thang sau", DEC_2, d(31, 1, 2027)),
        ("ngày cuối tháng tới", NOW, d(31, 12)),
        ("cuối tháng", NOW, d(30, 11)),  # November has 30 days
        ("end of the month", NOW, d(30, 11)),
        ("end of next month", datetime(2027, 1, 10, 9, tzinfo=HCM), d(28, 2, 2027)),
        ("cuối tháng", datetime(2026, 11, 30, 22, tzinfo=HCM), d(30, 11)),  # today is the end
    ],
)
def test_the_end_of_the_month(text: str, now: datetime, day: date) -> None:
    assert parse_day(text, now=now, tz=HCM) == ParsedDate(day, False)


def test_the_end_of_the_month_with_a_time() -> None:
    assert parse_when("cuối tháng lúc 19h30", now=DEC_2, tz=HCM) == (
        ParsedDate(d(31, 12), False),
        ParsedTime(19, 30),
    )
