from datetime import UTC, date, datetime

import pytest

from bot.i18n import DEFAULT_LOCALE, N_, normalise_locale, translator

CANCELLED = "Cancelled. Nothing was changed."
# 17:30 UTC on the 22nd is 00:30 on the 23rd in Vietnam (UTC+7): the date rolls over.
LATE_EVENING_UTC = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)


def test_vietnamese_catalogue_translates() -> None:
    text = translator("vi").gettext(CANCELLED)
    assert text != CANCELLED
    assert "thoát" in text.lower()


def test_english_returns_english() -> None:
    assert translator("en").gettext(CANCELLED) == CANCELLED


def test_unknown_message_falls_back_to_the_msgid() -> None:
    assert translator("vi").gettext("No such message in any catalogue") == (
        "No such message in any catalogue"
    )


@pytest.mark.parametrize("locale", ["fr", "zz", "", None, "xx-YY"])
def test_unknown_locale_falls_back_to_vietnamese(locale: str | None) -> None:
    assert normalise_locale(locale) == DEFAULT_LOCALE == "vi"
    t = translator(locale)
    assert t.locale == "vi"
    assert t.gettext(CANCELLED) == translator("vi").gettext(CANCELLED)


@pytest.mark.parametrize(
    ("given", "expected"), [("en-US", "en"), ("EN_gb", "en"), ("vi-VN", "vi")]
)
def test_locale_tags_are_shortened(given: str, expected: str) -> None:
    assert normalise_locale(given) == expected


def test_gettext_fills_placeholders_after_translating() -> None:
    msgid = "This group is already linked to {name}."
    vi = translator("vi").gettext(msgid, name="Chi bộ Văn phòng")
    en = translator("en").gettext(msgid, name="Chi bộ Văn phòng")
    assert en == "This group is already linked to Chi bộ Văn phòng."
    assert "Chi bộ Văn phòng" in vi
    assert "{name}" not in vi
    assert vi != en


def test_placeholder_values_are_not_reformatted() -> None:
    # A user-typed value containing braces is inserted as-is, not parsed as a template.
    text = translator("en").gettext("This group is already linked to {name}.", name="{x} {0}")
    assert text == "This group is already linked to {x} {0}."


def test_n_marker_returns_its_argument() -> None:
    assert N_(CANCELLED) == CANCELLED


def test_date_text_uses_the_cell_zone_and_rolls_over() -> None:
    vi = translator("vi", "Asia/Ho_Chi_Minh")
    assert vi.date_text(LATE_EVENING_UTC) == "23/11/2026"
    assert vi.time_text(LATE_EVENING_UTC) == "00:30"
    assert "23/11/2026" in vi.datetime_text(LATE_EVENING_UTC)
    assert "00:30" in vi.datetime_text(LATE_EVENING_UTC)
    assert "22/11" not in vi.datetime_text(LATE_EVENING_UTC)


def test_same_instant_in_utc_zone_keeps_its_date() -> None:
    t = translator("vi", "UTC")
    assert t.date_text(LATE_EVENING_UTC) == "22/11/2026"
    assert t.time_text(LATE_EVENING_UTC) == "17:30"


def test_english_dates() -> None:
    en = translator("en", "Asia/Ho_Chi_Minh")
    assert en.date_text(LATE_EVENING_UTC) == "23 Nov 2026"
    assert "23 Nov 2026" in en.datetime_text(LATE_EVENING_UTC)
    assert "00:30" in en.datetime_text(LATE_EVENING_UTC)


def test_plain_date_is_not_shifted() -> None:
    assert translator("vi").date_text(date(2026, 1, 2)) == "02/01/2026"


@pytest.mark.parametrize(
    ("locale", "value", "expected"),
    [("vi", 1234, "1.234"), ("en", 1234, "1,234"), ("vi", 1234567, "1.234.567"), ("en", 7, "7")],
)
def test_numbers(locale: str, value: int, expected: str) -> None:
    assert translator(locale).number(value) == expected


def test_ngettext_formats_n_in_the_locale() -> None:
    en = translator("en")
    assert en.ngettext("{n} comrade", "{n} comrades", 1) == "1 comrade"
    assert en.ngettext("{n} comrade", "{n} comrades", 2) == "2 comrades"
    assert en.ngettext("{n} comrade", "{n} comrades", 1234) == "1,234 comrades"

    vi = translator("vi")
    one = vi.ngettext("{n} comrade", "{n} comrades", 1)
    many = vi.ngettext("{n} comrade", "{n} comrades", 1234)
    assert one.startswith("1 ")
    assert many.startswith("1.234 ")
    assert "comrade" not in one
    assert "{n}" not in many


def test_ngettext_of_an_unknown_message_still_formats_n() -> None:
    t = translator("vi")
    assert t.ngettext("{n} apple", "{n} apples", 3) == "3 apples"
    assert t.ngettext("{n} apple", "{n} apples", 1) == "1 apple"
