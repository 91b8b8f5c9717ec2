"""The cell's giao ước thi đua: reading the targets typed, opening, recording progress, closing,
and where the figures show (card, digest, period report)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.i18n import translator
from bot.models import AuditEntry, Organisation, Person, Role
from bot.models.commitments import Campaign, CampaignKind, CampaignStatus, Commitment
from bot.render_pacts import pact_screen, report_lines, summary_lines
from bot.render_reports import report_sections
from bot.services import campaigns, digests, pacts, period_reports
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from bot.services.pacts import TargetDraft, parse_progress, parse_target_line, parse_targets
from tests import factories
from tests.unit.test_digests import meeting_at

# NOW (tests/conftest.py) is 22/11/2026 10:00 in Hà Nội.
VI = translator("vi")
EN = translator("en")

# --- reading what the secretary typed ------------------------------------------------------------


def test_targets_typed_one_per_line_are_read_with_their_unit_and_plan() -> None:
    typed = (
        "Kết nạp đảng viên mới: 2 người\n"
        "\n"
        "- Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên: 100 %\n"
        "3. Quỹ khuyến học: 1.500.000 đồng\n"
        "Ủng hộ: 3,5 triệu đồng"
    )
    assert parse_targets(typed) == [
        TargetDraft("Kết nạp đảng viên mới", 2, "người"),
        TargetDraft("Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên", 100, "%"),
        TargetDraft("Quỹ khuyến học", 1_500_000, "đồng"),
        TargetDraft("Ủng hộ", 3.5, "triệu đồng"),
    ]


def test_a_line_as_the_pact_writes_it_is_read_with_its_only_number() -> None:
    assert parse_target_line("100% đảng viên hoàn thành tốt nhiệm vụ trở lên") == TargetDraft(
        "100% đảng viên hoàn thành tốt nhiệm vụ trở lên", 100, "%"
    )
    assert parse_target_line("Kết nạp 2 đảng viên mới") == TargetDraft(
        "Kết nạp 2 đảng viên mới", 2, ""
    )


@pytest.mark.parametrize(
    ("typed", "code", "line"),
    [
        ("Kết nạp đảng viên mới: hai người", "pact_plan_not_number", 1),
        ("Kết nạp đảng viên mới: 2 người\nTỷ lệ: 0 %", "pact_plan_not_positive", 2),
        ("Kết nạp đảng viên mới: -2 người", "pact_plan_not_positive", 1),
        ("A: 1\nB: 2\n: 3", "pact_target_empty", 3),
        ("Không vi phạm kỷ luật", "pact_target_format", 1),
        ("Kết nạp 2 đến 3 đảng viên", "pact_target_format", 1),
        ("Kết nạp đảng viên mới:", "pact_plan_not_number", 1),
    ],
)
def test_a_line_that_cannot_be_read_is_named(typed: str, code: str, line: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_targets(typed)
    assert caught.value.code == code
    assert caught.value.params["line"] == line


def test_no_target_or_too_many_targets_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_targets(" \n\n ")
    assert caught.value.code == "pact_targets_empty"
    with pytest.raises(InvalidInput) as caught:
        parse_targets("\n".join(f"Chỉ tiêu {n}: 1 lần" for n in range(pacts.MAX_TARGETS + 1)))
    assert caught.value.code == "pact_too_many_targets"


@pytest.mark.parametrize(("typed", "value"), [("1", 1), ("95 %", 95), ("1,5", 1.5), ("0", 0)])
def test_progress_values(typed: str, value: float) -> None:
    assert parse_progress(typed) == value


@pytest.mark.parametrize(
    ("typed", "code"),
    [("-1", "value_negative"), ("một", "pact_value_not_number"), ("", "pact_value_not_number")],
)
def test_progress_that_is_negative_or_not_a_number_is_refused(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_progress(typed)
    assert caught.value.code == code


# --- the service ---------------------------------------------------------------------------------


@pytest.fixture
def world(db: Database, now: datetime) -> dict:
    with db.session() as session:
        c = factories.cell(session, now)
        _, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        _, deputy = factories.joined_member(session, c, "Đỗ Thị Phó", now, role=Role.DEPUTY)
        other = factories.cell(session, now, name="Chi bộ Kho bạc")
        return {
            "org_id": c.org.id,
            "secretary": c.secretary.id,
            "lan": lan.id,
            "deputy": deputy.id,
            "other_secretary": other.secretary.id,
        }


def _person(session: Session, world: dict, name: str) -> Person:
    found = session.get(Person, world[name])
    assert found is not None
    return found


def _open(session: Session, world: dict, now: datetime, **kw: object) -> Campaign:
    return pacts.open_pact(
        session=session,
        org_id=world["org_id"],
        year=2027,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
        targets=[
            TargetDraft("Kết nạp đảng viên mới", 2, "người"),
            TargetDraft("Đảng viên hoàn thành tốt nhiệm vụ trở lên", 100, "%"),
        ],
        actor=_person(session, world, "secretary"),
        now=now,
        **kw,  # type: ignore[arg-type]
    )


def test_a_pact_is_opened_with_its_targets_and_asks_nobody_to_register(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign = _open(session, world, now, title="Giao ước thi đua khối cơ quan 2027")
        assert campaign.kind == CampaignKind.PACT
        assert campaign.title == "Giao ước thi đua khối cơ quan 2027"
        targets = pacts.targets_of(session=session, campaign_id=campaign.id or 0)
        assert [(t.text, t.plan, t.unit, t.achieved) for t in targets] == [
            ("Kết nạp đảng viên mới", 2, "người", None),
            ("Đảng viên hoàn thành tốt nhiệm vụ trở lên", 100, "%", None),
        ]
        assert session.exec(select(Commitment)).all() == []
        org = session.get(Organisation, world["org_id"])
        assert org is not None
        later = now + timedelta(days=5)
        assert not campaigns.reminder_due(campaign=campaign, org=org, now=later)


def test_only_the_committee_opens_a_pact_and_one_a_year(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        with pytest.raises(NotAllowed):
            pacts.open_pact(
                session=session,
                org_id=world["org_id"],
                year=2027,
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 12, 31),
                targets=[TargetDraft("Kết nạp đảng viên mới", 2, "người")],
                actor=_person(session, world, "lan"),
                now=now,
            )
        assert session.exec(select(Campaign)).all() == []
        _open(session, world, now)
        with pytest.raises(Conflict):
            _open(session, world, now)


def test_a_pact_without_a_target_or_with_a_plan_of_zero_is_refused(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        secretary = _person(session, world, "secretary")
        for targets, code in (
            ([], "pact_targets_empty"),
            ([TargetDraft("Kết nạp", 0, "người")], "pact_plan_not_positive"),
            ([TargetDraft("  ", 2, "người")], "pact_target_empty"),
        ):
            with pytest.raises(InvalidInput) as caught:
                pacts.open_pact(
                    session=session,
                    org_id=world["org_id"],
                    year=2027,
                    starts_on=date(2027, 1, 1),
                    ends_on=date(2027, 12, 31),
                    targets=targets,
                    actor=secretary,
                    now=now,
                )
            assert caught.value.code == code
        assert session.exec(select(Campaign)).all() == []


def test_the_committee_records_progress_audited_and_the_card_shows_it(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign = _open(session, world, now)
        first, second = pacts.targets_of(session=session, campaign_id=campaign.id or 0)
        pacts.record_progress(
            session=session,
            target_id=first.id or 0,
            actor=_person(session, world, "deputy"),
            value=1,
            note="Đồng chí Lan đã được kết nạp",
            now=now,
        )
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "pact.progress")).one()
        assert entry.before == {"achieved": None, "note": ""}
        assert entry.after == {"achieved": 1, "note": "Đồng chí Lan đã được kết nạp"}
        assert entry.target == f"pacttarget:{first.id}"
        org = session.get(Organisation, world["org_id"])
        assert org is not None
        figures = pacts.PactFigures(campaign, [first, second])
        screen = pact_screen(VI, figures, org, committee=True)
        assert "1) Kết nạp đảng viên mới — đạt 1/2 người (50%)" in screen.text
        assert "Ghi chú: Đồng chí Lan đã được kết nạp" in screen.text
        assert "2) Đảng viên hoàn thành tốt nhiệm vụ trở lên — chưa ghi nhận (kế hoạch: 100%)" in (
            screen.text
        )
        assert "Thời gian: 01/01/2027 – 31/12/2027" in screen.text
        labels = [b.text for row in screen.keyboard for b in row]
        assert labels == ["✏️ Chỉ tiêu 1", "✏️ Chỉ tiêu 2", "🏁 Kết thúc giao ước"]
        # A member reads the same card without the committee's buttons.
        assert pact_screen(VI, figures, org, committee=False).keyboard == []


def test_progress_refused_changes_nothing(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        campaign = _open(session, world, now)
        target = pacts.targets_of(session=session, campaign_id=campaign.id or 0)[0]
        cases = (
            ("lan", 1.0, NotAllowed, "pact_committee_only"),
            ("other_secretary", 1.0, NotAllowed, "pact_other_cell"),
            ("secretary", -1.0, InvalidInput, "value_negative"),
        )
        for who, value, error, code in cases:
            with pytest.raises(error) as caught:
                pacts.record_progress(
                    session=session,
                    target_id=target.id or 0,
                    actor=_person(session, world, who),
                    value=value,
                    note=None,
                    now=now,
                )
            assert caught.value.code == code
        session.refresh(target)
        assert target.achieved is None
        assert (
            session.exec(select(AuditEntry).where(AuditEntry.action == "pact.progress")).all()
            == []
        )
        with pytest.raises(NotAllowed) as caught:
            pacts.readable(
                session=session,
                campaign_id=campaign.id or 0,
                person=_person(session, world, "other_secretary"),
            )
        assert caught.value.code == "pact_other_cell"


def test_closing_keeps_the_final_figures_and_freezes_them(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign = _open(session, world, now)
        first, _ = pacts.targets_of(session=session, campaign_id=campaign.id or 0)
        secretary = _person(session, world, "secretary")
        pacts.record_progress(
            session=session, target_id=first.id or 0, actor=secretary, value=2, note=None, now=now
        )
        with pytest.raises(NotAllowed):
            pacts.close_pact(
                session=session,
                campaign_id=campaign.id or 0,
                actor=_person(session, world, "lan"),
                now=now,
            )
        assert campaign.status == CampaignStatus.OPEN
        closed_at = now + timedelta(days=30)
        pacts.close_pact(
            session=session, campaign_id=campaign.id or 0, actor=secretary, now=closed_at
        )
        assert campaign.status == CampaignStatus.CLOSED
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "pact.close")).one()
        second = pacts.targets_of(session=session, campaign_id=campaign.id or 0)[1]
        assert entry.after == {
            "status": "closed",
            "achieved": {str(first.id): 2, str(second.id): None},
        }
        with pytest.raises(Conflict) as caught:
            pacts.record_progress(
                session=session,
                target_id=first.id or 0,
                actor=secretary,
                value=0,
                note=None,
                now=now,
            )
        assert caught.value.code == "pact_closed"
        session.refresh(first)
        assert first.achieved == 2
        # /camket keeps listing it, with its final figures, for a while after its closing.
        visible = pacts.visible_pacts(
            session=session, org_ids=[world["org_id"]], now=closed_at + timedelta(days=200)
        )
        assert [c.id for c in visible] == [campaign.id]
        gone = pacts.visible_pacts(
            session=session, org_ids=[world["org_id"]], now=closed_at + timedelta(days=401)
        )
        assert gone == []
        assert pacts.open_pacts(session=session, org_id=world["org_id"]) == []


def test_the_digest_lists_open_pacts_as_aggregates_and_not_as_registrations(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign = _open(session, world, now)
        first, _ = pacts.targets_of(session=session, campaign_id=campaign.id or 0)
        pacts.record_progress(
            session=session,
            target_id=first.id or 0,
            actor=_person(session, world, "secretary"),
            value=2,
            note=None,
            now=now,
        )
        org = session.get(Organisation, world["org_id"])
        assert org is not None
        figures = digests.digest_figures(session=session, org=org, now=now)
        assert figures.campaigns == []
        assert [p.campaign.id for p in figures.pacts] == [campaign.id]
        assert summary_lines(VI, figures.pacts) == [
            "🤝 Giao ước thi đua năm 2027: đạt 1/2 chỉ tiêu",
            "• Kết nạp đảng viên mới: đạt 2/2 người (100%)",
            "• Đảng viên hoàn thành tốt nhiệm vụ trở lên: chưa ghi nhận (kế hoạch: 100%)",
        ]


def test_the_period_report_lists_the_pacts_plan_against_achieved(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign = _open(session, world, now, title="Giao ước <khối> 2027")
        _, second = pacts.targets_of(session=session, campaign_id=campaign.id or 0)
        pacts.record_progress(
            session=session,
            target_id=second.id or 0,
            actor=_person(session, world, "secretary"),
            value=95,
            note=None,
            now=now,
        )
        org = session.get(Organisation, world["org_id"])
        assert org is not None
        meeting_at(
            session,
            world["org_id"],
            _person(session, world, "secretary"),
            datetime(2027, 3, 5, 12, 0, tzinfo=now.tzinfo),
            now,
        )
        later = datetime(2027, 7, 2, 3, 0, tzinfo=now.tzinfo)
        report = period_reports.period_report(
            session=session,
            org=org,
            period=period_reports.parse_period("2027-H1"),
            now=later,
        )
        assert [p.campaign.id for p in report.pacts] == [campaign.id]
        assert report.campaigns == []
        lines = report_lines(EN, report.pacts)
        assert lines[0] == "Giao ước <khối> 2027 (1 Jan 2027 – 31 Dec 2027, open): 0/2 targets met"
        assert lines[1] == "  - Kết nạp đảng viên mới: plan 2 người, achieved not recorded"
        assert (
            lines[2]
            == "  - Đảng viên hoàn thành tốt nhiệm vụ trở lên: plan 100%, achieved 95% (95%)"
        )
        body = dict(report_sections(VI, report))["2. Học tập và làm theo Bác; cam kết, đăng ký"]
        assert "Giao ước thi đua của chi bộ: 1." in body
