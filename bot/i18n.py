"""Translations per locale (loaded from the committed .po files) and Babel formatting helpers."""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"


def N_(message: str) -> str:
    """Marks a message for extraction without translating it (translate it where shown)."""
    return message


@cache
def _catalog(locale: str) -> gettext.NullTranslations:
    # The .po files are the single source: compiled in memory so dev, tests and production
    # all read exactly what is committed, with no stale .mo lying around.
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def normalise_locale(locale: str | None) -> str:
    """Returns a supported locale for `locale` (falls back to Vietnamese)."""
    if locale:
        short = locale.split("-")[0].split("_")[0].lower()
        if short in LOCALES:
            return short
    return DEFAULT_LOCALE


class Translator:
    """Translates messages and formats dates, times and numbers for one locale and time zone."""

    def __init__(
        self, locale: str, timezone: str = "Asia/Ho_Chi_Minh", *, group: bool = False
    ) -> None:
        self.locale = normalise_locale(locale)
        self.tz = ZoneInfo(timezone)
        # Whether the text goes to a group: it then addresses the comrades ("Các đồng chí
        # vui lòng…"), in a private chat the one person ("Đồng chí vui lòng…").
        self.group = group
        self._translations = _catalog(self.locale)

    def gettext(self, message: str, **params: object) -> str:
        """Returns `message` translated, with `{name}` placeholders filled from `params`."""
        text = self._translations.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        """Returns the plural form for `n` translated; `{n}` is always available."""
        text = self._translations.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **params)

    def number(self, value: int | float) -> str:
        """Formats a number for the locale (1.234 in Vietnamese, 1,234 in English)."""
        return format_decimal(value, locale=self.locale)

    def datetime_text(self, instant: datetime) -> str:
        """Formats an instant in the zone as the locale writes it (e.g. 19:30 26/11/2026)."""
        local = instant.astimezone(self.tz)
        if self.locale == "vi":
            return format_datetime(local, "HH:mm dd/MM/yyyy", tzinfo=self.tz, locale="vi")
        return format_datetime(local, "d MMM yyyy, HH:mm", tzinfo=self.tz, locale=self.locale)

    def date_text(self, day: date | datetime) -> str:
        """Formats a date (an instant is first moved into the zone)."""
        if isinstance(day, datetime):
            day = day.astimezone(self.tz).date()
        if self.locale == "vi":
            return format_date(day, "dd/MM/yyyy", locale="vi")
        return format_date(day, "d MMM yyyy", locale=self.locale)

    def weekday_date_text(self, instant: datetime) -> str:
        """Formats the local day with its weekday (Thứ Năm, 26/11/2026 · Thursday, 26 Nov 2026)."""
        local = instant.astimezone(self.tz)
        return f"{format_date(local.date(), 'EEEE', locale=self.locale)}, {self.date_text(local)}"

    def when_text(self, instant: datetime) -> str:
        """Formats a meeting time the way a notice says it (19:30, Thứ Năm, 26/11/2026)."""
        return f"{self.time_text(instant)}, {self.weekday_date_text(instant)}"

    def time_text(self, instant: datetime) -> str:
        """Formats the time of day of an instant in the zone."""
        return format_time(
            instant.astimezone(self.tz), "HH:mm", tzinfo=self.tz, locale=self.locale
        )


def translator(
    locale: str | None, timezone: str = "Asia/Ho_Chi_Minh", *, group: bool = False
) -> Translator:
    """Returns a Translator for a (possibly unsupported or empty) locale; `group`: for text
    posted in a group (see Translator.group)."""
    return Translator(normalise_locale(locale), timezone, group=group)
