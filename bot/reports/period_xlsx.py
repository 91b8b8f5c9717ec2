"""A period report as a spreadsheet: a sheet of the figures (one per row, with its value) and a
sheet of the period's meetings with their roll call."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.i18n import Translator
from bot.models import MemberStatus
from bot.render_announcements import excerpt
from bot.render_digests import percent
from bot.render_meetings import kind_label
from bot.render_reports import period_label, report_title
from bot.services.period_reports import REGULAR, THEMATIC, PeriodReport


def _figures(t: Translator, report: PeriodReport) -> list[tuple[str, object]]:
    s = report.statuses
    rows: list[tuple[str, object]] = [
        (t.gettext("Party members"), sum(s.values())),
        (t.gettext("Full members"), s.get(MemberStatus.FULL, 0)),
        (t.gettext("Probationary members"), s.get(MemberStatus.PROBATIONARY, 0)),
        (t.gettext("Exempt from activities"), s.get(MemberStatus.EXEMPT, 0)),
        (t.gettext("Attached temporarily elsewhere"), s.get(MemberStatus.ATTACHED_ELSEWHERE, 0)),
        (t.gettext("Regular meetings held"), report.held(REGULAR)),
        (t.gettext("Regular meetings due"), report.regular_expected),
        (t.gettext("Thematic meetings held"), report.held(THEMATIC)),
        (t.gettext("Thematic meetings due"), report.thematic_expected),
        (t.gettext("Average attendance (%)"), report.average_attendance),
        (t.gettext("Unexcused absences"), report.unexcused),
        (t.gettext("Tasks assigned"), report.tasks),
        (t.gettext("Tasks marked done"), report.tasks_done),
        (t.gettext("Examples commended"), len(report.commended)),
        (t.gettext("Study campaigns"), len(report.studies)),
    ]
    for found in report.studies:
        rows.append((excerpt(found.announcement.text), f"{found.complete}/{found.audience}"))
    for line in report.campaigns:
        rows.append(
            (t.gettext("{year}: expected to register", year=line.campaign.year), line.expected)
        )
        rows.append((t.gettext("{year}: registered", year=line.campaign.year), line.registered))
        rows.append((t.gettext("{year}: approved", year=line.campaign.year), line.approved))
    return rows


def period_xlsx(t: Translator, report: PeriodReport) -> bytes:
    """Returns the report as an .xlsx file's bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t.gettext("Figures")
    sheet.append([report_title(t, report)])
    sheet.append([report.org.name, period_label(t, report.period)])
    sheet["A1"].font = Font(bold=True)
    sheet.append([])
    for label, value in _figures(t, report):
        sheet.append([label, value])
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 30
    meetings = book.create_sheet(t.gettext("Meetings"))
    meetings.append(
        [
            t.gettext("Date"),
            t.gettext("Kind"),
            t.gettext("Present"),
            t.gettext("Counted"),
            t.gettext("Rate (%)"),
            t.gettext("Unexcused"),
        ]
    )
    for cell in meetings[1]:
        cell.font = Font(bold=True)
    zone = t.tz
    for line in report.meetings:
        meetings.append(
            [
                line.meeting.starts_at.astimezone(zone).date(),
                kind_label(t, line.meeting.kind),
                line.present,
                line.counted,
                percent(line.present, line.counted) if line.counted else None,
                line.unexcused,
            ]
        )
    for column, width in zip("ABCDEF", (14, 44, 10, 10, 10, 12), strict=True):
        meetings.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
