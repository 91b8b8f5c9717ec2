"""A study campaign's reflections (bài thu hoạch) as a Word document: the party header, the
campaign's title and deadline, then one section per member with name, date and text."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Pt

from bot.i18n import Translator
from bot.models import Organisation
from bot.reports.party import FONT, party_header, write_line
from bot.services.study import Participation


def reflections_docx(
    t: Translator,
    found: Participation,
    org: Organisation,
    parent: Organisation | None,
    day: date,
) -> bytes:
    """Returns the reflections as a .docx file's bytes; `day` is the date in the header."""
    doc = Document()
    page = doc.sections[0]
    page.left_margin, page.right_margin = Cm(3), Cm(2)
    page.top_margin, page.bottom_margin = Cm(2), Cm(2)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    campaign = found.announcement
    party_header(t, doc, org, parent, day)
    write_line(doc, "")
    write_line(doc, t.gettext("STUDY REFLECTIONS"), bold=True, size=14, center=True)
    write_line(doc, " ".join(campaign.text.split())[:300], italic=True, center=True)
    if campaign.deadline is not None:
        write_line(doc, t.gettext("Deadline: {when}", when=t.datetime_text(campaign.deadline)))
    if campaign.question:
        write_line(doc, t.gettext("Question: {question}", question=campaign.question))
    write_line(
        doc,
        t.gettext(
            "Submitted: {submitted} of {audience} comrades.",
            submitted=t.number(found.submitted),
            audience=t.number(found.audience),
        ),
    )
    written = [p for p in found.people if p.submission is not None]
    for number, person in enumerate(written, start=1):
        submission = person.submission
        assert submission is not None
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        write_line(doc, f"{number}. {person.name}", bold=True, size=14)
        write_line(
            doc,
            t.gettext("Submitted on {when}", when=t.datetime_text(submission.updated_at)),
            italic=True,
        )
        if submission.file_name:
            write_line(doc, t.gettext("Sent as a file: {name}", name=submission.file_name))
        for paragraph in submission.text.splitlines():
            write_line(doc, paragraph)
    if not written:
        write_line(doc, t.gettext("No reflection has been submitted yet."), italic=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
