"""Check-in rounds, registration reminders and nudges: the rules, with times injected, on
each backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import Member, MemberStatus, Organisation, OutboxMessage, Person, Role
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CheckIn,
    CheckInRound,
    ItemStatus,
    LeaveReason,
    RoundStatus,
)
from bot.services import campaign_tick, campaigns, checkins, commitments, reviews
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests import factories
from tests.statements import count_statements
from tests.unit.test_commitments import fill

YEAR = 2027
# 08:00 on 1 January 2027 in Hà Nội is 01:00 UTC.
Q1_OPENS = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)


def _world(
    session: Session, now: datetime, extra: int = 0, name: str = "Chi bộ Văn phòng"
) -> dict:
    c = factories.cell(session, now, name=name)
    out: dict = {"org_id": c.org.id, "secretary": c.secretary}
    for key, name in (("lan", "Trần Thị Lan"), ("hung", "Lê Văn Hùng")):
        member, p = factories.joined_member(session, c, name, now)
        out[key], out[f"{key}_member"] = p, member.id
    exempt_member, _ = factories.joined_member(
        session, c, "Phạm Văn Miễn", now, status=MemberStatus.EXEMPT
    )
    out["exempt_member"] = exempt_member.id
    factories.joined_member(session, c, "Đỗ Thị Phó", now, role=Role.DEPUTY)
    if extra:
        factories.joined_members(session, c, [f"Đảng viên {i}" for i in range(extra)], now)
    out["campaign"] = campaigns.open_campaign(
        session=session,
        org_id=c.org.id or 0,
        draft=campaigns.CampaignDraft(
            kind=CampaignKind.PLEDGE,
            year=YEAR,
            deadline=date(2026, 12, 15),
            cadence=Cadence.QUARTERLY,
        ),
        actor=c.secretary,
        now=now,
    )
    return out


def _approve(session: Session, w: dict, who: Person, now: datetime) -> list[int]:
    campaign_id = w["campaign"].id
    draft = commitments.draft_for(session=session, campaign_id=campaign_id, person=who, now=now)
    fill(session, draft, who, now)
    commitments.submit(session=session, commitment_id=draft.id or 0, person=who, now=now)
    reviews.approve(session=session, commitment_id=draft.id or 0, actor=w["secretary"], now=now)
    return [i.id or 0 for i in commitments.items(session=session, commitment_id=draft.id or 0)]


def _rows(session: Session, prefix: str) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(prefix))
            .order_by(col(OutboxMessage.id))
        )
    )


def _people(session: Session, rows: list[OutboxMessage]) -> list[str]:
    names = []
    for row in rows:
        p = session.get(Person, row.person_id)
        assert p is not None
        names.append(p.display_name)
    return sorted(names)


def _local(y: int, m: int, d: int, hour: int, minute: int = 0) -> datetime:
    """An instant given in Hà Nội's time."""
    return datetime(y, m, d, hour, minute, tzinfo=UTC) - timedelta(hours=7)


# --- the calendar of rounds ----------------------------------------------------------------------


def test_quarterly_rounds_open_at_eight_and_close_when_the_next_opens(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        campaign: Campaign = w["campaign"]
        org = session.get(Organisation, w["org_id"])
        assert org is not None
        found = checkins.windows(campaign, org)
        assert [x.period_start for x in found] == [
            date(2027, 1, 1),
            date(2027, 4, 1),
            date(2027, 7, 1),
            date(2027, 10, 1),
        ]
        assert found[0].opens_at == Q1_OPENS
        assert found[0].closes_at == found[1].opens_at == _local(2027, 4, 1, 8)
        assert found[-1].closes_at == _local(2028, 1, 1, 0)
        campaign.cadence = Cadence.MONTHLY
        assert len(checkins.windows(campaign, org)) == 12
        campaign.cadence = Cadence.NONE
        assert checkins.windows(campaign, org) == []


def test_a_round_opens_once_and_only_members_with_approved_items_are_told(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        _approve(session, w, w["lan"], now)
        before = campaign_tick.run_due(session=session, now=Q1_OPENS - timedelta(minutes=1))
        assert before.opened == 0
        first = campaign_tick.run_due(session=session, now=Q1_OPENS + timedelta(minutes=1))
        second = campaign_tick.run_due(session=session, now=Q1_OPENS + timedelta(minutes=2))
        assert (first.opened, second.opened, second.rows) == (1, 0, 0)
        [round_] = session.exec(select(CheckInRound)).all()
        assert (round_.seq, round_.period_start, round_.status) == (
            1,
            date(2027, 1, 1),
            RoundStatus.OPEN,
        )
        rows = _rows(session, f"checkin:{round_.id}:open")
        assert _people(session, rows) == ["Trần Thị Lan"]
        text = rows[0].payload["text"]
        assert text.startswith("📊 <b>Đến kỳ báo cáo tiến độ</b> quý I/2027")
        assert "mở muộn" not in text


def test_after_downtime_only_the_latest_missed_round_opens_late(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        _approve(session, w, w["lan"], now)
        campaign_tick.run_due(session=session, now=Q1_OPENS + timedelta(minutes=1))
        # The bot was down from January to mid-July: the July round opens, late, and once.
        back = _local(2027, 7, 15, 10)
        report = campaign_tick.run_due(session=session, now=back)
        again = campaign_tick.run_due(session=session, now=back + timedelta(minutes=1))
        assert (report.opened, report.closed, again.opened) == (1, 1, 0)
        rounds = session.exec(select(CheckInRound).order_by(col(CheckInRound.seq))).all()
        assert [(r.seq, r.status) for r in rounds] == [
            (1, RoundStatus.CLOSED),
            (3, RoundStatus.OPEN),
        ]
        [row] = _rows(session, f"checkin:{rounds[1].id}:open")
        assert "quý III/2027" in row.payload["text"]
        assert "Kỳ báo cáo này mở muộn" in row.payload["text"]


# --- registration reminders ----------------------------------------------------------------------


def test_registration_reminders_go_to_non_submitters_by_day_every_two_days(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        lan = w["lan"]
        draft = commitments.draft_for(
            session=session, campaign_id=w["campaign"].id, person=lan, now=now
        )
        fill(session, draft, lan, now)
        commitments.submit(session=session, commitment_id=draft.id or 0, person=lan, now=now)
        hung_draft = commitments.draft_for(
            session=session, campaign_id=w["campaign"].id, person=w["hung"], now=now
        )
        assert hung_draft.id is not None
        # The opening notice counts as the first: nothing the next day.
        assert campaign_tick.run_due(session=session, now=_local(2026, 11, 23, 10)).reminded == 0
        night = campaign_tick.run_due(session=session, now=_local(2026, 11, 24, 22))
        assert (night.reminded, night.rows) == (0, 0)
        day = campaign_tick.run_due(session=session, now=_local(2026, 11, 25, 7, 30))
        assert day.reminded == 1
        rows = _rows(session, f"campaign:{w['campaign'].id}:remind")
        # A draft is not submitted; the exempt member and Lan (submitted) are not reminded.
        assert _people(session, rows) == ["Lê Văn Hùng", "Nguyễn Văn Bí", "Đỗ Thị Phó"]
        assert (
            rows[0]
            .payload["text"]
            .startswith("⏰ Nhắc: đồng chí chưa gửi bản cam kết năm 2027. Hạn nộp: 15/12/2026.")
        )
        assert "📝 Viết bản cam kết" in str(rows[0].payload)
        session.refresh(w["campaign"])
        assert w["campaign"].reminded_at == _local(2026, 11, 25, 7, 30)
        later = campaign_tick.run_due(session=session, now=_local(2026, 11, 26, 10))
        assert later.reminded == 0
        assert campaign_tick.run_due(session=session, now=_local(2026, 11, 27, 8)).reminded == 1
        # After the deadline, no more.
        assert campaign_tick.run_due(session=session, now=_local(2026, 12, 16, 10)).reminded == 0


# --- nudges --------------------------------------------------------------------------------------


def test_nudges_only_the_silent_by_day_at_most_twice(db: Database, now: datetime) -> None:
    with db.session() as session:
        w = _world(session, now)
        lan_items = _approve(session, w, w["lan"], now)
        _approve(session, w, w["hung"], now)
        _approve(session, w, w["secretary"], now)
        campaign_tick.run_due(session=session, now=Q1_OPENS)
        [round_] = session.exec(select(CheckInRound)).all()
        assert round_.id is not None
        checkins.answer(
            session=session,
            round_id=round_.id,
            item_id=lan_items[0],
            person=w["lan"],
            now=Q1_OPENS,
            status=ItemStatus.IN_PROGRESS,
        )
        checkins.set_leave(
            session=session,
            round_id=round_.id,
            person=w["secretary"],
            reason=LeaveReason.TRIP,
            now=Q1_OPENS,
        )
        assert campaign_tick.run_due(session=session, now=_local(2027, 1, 2, 10)).nudged == 0
        assert campaign_tick.run_due(session=session, now=_local(2027, 1, 3, 22)).nudged == 0
        assert campaign_tick.run_due(session=session, now=_local(2027, 1, 4, 7)).nudged == 1
        assert _people(session, _rows(session, f"checkin:{round_.id}:nudge1")) == ["Lê Văn Hùng"]
        assert campaign_tick.run_due(session=session, now=_local(2027, 1, 5, 10)).nudged == 0
        assert campaign_tick.run_due(session=session, now=_local(2027, 1, 6, 7)).nudged == 1
        assert campaign_tick.run_due(session=session, now=_local(2027, 1, 20, 10)).nudged == 0
        session.refresh(round_)
        assert round_.nudges == 2
        rows = _rows(session, f"checkin:{round_.id}:nudge")
        assert len(rows) == 2
        assert (
            rows[1].payload["text"].startswith("⏰ Nhắc: đồng chí chưa báo cáo tiến độ quý I/2027")
        )


# --- answers, leave and figures ------------------------------------------------------------------


def test_answers_are_kept_as_given_and_refused_once_the_round_closes(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        items = _approve(session, w, w["lan"], now)
        _approve(session, w, w["hung"], now)
        _approve(session, w, w["secretary"], now)
        campaign_tick.run_due(session=session, now=Q1_OPENS)
        [round_] = session.exec(select(CheckInRound)).all()
        rid = round_.id or 0
        lan = w["lan"]
        checkins.set_leave(
            session=session, round_id=rid, person=lan, reason=LeaveReason.SICK, now=Q1_OPENS
        )
        answer = checkins.answer(
            session=session,
            round_id=rid,
            item_id=items[0],
            person=lan,
            now=Q1_OPENS,
            status=ItemStatus.IN_PROGRESS,
        )
        checkins.answer(
            session=session, round_id=rid, item_id=items[0], person=lan, now=Q1_OPENS, value=40
        )
        checkins.answer(
            session=session,
            round_id=rid,
            item_id=items[0],
            person=lan,
            now=Q1_OPENS,
            note="  Đang  làm ",
        )
        session.refresh(answer)
        assert (answer.status, answer.value, answer.note) == (
            ItemStatus.IN_PROGRESS,
            40,
            "Đang làm",
        )
        mine = checkins.member_round(session=session, round_id=rid, person=lan, now=Q1_OPENS)
        assert mine.leave is None  # answering replaces the leave
        checkins.set_leave(
            session=session,
            round_id=rid,
            person=w["secretary"],
            reason=LeaveReason.LEAVE,
            now=Q1_OPENS,
        )
        figures = checkins.round_figures(session=session, round_=round_)
        assert [m.full_name for m in figures.answered] == ["Trần Thị Lan"]
        assert [m.full_name for m in figures.on_leave] == ["Nguyễn Văn Bí"]
        assert [m.full_name for m in figures.silent] == ["Lê Văn Hùng"]
        assert (figures.counted, figures.percent, figures.meets_bar) == (2, 50, False)
        with pytest.raises(InvalidInput):
            checkins.parse_value("tám")
        with pytest.raises(InvalidInput):
            checkins.parse_value("-3")
        assert checkins.parse_value("3,5 buổi") == 3.5
        closed = _local(2027, 4, 1, 8)
        with pytest.raises(Conflict) as refused:
            checkins.answer(
                session=session,
                round_id=rid,
                item_id=items[0],
                person=lan,
                now=closed,
                status=ItemStatus.DONE,
            )
        assert refused.value.code == "round_closed"
        session.refresh(answer)
        assert answer.status == ItemStatus.IN_PROGRESS


def test_the_bar_is_compared_exactly() -> None:
    round_ = CheckInRound(campaign_id=1, seq=1, period_start=date(2027, 1, 1))
    people = [Member(org_id=1, full_name=str(i)) for i in range(28)]
    figures = checkins.RoundFigures(round_, people[:26], [], people[26:])
    assert (figures.percent, figures.meets_bar) == (93, False)
    figures = checkins.RoundFigures(round_, people[:19], [], people[19:20])
    assert (figures.percent, figures.meets_bar) == (95, True)


# --- cost ----------------------------------------------------------------------------------------


def _tick_cost(db: Database, now: datetime, extra: int) -> int:
    with db.session() as session:
        w = _world(session, now, extra=extra, name=f"Chi bộ {extra}")
        _approve(session, w, w["lan"], now)
        _approve(session, w, w["hung"], now)
        campaign_id = w["campaign"].id
        # Registration still open on the day the first round opens: one tick does both.
        w["campaign"].deadline = date(2027, 1, 10)
        session.add(w["campaign"])
    with db.session() as session, count_statements(db) as counted:
        report = campaign_tick.run_due(session=session, now=Q1_OPENS + timedelta(hours=2))
    assert (report.opened, report.reminded) == (1, 1)
    assert report.rows == 2 + (2 + extra)  # the round to Lan and Hùng; the reminder to the rest
    with db.session() as session, count_statements(db) as nudged:
        report = campaign_tick.run_due(session=session, now=Q1_OPENS + timedelta(days=2, hours=3))
    # Lan and Hùng nudged; the second registration reminder to the same others.
    assert (report.nudged, report.reminded, report.rows) == (1, 1, 2 + (2 + extra))
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.status = CampaignStatus.CLOSED
        session.add(campaign)
    return counted.count + nudged.count


def test_tick_statements_do_not_grow_with_members(db: Database, now: datetime) -> None:
    small = _tick_cost(db, now, extra=0)
    assert _tick_cost(db, now, extra=15) == small


def test_an_answer_is_refused_for_an_item_that_is_not_ones_own(
    db: Database, now: datetime
) -> None:
    """Another member's item, an item that does not exist, and a person of another cell: each
    refused with its reason, nothing stored."""
    with db.session() as session:
        w = _world(session, now)
        lan_items = _approve(session, w, w["lan"], now)
        _approve(session, w, w["hung"], now)
        campaign_tick.run_due(session=session, now=Q1_OPENS)
        [round_] = session.exec(select(CheckInRound)).all()
        rid = round_.id or 0
        for item_id in (lan_items[0], 999_999):
            with pytest.raises(NotFound) as refused:
                checkins.answer(
                    session=session,
                    round_id=rid,
                    item_id=item_id,
                    person=w["hung"],
                    now=Q1_OPENS,
                    status=ItemStatus.DONE,
                )
            assert refused.value.code == "item_not_found"
        stranger = factories.person(session, "Người Ngoài", now)
        with pytest.raises(NotAllowed):
            checkins.answer(
                session=session,
                round_id=rid,
                item_id=lan_items[0],
                person=stranger,
                now=Q1_OPENS,
                status=ItemStatus.DONE,
            )
        assert session.exec(select(CheckIn)).all() == []
