"""What an officer of a đảng bộ sees: the choice of cells, the preview's reach, and the figures
per cell and in total of what they sent — counts only, never names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import N_, Translator
from bot.models import AnnouncementBatch, AnnouncementKind, Organisation
from bot.render import ERROR_MESSAGES
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

if TYPE_CHECKING:
    from bot.services.officers import BatchFigures

OFFICER_ERRORS = {
    "officer_counts_only": N_(
        "Comrade, as an officer of the đảng bộ you see this cell's figures only; the names are "
        "for the cell's own committee. Open /thongbao for the figures per cell."
    ),
    "no_cells_under": N_("No cell is under this đảng bộ yet."),
    "cells_unknown": N_("Please choose cells under this đảng bộ."),
    "officer_name": N_("Please give the officer's full name (at most {limit} characters)."),
}
ERROR_MESSAGES.update(OFFICER_ERRORS)
PERCENT_BAR = 95


def batch_label(t: Translator, batch: AnnouncementBatch, cells: int) -> str:
    """Returns a batch's button in /thongbao: date, start of the text, number of cells."""
    icon = "📖" if batch.kind == AnnouncementKind.STUDY else "🏛"
    line = " ".join(batch.text.split())
    line = line if len(line) <= 28 else line[:27] + "…"
    label = f"{icon} {t.date_text(batch.created_at)} {line}"
    if cells:
        label += " — " + t.ngettext("{n} cell", "{n} cells", cells)
    return label[:64]


def batch_text(t: Translator, org: Organisation, figures: BatchFigures) -> str:
    """Returns the officer's view of what they sent: a line per cell, then the total."""
    batch = figures.batch
    study = batch.kind == AnnouncementKind.STUDY
    head = (
        t.gettext("📖 <b>Study material for the cells</b> — {org}", org=escape(org.name))
        if study
        else t.gettext("🏛 <b>Announcement to the cells</b> — {org}", org=escape(org.name))
    )
    lines = [head, f"<i>{escape(' '.join(batch.text.split())[:120])}</i>", ""]
    for cell in figures.cells:
        percent = t.number(round(cell.rate * 100))
        if study:
            line = t.gettext(
                "• {cell}: delivered {delivered}/{audience} · done {done} ({percent}%)",
                cell=escape(cell.cell),
                delivered=t.number(cell.delivered),
                audience=t.number(cell.audience),
                done=t.number(cell.done),
                percent=percent,
            )
        else:
            line = t.gettext(
                "• {cell}: delivered {delivered}/{audience} · got it {done} ({percent}%)",
                cell=escape(cell.cell),
                delivered=t.number(cell.delivered),
                audience=t.number(cell.audience),
                done=t.number(cell.done),
                percent=percent,
            )
        lines.append(line)
    percent = t.number(round(figures.rate * 100))
    lines += [
        "",
        t.gettext(
            "📊 In total: {done}/{audience} comrades ({percent}%)",
            done=t.number(figures.done),
            audience=t.number(figures.audience),
            percent=percent,
        ),
    ]
    if study:
        lines.append(
            t.gettext("Above the {bar}% bar.", bar=PERCENT_BAR)
            if figures.meets_bar
            else t.gettext("Below the {bar}% bar.", bar=PERCENT_BAR)
        )
    lines.append(
        t.gettext("The names in each cell are for that cell's committee; here only the counts.")
    )
    return "\n".join(lines)


def batch_screen(
    t: Translator, org: Organisation, figures: BatchFigures, note: str = ""
) -> Screen:
    """Returns the officer's view with a refresh and a way back."""
    text = batch_text(t, org, figures)
    if note:
        text = f"{note}\n\n{text}"
    keyboard: Keyboard = [
        [Button(t.gettext("🔄 Refresh"), data=choice("ob", figures.batch.id or 0))],
        [Button(t.gettext("⬅️ Announcements"), data=choice("ab"))],
    ]
    return Screen(text, keyboard)


def sent_note(t: Translator, cells: int, skipped: list[str]) -> str:
    """Returns what sending to the cells did, naming the cells nobody could receive it in."""
    note = t.ngettext("📤 Sent to {n} cell.", "📤 Sent to {n} cells.", cells)
    if skipped:
        note += "\n" + t.gettext(
            "⚠️ Not sent where nobody has joined the bot yet: {cells}",
            cells=", ".join(escape(name) for name in skipped),
        )
    return note
