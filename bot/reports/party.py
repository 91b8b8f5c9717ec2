"""What every party document the bot writes shares (domain.md §2.2, §6.1): the font, a line
of text, and the header — Đảng bộ / Chi bộ beside "ĐẢNG CỘNG SẢN VIỆT NAM", place and date."""

from __future__ import annotations

from datetime import date

from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import _Cell

from bot.i18n import Translator
from bot.models import Organisation

FONT = "Times New Roman"  # the font of party documents


def write_line(
    cell_or_doc: _Cell | DocumentObject,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: int = 13,
    center: bool = False,
) -> None:
    """Adds a paragraph in the font of party documents."""
    paragraph = cell_or_doc.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = bold
    run.italic = italic
    run.font.size = Pt(size)
    run.font.name = FONT


_line = write_line


def party_header(
    t: Translator,
    doc: DocumentObject,
    org: Organisation,
    parent: Organisation | None,
    day: date,
    number: str = "*",
) -> None:
    """Writes the header of a party document: Đảng bộ / Chi bộ (and the document's number, or
    "*") beside "ĐẢNG CỘNG SẢN VIỆT NAM" and the place and date."""
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    # The names already say "Đảng bộ …" / "Chi bộ …": printed in capitals, as on paper.
    if parent is not None:
        _line(left, parent.name.upper(), center=True)
    _line(left, org.name.upper(), bold=True, center=True)
    _line(left, number, center=True)
    right.paragraphs[0].text = ""
    _line(right, t.gettext("COMMUNIST PARTY OF VIETNAM"), bold=True, center=True)
    two_digits = "{:02d}".format
    _line(
        right,
        t.gettext(
            "…………, day {day} month {month} year {year}",
            day=two_digits(day.day),
            month=two_digits(day.month),
            year=str(day.year),
        ),
        italic=True,
        center=True,
    )
