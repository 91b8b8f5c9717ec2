"""A campaign's register as a spreadsheet: one row per item (a member without items has one row
saying where their commitment stands), and a sheet of the self-reviews."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.i18n import Translator
from bot.models.commitments import CheckIn
from bot.render_checkins import item_status_label
from bot.render_commitments import (
    campaign_title,
    plain_label,
    rating_label,
    section_label,
    status_label,
)
from bot.services.campaigns import section_of, sections_of
from bot.services.registers import MemberRecord, Register

_WIDTHS = (6, 28, 26, 34, 50, 10, 14, 12, 18, 10, 40, 40)


def _status(t: Translator, record: MemberRecord) -> str:
    if record.commitment is None:
        return t.gettext("not registered")
    return status_label(t, record.commitment.status)


def _note_and_evidence(latest: CheckIn | None) -> str:
    """The latest note, and "📎 <file name>" when evidence came with that answer."""
    if latest is None:
        return ""
    if latest.evidence_ref is None:
        return latest.note
    return "; ".join(part for part in (latest.note, f"📎 {latest.evidence_name or ''}") if part)


def _item_rows(t: Translator, register: Register, record: MemberRecord) -> list[list[object]]:
    keys = {s.key for s in sections_of(register.campaign)}
    praise = "; ".join(c.reason for c in record.commendations)
    if not record.items:
        blank: list[object] = ["", "", None, "", None, "", None, "", praise]
        return [[record.member.full_name, _status(t, record), *blank]]
    rows: list[list[object]] = []
    for entry in record.items:
        item, latest = entry.item, entry.latest
        section = (
            plain_label(section_label(t, section_of(register.campaign, item.section_key)))
            if item.section_key in keys
            else item.section_key
        )
        item_praise = "; ".join(c.reason for c in record.commendations if c.item_id == item.id)
        rows.append(
            [
                record.member.full_name,
                _status(t, record),
                section,
                item.text,
                item.target,
                item.unit,
                item.deadline,
                item_status_label(t, latest.status) if latest else t.gettext("not reported yet"),
                latest.value if latest else None,
                _note_and_evidence(latest),
                item_praise or (praise if entry is record.items[0] else ""),
            ]
        )
    return rows


def register_xlsx(t: Translator, register: Register) -> bytes:
    """Returns the register as an .xlsx file's bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t.gettext("Register")[:31]
    sheet.append([plain_label(campaign_title(t, register.campaign))])
    sheet.append([register.org.name])
    sheet["A1"].font = Font(bold=True, size=13)
    header = [
        t.gettext("No."),
        t.gettext("Full name"),
        t.gettext("Commitment"),
        t.gettext("Section"),
        t.gettext("Item"),
        t.gettext("Target"),
        t.gettext("Unit"),
        t.gettext("Deadline"),
        t.gettext("Latest status"),
        t.gettext("Reached"),
        t.gettext("Note"),
        t.gettext("Commended"),
    ]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for number, record in enumerate(register.records, start=1):
        for row in _item_rows(t, register, record):
            sheet.append([number, *row])
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.column == 8 and cell.value is not None:
                cell.number_format = "DD/MM/YYYY"
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C4"
    reviews = book.create_sheet(t.gettext("Self-reviews")[:31])
    reviews.append(
        [
            t.gettext("No."),
            t.gettext("Full name"),
            t.gettext("Submitted"),
            t.gettext("Proposed rating"),
            t.gettext("Self-review"),
        ]
    )
    for cell in reviews[1]:
        cell.font = Font(bold=True)
    for number, record in enumerate(register.records, start=1):
        review = record.review
        submitted = review.submitted_at if review is not None else None
        reviews.append(
            [
                number,
                record.member.full_name,
                t.date_text(submitted) if submitted is not None else t.gettext("not submitted"),
                rating_label(t, review.proposed_level)
                if review is not None and review.proposed_level is not None
                else "",
                review.text if review is not None and submitted is not None else "",
            ]
        )
    for index, width in enumerate((6, 28, 16, 30, 80), start=1):
        reviews.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
