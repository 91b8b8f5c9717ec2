"""A campaign's register: gathered in constant queries, exported as XLSX and DOCX that are read
back and checked against the data, and written by `chibot report commitments`."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import Session

from bot.db import Database
from bot.i18n import translator
from bot.models.commitments import (
    Campaign,
    CheckIn,
    CheckInRound,
    Commendation,
    CommitmentStatus,
    ItemStatus,
    RatingLevel,
    SelfReview,
    SelfReviewStatus,
)
from bot.reports.commitments_docx import register_docx
from bot.reports.commitments_xlsx import register_xlsx
from bot.services import commitments, registers, reviews
from chibot.cli import main
from tests import factories
from tests.statements import count_statements
from tests.unit.test_commitments import YEAR, fill, open_pledge, person


@pytest.fixture
def world(db: Database, now: datetime) -> dict:
    """Lan approved (two items, one checked in, a submitted self-review, commended), Hùng with
    a draft, and Tú who wrote nothing."""
    with db.session() as session:
        c = factories.cell(session, now, name="Chi bộ Kỹ thuật")
        lan_member, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        hung_member, hung = factories.joined_member(session, c, "Lê Văn Hùng", now)
        factories.joined_member(session, c, "Vũ Văn Tú", now)
        w = {"org_id": c.org.id, "secretary": c.secretary.id, "lan": lan.id, "hung": hung.id}
        campaign = open_pledge(session, w, now)
        draft = commitments.draft_for(
            session=session, campaign_id=campaign.id or 0, person=lan, now=now
        )
        fill(session, draft, lan, now)
        commitments.submit(session=session, commitment_id=draft.id or 0, person=lan, now=now)
        reviews.approve(
            session=session,
            commitment_id=draft.id or 0,
            actor=person(session, w, "secretary"),
            now=now,
        )
        hung_draft = commitments.draft_for(
            session=session, campaign_id=campaign.id or 0, person=hung, now=now
        )
        commitments.set_answer(
            session=session,
            commitment_id=hung_draft.id or 0,
            section_key="politics",
            text="Học tập đầy đủ các nghị quyết",
            person=hung,
            now=now,
        )
        items = commitments.items(session=session, commitment_id=draft.id or 0)
        round_ = CheckInRound(
            campaign_id=campaign.id or 0,
            seq=1,
            period_start=date(YEAR, 1, 1),
            opens_at=now,
            closes_at=now + timedelta(days=10),
        )
        session.add(round_)
        session.flush()
        session.add(
            CheckIn(
                round_id=round_.id or 0,
                item_id=items[0].id or 0,
                member_id=lan_member.id or 0,
                status=ItemStatus.IN_PROGRESS,
                value=80,
                note="Còn hai việc",
                updated_at=now,
            )
        )
        session.add(
            SelfReview(
                campaign_id=campaign.id or 0,
                member_id=lan_member.id or 0,
                text="Hoàn thành tốt các nhiệm vụ được giao.",
                proposed_level=RatingLevel.GOOD,
                status=SelfReviewStatus.SUBMITTED,
                submitted_at=now,
                updated_at=now,
            )
        )
        session.add(
            Commendation(
                campaign_id=campaign.id or 0,
                member_id=lan_member.id or 0,
                reason="Gương mẫu đi làm đúng giờ",
                by=c.secretary.id,
                at=now,
            )
        )
        w["campaign"] = campaign.id
        w["cell"] = c
        w["lan_member"] = lan_member.id
        w["hung_member"] = hung_member.id
        w["items"] = [i.text for i in items]
        return w


def _register(session: Session, world: dict) -> registers.Register:
    campaign = session.get(Campaign, world["campaign"])
    assert campaign is not None
    return registers.register_of(session=session, campaign=campaign)


def test_the_register_shows_each_expected_member_with_the_version_in_force(
    db: Database, world: dict
) -> None:
    with db.session() as session:
        register = _register(session, world)
    by_name = {r.member.full_name: r for r in register.records}
    assert set(by_name) >= {"Trần Thị Lan", "Lê Văn Hùng", "Vũ Văn Tú"}
    lan = by_name["Trần Thị Lan"]
    assert lan.commitment is not None
    assert lan.commitment.status == CommitmentStatus.APPROVED
    assert [e.item.text for e in lan.items] == world["items"]
    assert lan.items[0].latest is not None
    assert lan.items[0].latest.value == 80
    assert lan.items[1].latest is None
    assert lan.review is not None
    assert lan.review.proposed_level == RatingLevel.GOOD
    assert [c.reason for c in lan.commendations] == ["Gương mẫu đi làm đúng giờ"]
    hung = by_name["Lê Văn Hùng"]
    assert hung.commitment is not None
    assert hung.commitment.status == CommitmentStatus.DRAFT
    assert by_name["Vũ Văn Tú"].commitment is None


def test_the_register_costs_the_same_queries_in_a_bigger_cell(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session, count_statements(db) as small:
        _register(session, world)
    with db.session() as session:
        factories.joined_members(
            session, world["cell"], [f"Đảng Viên {i}" for i in range(40)], now
        )
    with db.session() as session, count_statements(db) as big:
        register = _register(session, world)
    assert len(register.records) >= 43
    assert big.count == small.count


def test_the_spreadsheet_has_one_row_per_item_and_one_per_member_without_items(
    db: Database, world: dict
) -> None:
    with db.session() as session:
        register = _register(session, world)
    book = load_workbook(io.BytesIO(register_xlsx(translator("vi"), register)))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "Bản cam kết tu dưỡng, rèn luyện, phấn đấu năm 2027"
    header = [c.value for c in sheet[3]]
    assert header[:5] == ["STT", "Họ và tên", "Bản cam kết", "Mục", "Nội dung"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    lan = [r for r in rows if r[1] == "Trần Thị Lan"]
    assert [r[4] for r in lan] == world["items"]
    first = lan[0]
    assert (first[5], first[6]) == (100, "%")
    assert first[8] == "Đang thực hiện"
    assert first[9] == 80
    assert first[10] == "Còn hai việc"
    assert lan[1][8] == "chưa báo cáo"
    assert lan[1][7] is not None
    assert lan[1][7].date() == date(YEAR, 6, 30)
    assert "Gương mẫu đi làm đúng giờ" in {r[11] for r in lan}
    [tu] = [r for r in rows if r[1] == "Vũ Văn Tú"]
    assert tu[2] == "chưa đăng ký"
    assert tu[4] is None  # an empty cell
    reviews_sheet = book.worksheets[1]
    review_rows = {r[1].value: r for r in reviews_sheet.iter_rows(min_row=2)}
    assert review_rows["Trần Thị Lan"][3].value == "Hoàn thành tốt nhiệm vụ"
    assert review_rows["Lê Văn Hùng"][2].value == "chưa nộp"


def test_the_word_document_lays_out_each_commitment_like_the_paper_form(
    db: Database, world: dict
) -> None:
    with db.session() as session:
        register = _register(session, world)
    content = register_docx(translator("vi"), register, date(2027, 1, 5))
    doc = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(
        p.text for table in doc.tables for cell in table._cells for p in cell.paragraphs
    )
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in cells
    assert "CHI BỘ CHI BỘ KỸ THUẬT" not in cells  # the cell's name already says "Chi bộ"
    assert "CHI BỘ KỸ THUẬT" in cells
    assert "ngày 05 tháng 01 năm 2027" in cells
    assert text.count("BẢN CAM KẾT TU DƯỠNG, RÈN LUYỆN, PHẤN ĐẤU NĂM 2027") == len(
        register.records
    )
    assert "Họ và tên: Trần Thị Lan" in text
    assert "1. Về tư tưởng chính trị" in text
    assert "Nội dung mục politics" in text
    assert "1) Hoàn thành 100% kế hoạch công tác (chỉ tiêu: 100%)" in text
    assert "Phấn đấu đạt: Hoàn thành tốt nhiệm vụ" in text
    assert "BẢN TỰ KIỂM ĐIỂM" in text
    assert "Hoàn thành tốt các nhiệm vụ được giao." in text
    assert "Học tập đầy đủ các nghị quyết" in text  # Hùng's draft
    assert "NGƯỜI CAM KẾT" in cells


def test_chibot_report_commitments_writes_the_file(
    db: Database, world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIBOT_DATABASE_URL", db.url)
    out = io.StringIO()
    target = tmp_path / "so.xlsx"
    args = ["report", "commitments", "Chi bộ Kỹ thuật", "--year", str(YEAR)]
    assert main([*args, "--format", "xlsx", "--output", str(target)], out=out) == 0
    names = {r[1].value for r in load_workbook(target).worksheets[0].iter_rows(min_row=4)}
    assert "Trần Thị Lan" in names
    docx_target = tmp_path / "so.docx"
    assert main([*args, "--format", "docx", "--output", str(docx_target)], out=out) == 0
    assert "Họ và tên: Lê Văn Hùng" in "\n".join(p.text for p in Document(docx_target).paragraphs)
    missing = io.StringIO()
    assert main(["report", "commitments", "Chi bộ Kỹ thuật", "--year", "2031"], out=missing) == 1
    assert "no registration for 2031" in missing.getvalue()
