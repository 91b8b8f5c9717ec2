"""Commitments as people read them: the card laid out like the document, targets, progress."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import translator
from bot.models import Member, MemberStatus, Organisation, Role
from bot.models.commitments import (
    Campaign,
    CampaignKind,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    EmulationTitle,
    RatingLevel,
)
from bot.render_commitments import (
    aggregate_text,
    campaign_title,
    card_keyboard,
    commitment_text,
    progress_text,
    target_text,
)
from bot.services.campaigns import Progress, default_sections, sections_of

VI = translator("vi")
EN = translator("en")
ORG = Organisation(id=1, name="Chi bộ <Văn phòng>", timezone="Asia/Ho_Chi_Minh", locale="vi")


def campaign(kind: CampaignKind = CampaignKind.PLEDGE, title: str = "") -> Campaign:
    return Campaign(
        id=7,
        org_id=1,
        kind=kind,
        title=title,
        year=2027,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
        deadline=date(2026, 12, 15),
        sections=default_sections(kind),
    )


def member(member_id: int, name: str) -> Member:
    return Member(
        id=member_id, org_id=1, full_name=name, role=Role.MEMBER, status=MemberStatus.FULL
    )


def item(section: str, text: str, **kw: Any) -> CommitmentItem:
    return CommitmentItem(commitment_id=3, section_key=section, text=text, **kw)


def test_the_card_follows_the_document_and_escapes_what_was_typed() -> None:
    pledge = campaign()
    commitment = Commitment(
        id=3,
        campaign_id=7,
        member_id=5,
        answers={"politics": "Trung thành <tuyệt đối> & kiên định"},
        rating_goal=RatingLevel.GOOD,
        title_goal=EmulationTitle.GRASSROOTS_SOLDIER,
        status=CommitmentStatus.RETURNED,
        review_comment="Ghi rõ <chỉ tiêu>",
    )
    items = [
        item("duties", "Hoàn thành kế hoạch", target=100, unit="%", deadline=date(2027, 6, 30))
    ]
    text = commitment_text(
        VI,
        campaign=pledge,
        sections=sections_of(pledge),
        org=ORG,
        member=member(5, "Trần Thị <Lan>"),
        commitment=commitment,
        items=items,
    )
    lines = text.splitlines()
    assert lines[0] == "📜 <b>Bản cam kết tu dưỡng, rèn luyện, phấn đấu năm 2027</b>"
    assert lines[1] == "Chi bộ &lt;Văn phòng&gt; · đồng chí Trần Thị &lt;Lan&gt;"
    assert lines[2] == "Hạn nộp: 15/12/2026 · Trạng thái: chi ủy trả lại để sửa"
    assert lines[3] == "↩️ Nhận xét của chi ủy: Ghi rõ &lt;chỉ tiêu&gt;"
    assert "<b>1. Về tư tưởng chính trị</b>\nTrung thành &lt;tuyệt đối&gt; &amp; kiên định" in text
    assert "<b>2. Về đạo đức, lối sống</b>\n— chưa viết" in text
    assert "1) Hoàn thành kế hoạch (chỉ tiêu: 100%; hạn 30/06/2027)" in text
    assert "<b>6. Việc làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh</b>\n— chưa viết" in text
    assert text.endswith(
        "<b>7. Mục tiêu xếp loại, danh hiệu thi đua</b>\n"
        "Phấn đấu đạt: Hoàn thành tốt nhiệm vụ\n"
        "Danh hiệu thi đua: Chiến sĩ thi đua cơ sở"
    )


def test_the_card_buttons_follow_the_status() -> None:
    pledge = campaign()
    sections = sections_of(pledge)
    draft = Commitment(id=3, campaign_id=7, member_id=5, status=CommitmentStatus.DRAFT)
    incomplete = card_keyboard(
        VI, campaign=pledge, sections=sections, commitment=draft, missing=sections[1:]
    )
    labels = [b.text for row in incomplete for b in row]
    assert labels[0] == "▶️ Viết tiếp: 2. Về đạo đức, lối sống"
    assert labels[1:] == [
        f"✏️ {n}. {VI.gettext(s)}"
        for n, s in enumerate(
            [
                "On political ideology",
                "On ethics and lifestyle",
                "On work style and manner",
                "On organisational discipline",
                "On carrying out the duties and tasks assigned",
                "Following Hồ Chí Minh's thought, ethics and style",
                "Rating goal and emulation title",
            ],
            start=1,
        )
    ]
    assert all(len((b.data or "").encode()) <= 64 for row in incomplete for b in row)
    complete = card_keyboard(VI, campaign=pledge, sections=sections, commitment=draft, missing=[])
    assert complete[0][0].text == "📤 Gửi duyệt"
    draft.status = CommitmentStatus.SUBMITTED
    assert (
        card_keyboard(VI, campaign=pledge, sections=sections, commitment=draft, missing=[]) == []
    )
    draft.status = CommitmentStatus.APPROVED
    approved = card_keyboard(VI, campaign=pledge, sections=sections, commitment=draft, missing=[])
    assert [[b.text for b in row] for row in approved] == [["✏️ Sửa (tạo bản mới)"]]


@pytest.mark.parametrize(
    ("target", "unit", "vi", "en"),
    [
        (12, "buổi", "12 buổi", "12 buổi"),
        (100, "%", "100%", "100%"),
        (3.5, "triệu đồng", "3,5 triệu đồng", "3.5 triệu đồng"),
        (1500, "", "1.500", "1,500"),
        (2, "<b>", "2 &lt;b&gt;", "2 &lt;b&gt;"),
    ],
)
def test_targets_are_written_as_each_language_writes_numbers(
    target: float, unit: str, vi: str, en: str
) -> None:
    found = item("duties", "x", target=target, unit=unit)
    assert (target_text(VI, found), target_text(EN, found)) == (vi, en)


def test_titles_per_kind_in_both_languages() -> None:
    assert campaign_title(VI, campaign(CampaignKind.FOLLOW)) == (
        "Bản đăng ký học tập và làm theo Bác năm 2027"
    )
    assert campaign_title(VI, campaign(CampaignKind.PACT)) == "Giao ước thi đua năm 2027"
    assert campaign_title(VI, campaign(CampaignKind.EMULATION, "Thi đua <A>")) == (
        "Đăng ký thi đua: Thi đua &lt;A&gt;"
    )
    assert campaign_title(EN, campaign()) == (
        "Commitment to self-cultivation, training and striving for 2027"
    )


def test_progress_names_each_state_but_the_group_sees_only_the_figure() -> None:
    lan, hung, mai, an = (
        member(1, "Trần Thị Lan"),
        member(2, "Lê Văn Hùng"),
        member(3, "Đỗ Thị Mai"),
        member(4, "Phan Văn An"),
    )
    figures = Progress(
        expected=[lan, hung, mai, an],
        by_member={
            1: CommitmentStatus.APPROVED,
            2: CommitmentStatus.RETURNED,
            3: CommitmentStatus.DRAFT,
        },
    )
    text = progress_text(VI, campaign(), ORG, figures)
    lines = text.splitlines()
    assert "Phải đăng ký: 4 · đã gửi: 2 (50%)" in lines
    assert lines[lines.index("✅ Đã duyệt (1):") + 1] == "  Trần Thị Lan"
    assert lines[lines.index("↩️ Bị trả lại để sửa (1):") + 1] == "  Lê Văn Hùng"
    assert lines[lines.index("✏️ Đang viết, chưa gửi (1):") + 1] == "  Đỗ Thị Mai"
    assert lines[lines.index("⏳ Chưa viết (1):") + 1] == "  Phan Văn An"
    assert "📨 Chờ duyệt (0):" in lines
    group = aggregate_text(VI, campaign(), figures)
    assert group == "2/4 đồng chí đã đăng ký bản cam kết năm 2027."
    assert aggregate_text(EN, campaign(), figures) == (
        "2/4 comrades have registered the commitment for 2027."
    )
