"""The roll-up's files: the XLSX (one row per cell and a totals row) and the chart (each cell's
attendance against the 85% line and participation against 95%)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.i18n import Translator
from bot.render_rollups import rollup_title
from bot.reports.chart import Panel, render
from bot.services.rollups import ATTENDANCE_BAR, PARTICIPATION_BAR, Rollup

MAX_LABEL = 28  # a cell's name on the chart, cut to stay readable on a phone


def rollup_xlsx(t: Translator, rollup: Rollup) -> bytes:
    """Returns the roll-up as an .xlsx file's bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t.gettext("Cells")
    sheet.append([rollup_title(t, rollup)])
    sheet["A1"].font = Font(bold=True)
    sheet.append([])
    headings = [
        t.gettext("Cell"),
        t.gettext("Members"),
        t.gettext("Meetings held"),
        t.gettext("Attendance (%)"),
        t.gettext("Unexcused"),
        t.gettext("Registered"),
        t.gettext("Expected to register"),
        t.gettext("Participation (%)"),
        t.gettext("Check-in answers (%)"),
        t.gettext("Below the bar"),
    ]
    sheet.append(headings)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    yes, no = t.gettext("yes"), t.gettext("no")
    for line in rollup.lines:
        sheet.append(
            [
                line.cell.name,
                line.members,
                line.held,
                line.attendance,
                line.unexcused,
                line.registered,
                line.expected,
                line.participation,
                line.responses,
                yes if line.below_bar else no,
            ]
        )
    sheet.append(
        [
            t.gettext("Total"),
            rollup.members,
            rollup.held,
            rollup.attendance,
            rollup.unexcused,
            rollup.registered,
            rollup.expected,
            rollup.participation,
            None,
            None,
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 36
    for column in "BCDEFGHIJ":
        sheet.column_dimensions[column].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"


def rollup_chart(t: Translator, rollup: Rollup) -> bytes | None:
    """Returns the roll-up's chart, or None when no cell has figures to draw."""
    panels = []
    attended = [line for line in rollup.lines if line.attendance is not None]
    if attended:
        panels.append(
            Panel(
                title=t.gettext("Attendance"),
                labels=[_label(line.cell.name) for line in attended],
                values=[line.attendance or 0 for line in attended],
                bar=ATTENDANCE_BAR,
                bar_label=t.gettext("{percent}% bar", percent=ATTENDANCE_BAR),
                strict=True,
            )
        )
    registering = [line for line in rollup.lines if line.participation is not None]
    if registering:
        panels.append(
            Panel(
                title=t.gettext("Participation in registration"),
                labels=[_label(line.cell.name) for line in registering],
                values=[line.participation or 0 for line in registering],
                bar=PARTICIPATION_BAR,
                bar_label=t.gettext("{percent}% bar", percent=PARTICIPATION_BAR),
            )
        )
    if not panels:
        return None
    return render(rollup_title(t, rollup), panels, horizontal=True)
