"""Examples of how to type a day are computed from today, in the reader's language, and each
one reads back as a day that is not past."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.date_examples import (
    date_error_text,
    day_examples,
    example_within,
    passed_refusal,
    time_error_text,
    understood_text,
)
from bot.datetext import ParsedTime, parse_day, parse_time
from bot.i18n import translator

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("locale", "today", "expected"),
    [
        ("vi", date(2026, 12, 2), "12/12, 12/12/2026, mai, thứ 5 tuần sau, cuối tháng"),
        ("vi", date(2026, 12, 28), "7/1, 7/1/2027, mai, thứ 5 tuần sau, cuối tháng"),
        (
            "en",
            date(2026, 12, 2),
            "12 Dec, 12 Dec 2026, tomorrow, next Thursday, end of the month",
        ),
    ],
)
def test_day_examples_follow_today(locale: str, today: date, expected: str) -> None:
    assert day_examples(translator(locale), today) == expected


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("today", [date(2026, 12, 2), date(2027, 2, 25), date(2028, 12, 31)])
def test_every_example_reads_back_as_a_day_ahead(locale: str, today: date) -> None:
    now = datetime(today.year, today.month, today.day, 10, tzinfo=HCM)
    for example in day_examples(translator(locale), today).split(", "):
        found = parse_day(example, now=now, tz=HCM)
        assert found.day >= today, example  # "cuối tháng" on the last day is today
        assert found.passed is None, example


def test_refusals_say_how_to_type_a_day_from_today() -> None:
    t = translator("vi")
    assert date_error_text(t, "unknown", date(2026, 12, 2)) == (
        "Tôi chưa hiểu ngày này. Đồng chí gõ ví dụ 12/12, 12/12/2026, mai, thứ 5 tuần sau, "
        "cuối tháng."
    )
    english = date_error_text(translator("en"), "empty", date(2026, 12, 2))
    assert english == (
        "Please type a day. Type for example 12 Dec, 12 Dec 2026, tomorrow, next Thursday, "
        "end of the month."
    )
    # A refusal that is not about the wording has no examples.
    assert date_error_text(t, "past", date(2026, 12, 2)) == (
        "Ngày này đã qua. Đồng chí hãy chọn ngày sau."
    )


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_time_refusals_give_times_that_read_back(locale: str) -> None:
    text = time_error_text(translator(locale), "unknown")
    lead = {
        "vi": "Tôi chưa hiểu giờ này. Đồng chí gõ ví dụ ",
        "en": "I could not understand that time. Type for example ",
    }[locale]
    assert text.startswith(lead)
    examples = text.removeprefix(lead).removesuffix(".").split(", ")
    assert len(examples) == {"vi": 3, "en": 2}[locale]
    for example in examples:
        assert parse_time(example) == ParsedTime(19, 30), example


def test_understood_text_in_both_languages() -> None:
    day = date(2026, 12, 10)
    assert understood_text(translator("vi"), day, ParsedTime(19, 30)) == (
        "Ngày đã hiểu: Thứ Năm, 10/12/2026 lúc 19:30."
    )
    assert understood_text(translator("en"), day, None) == "Day understood: Thursday, 10 Dec 2026."


@pytest.mark.parametrize(
    ("today", "first", "last", "expected"),
    [
        (date(2026, 12, 2), date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 12)),
        (date(2026, 12, 28), date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 31)),
        (date(2026, 12, 2), date(2027, 1, 1), date(2027, 12, 31), date(2027, 1, 1)),
        (date(2027, 3, 1), date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 31)),
    ],
)
def test_an_example_within_a_period(today: date, first: date, last: date, expected: date) -> None:
    assert example_within(today, first, last) == expected


def test_a_day_month_just_past_is_refused_where_the_form_does_not_ask() -> None:
    now = datetime(2026, 12, 2, 10, tzinfo=HCM)
    moved = parse_day("26/11", now=now, tz=HCM)
    assert passed_refusal(translator("en"), moved) == (
        "26 Nov 2026 has already passed. If you mean 26 Nov 2027, type the year too."
    )
    assert passed_refusal(translator("vi"), parse_day("26/11/2027", now=now, tz=HCM)) is None
    assert passed_refusal(translator("vi"), None) is None
