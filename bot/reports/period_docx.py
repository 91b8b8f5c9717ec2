"""A period report as a Word document in the layout of a party report (domain.md §6.1):
Đảng bộ / Chi bộ beside "ĐẢNG CỘNG SẢN VIỆT NAM", place and date, the title, the sections,
and the "T/M CHI BỘ / BÍ THƯ" sign-off."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentObject
from docx.shared import Cm, Pt

from bot.i18n import Translator
from bot.render_reports import report_sections, report_title
from bot.reports.party import FONT, party_header, write_line
from bot.services.period_reports import PeriodReport

_line = write_line


def _header(t: Translator, doc: DocumentObject, report: PeriodReport) -> None:
    party_header(t, doc, report.org, report.parent, report.today, number=t.gettext("No. …-BC/CB"))


def _sign_off(t: Translator, doc: DocumentObject, report: PeriodReport) -> None:
    table = doc.add_table(rows=1, cols=2)
    recipients, signer = table.rows[0].cells
    recipients.paragraphs[0].text = ""
    _line(recipients, t.gettext("Recipients:"), bold=True, italic=True, size=11)
    parent = report.parent.name if report.parent is not None else t.gettext("the Party committee")
    _line(recipients, t.gettext("- {parent} (to report);", parent=parent), size=11)
    _line(recipients, t.gettext("- Cell records."), size=11)
    signer.paragraphs[0].text = ""
    _line(signer, t.gettext("ON BEHALF OF THE CELL"), bold=True, center=True)
    _line(signer, t.gettext("SECRETARY"), bold=True, center=True)
    _line(signer, "")
    _line(signer, "")


def period_docx(t: Translator, report: PeriodReport) -> bytes:
    """Returns the report as a .docx file's bytes."""
    doc = Document()
    page = doc.sections[0]
    page.left_margin, page.right_margin = Cm(3), Cm(2)
    page.top_margin, page.bottom_margin = Cm(2), Cm(2)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    _header(t, doc, report)
    _line(doc, "")
    _line(doc, report_title(t, report), bold=True, size=14, center=True)
    for heading, body in report_sections(t, report):
        _line(doc, heading, bold=True)
        for text in body:
            _line(doc, text)
    _line(doc, "")
    _sign_off(t, doc, report)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
