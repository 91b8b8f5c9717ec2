"""A series' RRULE (what a phone calendar repeats) gives the same dates as the tick makes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import vRecur

from bot.models import MeetingSeries, Recurrence
from bot.services.meetings import next_occurrence
from bot.services.series import rrule

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")


def _tick_dates(series: MeetingSeries, tz: ZoneInfo, count: int) -> list[datetime]:
    found: list[datetime] = []
    after = datetime(2026, 12, 1, tzinfo=tz)
    for _ in range(count):
        after = next_occurrence(series, after, tz)
        found.append(after)
    return found


def _rule_dates(
    series: MeetingSeries, tz: ZoneInfo, first: datetime, count: int
) -> list[datetime]:
    hour, minute = (int(p) for p in series.local_time.split(":"))
    parts = {**rrule(series), "BYHOUR": hour, "BYMINUTE": minute}
    text = vRecur(parts).to_ical().decode()
    dates = rrulestr(text, dtstart=first.astimezone(tz), cache=False)
    return [d.astimezone(UTC) for d in list(dates)[:count]]  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("fields", "tz"),
    [
        ({"recurrence": Recurrence.MONTHLY_DAY, "day_of_month": 15}, HCM),
        ({"recurrence": Recurrence.MONTHLY_DAY, "day_of_month": 31}, HCM),
        ({"recurrence": Recurrence.MONTHLY_DAY, "day_of_month": 30}, HCM),
        ({"recurrence": Recurrence.MONTHLY_DAY, "day_of_month": 29}, HCM),
        ({"recurrence": Recurrence.MONTHLY_WEEKDAY, "weekday": 3, "nth": 2}, HCM),
        ({"recurrence": Recurrence.MONTHLY_WEEKDAY, "weekday": 4, "nth": -1}, HCM),
        # Across the clock changes: the wall-clock time is kept.
        ({"recurrence": Recurrence.MONTHLY_WEEKDAY, "weekday": 0, "nth": 1}, BERLIN),
    ],
)
def test_the_rule_repeats_on_the_dates_the_tick_makes(fields: dict, tz: ZoneInfo) -> None:
    series = MeetingSeries(org_id=1, local_time="19:30", **fields)
    made = _tick_dates(series, tz, 14)
    assert _rule_dates(series, tz, made[0], 14) == [d.astimezone(UTC) for d in made]


def test_an_ended_series_repeats_until_it_ended() -> None:
    ended = datetime(2027, 3, 1, tzinfo=UTC)
    series = MeetingSeries(
        org_id=1,
        recurrence=Recurrence.MONTHLY_DAY,
        day_of_month=15,
        local_time="19:30",
        ended_at=ended,
    )
    made = _tick_dates(series, HCM, 6)
    dates = _rule_dates(series, HCM, made[0], 6)
    assert [d.month for d in dates] == [12, 1, 2]
