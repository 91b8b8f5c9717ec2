"""The cell's settings screen (/caidat): each setting with its "✏️" button."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, Translator
from bot.models import Organisation
from bot.models.commitments import Cadence
from bot.render_commitments import cadence_label
from bot.render_meetings import offsets_text
from bot.services.cell_settings import default_offsets
from bot.services.digest_schedule import next_digest_at
from bot.text import escape
from bot.ui import Button, Screen, choice

WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def weekday_label(t: Translator, weekday: int) -> str:
    """Returns the localized name of a weekday (Monday = 0)."""
    return t.gettext(WEEKDAYS[weekday])


def digest_setting(t: Translator, org: Organisation, now: datetime) -> str:
    """Says when the weekly digest goes out, and when next."""
    if not org.digest_enabled:
        return t.gettext("off")
    following = next_digest_at(org, now)
    text = t.gettext(
        "every {weekday} at {time}",
        weekday=weekday_label(t, org.digest_weekday),
        time=org.digest_time,
    )
    if following is not None:
        text += " " + t.gettext("(next: {when})", when=t.datetime_text(following))
    return text


def settings_screen(t: Translator, org: Organisation, now: datetime, note: str = "") -> Screen:
    """Returns the summary of the cell's settings with a "✏️" button per setting."""
    lines = [note, ""] if note else []
    lines += [
        t.gettext("⚙️ <b>Settings of {cell}</b>", cell=escape(org.name)),
        t.gettext("🌏 Time zone: {zone}", zone=escape(org.timezone)),
        t.gettext(
            "⏰ Reminders of new meetings: {offsets}",
            offsets=offsets_text(t, default_offsets(org)),
        ),
        t.gettext("📰 Weekly digest: {when}", when=digest_setting(t, org, now)),
        t.gettext(
            "🗣 Language of new members: {language}",
            language=LANGUAGES.get(org.locale, org.locale),
        ),
        t.gettext(
            "📊 Check-ins of new registrations: {cadence}",
            cadence=cadence_label(t, Cadence(org.checkin_cadence)),
        ),
    ]
    org_id = org.id or 0
    keyboard = [
        [Button(t.gettext("✏️ Time zone"), data=choice("cs", org_id, "timezone"))],
        [Button(t.gettext("✏️ Reminders"), data=choice("cs", org_id, "reminders"))],
        [Button(t.gettext("✏️ Weekly digest"), data=choice("cs", org_id, "digest"))],
        [Button(t.gettext("✏️ Language"), data=choice("cs", org_id, "language"))],
        [Button(t.gettext("✏️ Check-ins"), data=choice("cs", org_id, "cadence"))],
    ]
    return Screen("\n".join(lines), keyboard)
