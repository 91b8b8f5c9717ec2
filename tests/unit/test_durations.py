"""Lengths of time as people type them (meeting durations, reminder offsets)."""

from __future__ import annotations

import pytest

from bot.durations import duration_parts, parse_duration
from bot.flows.meeting_steps import DURATION_EXAMPLES
from bot.i18n import translator


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2 tiếng", 120),
        ("2 giờ", 120),
        ("90 phút", 90),
        ("nửa tiếng", 30),
        ("NỬA TIẾNG", 30),
        ("nua tieng", 30),
        ("1 tiếng rưỡi", 90),
        ("một tiếng rưỡi", 90),
        ("hai tiếng", 120),
        ("1 tiếng 30 phút", 90),
        ("1 giờ 30", 90),
        ("1h30", 90),
        ("1,5 giờ", 90),
        ("1 tuần", 7 * 24 * 60),
        ("2 ngày", 2 * 24 * 60),
        ("2 hours", 120),
        ("an hour", 60),
        ("half an hour", 30),
        ("1 week", 7 * 24 * 60),
        ("1.5 hours", 90),
        ("trong 2 tiếng", 120),
    ],
)
def test_parse_duration(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text",
    ["", "2", "tiếng", "2 tiếng nữa", "bad", "hai mươi phút", "2 phút 30", "1h75", "1,25 phút"],
)
def test_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


def test_parts_stay_apart_for_reminders() -> None:
    assert duration_parts("3 ngày, 1 ngày và 2 giờ trước") == [3 * 24 * 60, 24 * 60, 120]
    assert duration_parts("1 tuần, 1 tiếng rưỡi") == [7 * 24 * 60, 90]


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_length_examples_shown_read_back(locale: str) -> None:
    t = translator(locale)
    examples = t.gettext(DURATION_EXAMPLES).split(", ")
    assert [parse_duration(example) for example in examples] == [120, 90, 90]
