"""Period reports: reading a period, the figures against data built through the services, the
refusals, and the DOCX and XLSX read back and checked against the same data."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.db import Database
from bot.i18n import translator
from bot.models import MeetingKind, MemberStatus, Organisation
from bot.models.commitments import CampaignKind
from bot.render_reports import report_text
from bot.reports.period_docx import period_docx
from bot.reports.period_xlsx import period_xlsx
from bot.services import campaigns, period_reports
from bot.services.errors import Conflict, InvalidInput
from bot.services.period_reports import Period, parse_period
from chibot.cli import main
from tests.statements import count_statements
from tests.unit.test_digests import DIGEST_AT, _with_notices, build


def test_periods_are_read_as_typed() -> None:
    assert parse_period("2027-01") == Period("month", 2027, 1)
    assert parse_period(" 2027-q3 ") == Period("quarter", 2027, 3)
    assert parse_period("2027-H2") == Period("half", 2027, 2)
    assert parse_period("2027") == Period("year", 2027, 1)
    h2 = parse_period("2027-H2")
    assert (h2.start, h2.end, h2.months, h2.code) == (
        date(2027, 7, 1),
        date(2027, 12, 31),
        6,
        "2027-H2",
    )
    assert parse_period("2027-Q1").end == date(2027, 3, 31)
    assert parse_period("2027-02").end == date(2027, 2, 28)
    for bad in ("2027-13", "2027-Q5", "27-01", "H1", "2027-H3", ""):
        with pytest.raises(InvalidInput) as refused:
            parse_period(bad)
        assert refused.value.code == "bad_period"
    today = date(2026, 11, 30)
    assert [p.code for p in period_reports.choices(today)] == [
        "2026-11",
        "2026-10",
        "2026-Q4",
        "2026-Q3",
        "2026-H2",
        "2026-H1",
        "2026",
        "2025",
    ]


def _report(db: Database, code: str) -> period_reports.PeriodReport:
    with db.session() as session:
        w = build(session)
    with db.session() as session:
        org = session.get(Organisation, w.org_id)
        assert org is not None
        return period_reports.period_report(
            session=session, org=org, period=parse_period(code), now=DIGEST_AT
        )


def test_the_figures_of_a_month(db: Database) -> None:
    report = _report(db, "2026-11")
    assert report.statuses == {MemberStatus.FULL: 4, MemberStatus.EXEMPT: 1}
    assert (report.held((MeetingKind.REGULAR,)), report.regular_expected) == (1, 1)
    assert report.thematic_expected == 0
    assert [(m.present, m.counted, m.unexcused) for m in report.meetings] == [(2, 4, 1)]
    assert (report.average_attendance, report.unexcused) == (50, 1)
    assert (report.tasks, report.tasks_due) == (1, 1)
    assert report.campaigns == []  # the registration opened in November is for 2027
    assert [m.full_name for _, m in report.commended] == ["Trần Thị Lan"]
    text = report_text(translator("vi", "Asia/Ho_Chi_Minh"), report)
    assert "Sinh hoạt thường kỳ: 1/1 buổi." in text
    assert "Tỷ lệ dự họp bình quân: 50%." in text
    assert "Số lượt vắng không lý do: 1." in text
    assert "Chi bộ có 5 đảng viên: 4 chính thức, 0 dự bị." in text
    assert "Năm 2026 chưa có đợt đăng ký cam kết nào." in text
    # Left to the committee: advantages, political work, assessment, directions (tasks done
    # are counted from the owners' "✅ Xong").
    assert text.count("(chi ủy bổ sung)") == 4
    assert "đã đánh dấu hoàn thành: 0." in text


def test_the_registrations_of_the_periods_year(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        campaigns.open_campaign(
            session=session,
            org_id=w.org_id,
            draft=campaigns.CampaignDraft(
                kind=CampaignKind.FOLLOW, year=2026, deadline=date(2026, 12, 20)
            ),
            actor=w.secretary,
            now=DIGEST_AT,
        )
    with db.session() as session:
        org = session.get(Organisation, w.org_id)
        assert org is not None
        report = period_reports.period_report(
            session=session, org=org, period=parse_period("2026"), now=DIGEST_AT
        )
    [line] = report.campaigns
    assert (line.expected, line.registered, line.approved) == (4, 0, 0)
    text = report_text(translator("vi", "Asia/Ho_Chi_Minh"), report)
    assert (
        "Bản đăng ký học tập và làm theo Bác năm 2026: 0/4 đồng chí đã đăng ký (0%), "
        "0 đã được duyệt" in text
    )
    assert "BÁO CÁO tổng kết công tác năm 2026, phương hướng nhiệm vụ năm 2027" in text


def test_a_future_period_and_a_period_without_meetings_are_refused(db: Database) -> None:
    with db.session() as session:
        w = build(session)
    with db.session() as session:
        org = session.get(Organisation, w.org_id)
        assert org is not None
        with pytest.raises(InvalidInput) as future:
            period_reports.period_report(
                session=session, org=org, period=parse_period("2027-Q1"), now=DIGEST_AT
            )
        assert future.value.code == "period_future"
        with pytest.raises(Conflict) as empty:
            period_reports.period_report(
                session=session, org=org, period=parse_period("2026-10"), now=DIGEST_AT
            )
        assert empty.value.code == "period_no_meetings"


def test_the_docx_and_xlsx_say_what_the_data_says(db: Database) -> None:
    report = _report(db, "2026-H2")
    t = translator("vi", "Asia/Ho_Chi_Minh")
    document = Document(io.BytesIO(period_docx(t, report)))
    paragraphs = [p.text for p in document.paragraphs]
    header = [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]
    sign_off = [p.text for cell in document.tables[1].rows[0].cells for p in cell.paragraphs]
    assert "CHI BỘ VĂN PHÒNG" in header
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header
    assert "…………, ngày 30 tháng 11 năm 2026" in header
    assert "T/M CHI BỘ" in sign_off
    assert "BÍ THƯ" in sign_off
    assert "BÁO CÁO kết quả công tác của chi bộ 6 tháng cuối năm 2026" in paragraphs
    assert "I. ĐẶC ĐIỂM TÌNH HÌNH" in paragraphs
    assert "Sinh hoạt thường kỳ: 1/6 buổi." in paragraphs
    assert "Sinh hoạt chuyên đề: 0/2 buổi." in paragraphs
    assert "Tỷ lệ dự họp bình quân: 50%." in paragraphs
    assert "• đồng chí Trần Thị Lan: Gương mẫu đi đầu trong học tập nghị quyết" in paragraphs
    book = load_workbook(io.BytesIO(period_xlsx(t, report)))
    figures = {row[0]: row[1] for row in book["Số liệu"].iter_rows(min_row=4, values_only=True)}
    assert figures["Đảng viên chính thức"] == 4
    assert figures["Miễn sinh hoạt"] == 1
    assert figures["Số buổi sinh hoạt thường kỳ đã tổ chức"] == 1
    assert figures["Số buổi sinh hoạt thường kỳ phải tổ chức"] == 6
    assert figures["Tỷ lệ dự họp bình quân (%)"] == 50
    assert figures["Số lượt vắng không lý do"] == 1
    meetings = list(book["Các buổi sinh hoạt"].iter_rows(min_row=2, values_only=True))
    assert [row[2:] for row in meetings] == [(2, 4, 50, 1)]


def _report_cost(db: Database, extra: int) -> int:
    with db.session() as session:
        w = build(session, extra=extra, name=f"Chi bộ {extra}")
    with db.session() as session, count_statements(db) as counted:
        org = session.get(Organisation, w.org_id)
        assert org is not None
        report = period_reports.period_report(
            session=session, org=org, period=parse_period("2026-11"), now=DIGEST_AT
        )
    assert report.meetings[0].counted == 4 + extra
    return counted.count


def test_a_report_costs_the_same_statements_in_a_bigger_cell(db: Database) -> None:
    assert _report_cost(db, 0) == _report_cost(db, 15)


def test_chibot_report_export_writes_the_file(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        build(session)
    monkeypatch.setenv("CHIBOT_DATABASE_URL", db.url)
    out = io.StringIO()
    target = tmp_path / "bao-cao.docx"
    args = ["report", "export", "Chi bộ Văn phòng", "--period", "2026-H2"]
    assert main([*args, "--format", "docx", "--output", str(target)], out=out) == 0
    text = [p.text for p in Document(str(target)).paragraphs]
    assert "Sinh hoạt thường kỳ: 1/6 buổi." in text
    sheet = tmp_path / "bao-cao.xlsx"
    assert main([*args, "--format", "xlsx", "--output", str(sheet)], out=out) == 0
    rows = {r[0]: r[1] for r in load_workbook(sheet).worksheets[0].iter_rows(values_only=True)}
    assert rows["Số lượt vắng không lý do"] == 1
    future = io.StringIO()
    assert main(["report", "export", "Chi bộ Văn phòng", "--period", "2099"], out=future) == 1
    assert "Kỳ 2099 chưa bắt đầu" in future.getvalue()
    bad = io.StringIO()
    assert main(["report", "export", "Chi bộ Văn phòng", "--period", "H1"], out=bad) == 1
    assert "Tôi không đọc được kỳ “H1”" in bad.getvalue()


def test_study_campaigns_of_the_period_and_their_participation(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        _with_notices(session, w)  # a study campaign sent on 22/11, read by two
    with db.session() as session:
        org = session.get(Organisation, w.org_id)
        assert org is not None
        report = period_reports.period_report(
            session=session, org=org, period=parse_period("2026-11"), now=DIGEST_AT
        )
    [studied] = report.studies
    assert studied.complete == 2
    t = translator("vi")
    text = report_text(t, report)
    assert "Số đợt học tập, quán triệt: 1." in text
    assert (
        f"• “Học tập Nghị quyết Hội nghị Trung ương.” (22/11/2026): 2/{studied.audience} "
        "đồng chí đã hoàn thành"
    ) in text
    sheet = load_workbook(io.BytesIO(period_xlsx(t, report))).active
    assert sheet is not None
    figures = {row[0]: row[1] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert figures["Số đợt học tập"] == 1
    assert figures["Học tập Nghị quyết Hội nghị Trung ương."] == f"2/{studied.audience}"
