"""A study campaign's participation as a spreadsheet: one row per member with when they read,
when they submitted, the reflection's length and text."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.i18n import Translator
from bot.models import Organisation
from bot.services.study import Participation

_WIDTHS = (6, 28, 18, 18, 18, 10, 30, 80)


def participation_xlsx(t: Translator, found: Participation, org: Organisation) -> bytes:
    """Returns the participation as an .xlsx file's bytes; times in the cell's zone."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t.gettext("Study")[:31]
    sheet.append([" ".join(found.announcement.text.split())[:200]])
    sheet.append([org.name])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [
            t.gettext("No."),
            t.gettext("Full name"),
            t.gettext("Read"),
            t.gettext("Submitted"),
            t.gettext("Last changed"),
            t.gettext("Length"),
            t.gettext("File"),
            t.gettext("Reflection"),
        ]
    )
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for number, person in enumerate(found.people, start=1):
        submission = person.submission
        sheet.append(
            [
                number,
                person.name,
                t.datetime_text(person.read_at) if person.read_at else "",
                t.datetime_text(submission.submitted_at) if submission else "",
                t.datetime_text(submission.updated_at) if submission else "",
                len(submission.text) if submission else None,
                submission.file_name or "" if submission else "",
                submission.text if submission else "",
            ]
        )
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
