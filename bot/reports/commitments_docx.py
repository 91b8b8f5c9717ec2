"""A campaign's register as a Word document: each member's commitment in the layout of the paper
form (domain.md §2.2) — Đảng bộ / Chi bộ header beside "ĐẢNG CỘNG SẢN VIỆT NAM", place and
date, title, identity, the numbered sections with their items, the signature block — one member
per page, each followed by their submitted self-review."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Pt

from bot.i18n import Translator
from bot.models import Role
from bot.models.commitments import SectionKind
from bot.render import role_label
from bot.render_checkins import answer_text
from bot.render_commitments import (
    campaign_title,
    plain_label,
    rating_label,
    section_label,
    target_text,
    title_label,
)
from bot.reports.party import FONT, party_header, write_line
from bot.services.campaigns import Section, sections_of
from bot.services.registers import MemberRecord, Register

_line = write_line


def _header(t: Translator, doc: DocumentObject, register: Register, day: date) -> None:
    party_header(t, doc, register.org, register.parent, day)


def _section_lines(t: Translator, record: MemberRecord, section: Section) -> list[str]:
    commitment = record.commitment
    if commitment is None:
        return []
    if section.kind == SectionKind.TEXT:
        text = commitment.answers.get(section.key, "")
        return text.splitlines() if text else []
    if section.kind == SectionKind.ITEMS:
        lines = []
        own = [entry for entry in record.items if entry.item.section_key == section.key]
        for number, entry in enumerate(own, start=1):
            item = entry.item
            details = []
            if item.target is not None:
                details.append(
                    t.gettext("target: {target}", target=plain_label(target_text(t, item)))
                )
            if item.deadline is not None:
                details.append(t.gettext("due {day}", day=t.date_text(item.deadline)))
            line = f"{number}) {item.text}"
            if details:
                line += f" ({'; '.join(details)})"
            lines.append(line)
        return lines
    if commitment.rating_goal is None:
        return []
    return [
        t.gettext("Striving for: {level}", level=rating_label(t, commitment.rating_goal)),
        t.gettext("Emulation title: {title}", title=title_label(t, commitment.title_goal)),
    ]


def _signatures(t: Translator, doc: DocumentObject, record: MemberRecord, left: str) -> None:
    table = doc.add_table(rows=1, cols=2)
    confirm, signer = table.rows[0].cells
    confirm.paragraphs[0].text = ""
    _line(confirm, left, bold=True, center=True)
    signer.paragraphs[0].text = ""
    _line(signer, t.gettext("THE COMMITTING MEMBER"), bold=True, center=True)
    _line(signer, t.gettext("(signature, full name)"), italic=True, size=11, center=True)
    _line(signer, "")
    _line(signer, "")
    _line(signer, record.member.full_name, bold=True, center=True)


def _commitment(
    t: Translator, doc: DocumentObject, register: Register, record: MemberRecord, day: date
) -> None:
    _header(t, doc, register, day)
    _line(doc, "")
    _line(
        doc,
        plain_label(campaign_title(t, register.campaign)).upper(),
        bold=True,
        size=14,
        center=True,
    )
    _line(doc, t.gettext("Full name: {name}", name=record.member.full_name))
    _line(
        doc,
        t.gettext("Position in the cell: {role}", role=role_label(t, Role(record.member.role))),
    )
    _line(doc, t.gettext("Party cell: {cell}", cell=register.org.name))
    if record.commitment is None:
        _line(doc, t.gettext("Not registered."), italic=True)
    sections = sections_of(register.campaign)
    for number, section in enumerate(sections, start=1):
        heading = plain_label(section_label(t, section))
        _line(doc, f"{number}. {heading}", bold=True)
        body = _section_lines(t, record, section)
        for line in body or [t.gettext("— not written yet")]:
            _line(doc, line)
    _line(doc, "")
    _signatures(t, doc, record, t.gettext("CONFIRMED BY THE CELL COMMITTEE"))


def _self_review(
    t: Translator, doc: DocumentObject, register: Register, record: MemberRecord, day: date
) -> None:
    review = record.review
    assert review is not None
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _header(t, doc, register, day)
    _line(doc, "")
    _line(doc, t.gettext("SELF-REVIEW"), bold=True, size=14, center=True)
    _line(doc, t.gettext("Full name: {name}", name=record.member.full_name))
    _line(doc, t.gettext("Results against the commitment:"), bold=True)
    for number, entry in enumerate(record.items, start=1):
        result = plain_label(answer_text(t, entry.item, entry.latest))
        _line(doc, f"{number}) {entry.item.text}: {result}")
    _line(doc, t.gettext("Self-assessment:"), bold=True)
    for line in review.text.splitlines() or [""]:
        _line(doc, line)
    if review.proposed_level is not None:
        _line(
            doc,
            t.gettext("Proposed rating: {level}", level=rating_label(t, review.proposed_level)),
            bold=True,
        )
    _line(doc, "")
    _signatures(t, doc, record, "")


def register_docx(t: Translator, register: Register, day: date) -> bytes:
    """Returns the register as a .docx file's bytes; `day` is the date printed in the header."""
    doc = Document()
    page = doc.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.left_margin, page.right_margin = Cm(3), Cm(2)
    page.top_margin, page.bottom_margin = Cm(2), Cm(2)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    for index, record in enumerate(register.records):
        if index:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _commitment(t, doc, register, record, day)
        if record.review is not None and record.review.submitted_at is not None:
            _self_review(t, doc, register, record, day)
    if not register.records:
        _header(t, doc, register, day)
        _line(
            doc, plain_label(campaign_title(t, register.campaign)).upper(), bold=True, center=True
        )
        _line(doc, t.gettext("No member is expected to register."), italic=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
