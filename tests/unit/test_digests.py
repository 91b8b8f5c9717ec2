"""The weekly digest: its figures and the committee's exceptions against data built through the
services, when it falls due (the cell's zone, DST, downtime, two ticks), and its cost per cell."""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from bot.i18n import translator
from bot.models import (
    AnnouncementKind,
    AnnouncementRecipient,
    AttendanceStatus,
    AudienceKind,
    AuditEntry,
    MeetingKind,
    Member,
    MemberStatus,
    Organisation,
    OutboxMessage,
    Person,
    Reachability,
    ReflectionKind,
    Role,
)
from bot.models.commitments import Cadence, CampaignKind
from bot.render_digests import committee_digest, group_digest
from bot.reports.chart import digest_chart
from bot.services import (
    announcements,
    attendance,
    campaigns,
    cell_settings,
    commitments,
    conclusions,
    digest_charts,
    digest_schedule,
    digests,
    meetings,
    notices,
    people,
    period_reports,
    reviews,
    self_reviews,
    tasks,
)
from bot.services.errors import InvalidInput, NotAllowed
from tests import factories
from tests.statements import count_statements
from tests.unit.test_commitments import fill


def local(y: int, m: int, d: int, hour: int, minute: int = 0) -> datetime:
    """An instant given in Hà Nội's time."""
    return datetime(y, m, d, hour, minute, tzinfo=UTC) - timedelta(hours=7)


# Sunday 22 November 2026, 10:00 in Hà Nội (tests/conftest.py NOW).
START = local(2026, 11, 22, 10)
MEETING = local(2026, 11, 23, 19)  # Monday evening
DIGEST_AT = local(2026, 11, 30, 7, 30)  # the Monday after, at the default time


@dataclass
class World:
    org_id: int
    secretary: Person
    ids: dict[str, int]


def meeting_at(session: Session, org_id: int, who: Person, at: datetime, now: datetime) -> int:
    meeting = meetings.create_meeting(
        session=session,
        org_id=org_id,
        draft=meetings.MeetingDraft(kind=MeetingKind.REGULAR, starts_at=at, place="Hội trường"),
        actor=who,
        now=now,
    )
    assert meeting.id is not None
    return meeting.id


def build(session: Session, extra: int = 0, name: str = "Chi bộ Văn phòng") -> World:
    """A cell with a held meeting (Hùng unexcused, Phó excused), a task for Hùng due on
    25/11, Lan's approved commitment and her commendation, and the next meeting in December."""
    now = START
    c = factories.cell(session, now, name=name)
    org_id = c.org.id or 0
    ids = {"secretary": c.secretary_member.id or 0}
    people_by_name = {}
    for key, full, status, role in (
        ("lan", "Trần Thị Lan", MemberStatus.FULL, Role.MEMBER),
        ("hung", "Lê Văn Hùng", MemberStatus.FULL, Role.MEMBER),
        ("mien", "Phạm Văn Miễn", MemberStatus.EXEMPT, Role.MEMBER),
        ("pho", "Đỗ Thị Phó", MemberStatus.FULL, Role.DEPUTY),
    ):
        member, p = factories.joined_member(session, c, full, now, role=role, status=status)
        ids[key], people_by_name[key] = member.id or 0, p
    joined = factories.joined_members(session, c, [f"Đảng viên {i}" for i in range(extra)], now)
    campaign = campaigns.open_campaign(
        session=session,
        org_id=org_id,
        draft=campaigns.CampaignDraft(
            kind=CampaignKind.PLEDGE, year=2027, deadline=date(2026, 12, 15), cadence=Cadence.NONE
        ),
        actor=c.secretary,
        now=now,
    )
    ids["campaign"] = campaign.id or 0
    lan = people_by_name["lan"]
    draft = commitments.draft_for(
        session=session, campaign_id=campaign.id or 0, person=lan, now=now
    )
    fill(session, draft, lan, now)
    commitments.submit(session=session, commitment_id=draft.id or 0, person=lan, now=now)
    reviews.approve(session=session, commitment_id=draft.id or 0, actor=c.secretary, now=now)
    self_reviews.commend(
        session=session,
        campaign_id=campaign.id or 0,
        member_id=ids["lan"],
        item_id=None,
        reason="Gương mẫu đi đầu trong học tập nghị quyết",
        actor=c.secretary,
        now=now,
    )
    meeting_id = meeting_at(session, org_id, c.secretary, MEETING, now)
    held = MEETING + timedelta(minutes=30)
    present = [ids["secretary"], ids["lan"]] + [m.id or 0 for m, _, _ in joined]
    for member_ids, status in (
        (present, AttendanceStatus.PRESENT),
        ([ids["hung"]], AttendanceStatus.UNEXCUSED),
        ([ids["pho"]], AttendanceStatus.EXCUSED),
    ):
        attendance.mark_many(
            session=session,
            meeting_id=meeting_id,
            member_ids=member_ids,
            status=status,
            person=c.secretary,
            now=held,
        )
    attendance.close_roll_call(
        session=session, meeting_id=meeting_id, person=c.secretary, now=held
    )
    conclusions.record(
        session=session,
        meeting_id=meeting_id,
        conclusion="Thống nhất kế hoạch tháng 12.",
        tasks=[
            conclusions.TaskDraft(
                ids["hung"], "Lê Văn Hùng", "Nộp báo cáo quý", date(2026, 11, 25)
            )
        ],
        actor=c.secretary,
        now=held,
    )
    ids["next"] = meeting_at(session, org_id, c.secretary, local(2026, 12, 3, 19), held)
    hung_account = people.accounts_of_people(
        session=session, person_ids=[people_by_name["hung"].id or 0]
    )[people_by_name["hung"].id or 0].address
    people.mark_reachability(
        session=session,
        channel=hung_account.channel,
        external_id=hung_account.external_id,
        reachability=Reachability.BLOCKED,
    )
    return World(org_id=org_id, secretary=c.secretary, ids=ids)


def _org(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    assert org is not None
    return org


def test_figures_and_exceptions(db: Database) -> None:
    with db.session() as session:
        w = build(session)
    with db.session() as session:
        org = _org(session, w.org_id)
        figures = digests.digest_figures(session=session, org=org, now=DIGEST_AT)
        found = digests.exceptions(session=session, figures=figures)
    assert figures.next_meeting is not None
    assert figures.next_meeting.id == w.ids["next"]
    assert figures.next_documents == 0
    assert figures.last_figures is not None
    # Present ÷ (total − exempt − attached): the secretary and Lan of the four expected.
    assert (figures.last_figures.present, figures.last_figures.denominator) == (2, 4)
    [pledge] = figures.campaigns
    assert (pledge.progress.registered, len(pledge.progress.expected)) == (1, 4)
    assert [m.full_name for _, m in pledge.examples] == ["Trần Thị Lan"]
    assert pledge.round is None
    # 30 November: the 2/9 and 3/2 are far; December's kiểm điểm is not yet; no thematic meeting.
    assert [u.kind for u in figures.upcoming] == ["thematic_due"]
    assert found.unexcused == ["Lê Văn Hùng"]
    assert found.consecutive_excused == []
    [(_, missing)] = found.missing_commitments
    assert sorted(missing) == ["Lê Văn Hùng", "Nguyễn Văn Bí", "Đỗ Thị Phó"]
    assert found.unreachable == [("Lê Văn Hùng", Reachability.BLOCKED)]
    assert [(task.description, owner) for task, owner in found.overdue_tasks] == [
        ("Nộp báo cáo quý", "Lê Văn Hùng")
    ]


def test_the_group_sees_aggregates_and_examples_and_the_committee_the_names(
    db: Database,
) -> None:
    with db.session() as session:
        w = build(session)
        org = _org(session, w.org_id)
        figures = digests.digest_figures(session=session, org=org, now=DIGEST_AT)
        found = digests.exceptions(session=session, figures=figures)
    t = translator("vi", "Asia/Ho_Chi_Minh")
    group = group_digest(t, figures)
    assert "2/4 đồng chí dự họp (50%)" in group
    assert "📝 Bản cam kết năm 2027: 1/4 đồng chí đã đăng ký (25%)." in group
    assert "• Quý này chưa có buổi sinh hoạt chuyên đề (quý kết thúc ngày 31/12/2026)" in group
    assert "🏅 Biểu dương: đồng chí Trần Thị Lan — Gương mẫu đi đầu" in group
    for shortfall in ("Lê Văn Hùng", "Đỗ Thị Phó", "Nộp báo cáo quý", "chặn"):
        assert shortfall not in group
    private = committee_digest(t, figures, found, posted_in_group=True)
    assert private.index("Chi ủy cần lưu ý") < private.index("Buổi sinh hoạt tới")
    assert "• Vắng không lý do ở buổi sinh hoạt gần nhất: Lê Văn Hùng" in private
    assert "• Đã chặn bot: Lê Văn Hùng" in private
    assert "• Nhiệm vụ đã quá hạn (25/11/2026): Nộp báo cáo quý — đồng chí Lê Văn Hùng" in (
        private
    )


def test_a_new_cell_gets_a_short_friendly_digest(db: Database) -> None:
    with db.session() as session:
        c = factories.cell(session, START)
        figures = digests.digest_figures(session=session, org=c.org, now=DIGEST_AT)
        found = digests.exceptions(session=session, figures=figures)
    assert figures.empty
    assert found.empty
    t = translator("vi", "Asia/Ho_Chi_Minh")
    text = group_digest(t, figures)
    assert text.splitlines()[1].startswith("Thưa các đồng chí, hiện chưa có số liệu")
    assert "Tuần này không có việc gì chi ủy cần lưu ý" in committee_digest(
        t, figures, found, posted_in_group=False
    )


# --- when it falls due ---------------------------------------------------------------------------


def test_next_digest_is_the_cells_day_and_time_in_its_zone() -> None:
    org = Organisation(name="x")  # Monday 07:30, Asia/Ho_Chi_Minh
    assert digest_schedule.next_digest_at(org, START) == local(2026, 11, 23, 7, 30)
    # Strictly after: at the due instant itself, the next one is a week later.
    due = local(2026, 11, 23, 7, 30)
    assert digest_schedule.next_digest_at(org, due) == due + timedelta(days=7)
    berlin = Organisation(name="y", timezone="Europe/Berlin")
    # 07:30 in Berlin stays 07:30 across the change to summer time on 28 March 2027.
    before = digest_schedule.next_digest_at(berlin, datetime(2027, 3, 20, tzinfo=UTC))
    after = digest_schedule.next_digest_at(berlin, datetime(2027, 3, 27, tzinfo=UTC))
    assert before == datetime(2027, 3, 22, 6, 30, tzinfo=UTC)
    assert after == datetime(2027, 3, 29, 5, 30, tzinfo=UTC)
    berlin.digest_enabled = False
    assert digest_schedule.next_digest_at(berlin, START) is None


def test_a_time_skipped_by_summer_time_is_refused_and_changes_nothing(db: Database) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert digest_schedule.missing_local_day(berlin, 6, "02:30", date(2026, 11, 22)) == date(
        2027, 3, 28
    )
    assert digest_schedule.missing_local_day(berlin, 6, "03:30", date(2026, 11, 22)) is None
    with db.session() as session:
        c = factories.cell(session, START)
        cell_settings.set_timezone(
            session=session,
            org_id=c.org.id or 0,
            person=c.secretary,
            timezone="Europe/Berlin",
            now=START,
        )
        with pytest.raises(InvalidInput) as refused:
            cell_settings.set_digest(
                session=session,
                org_id=c.org.id or 0,
                person=c.secretary,
                enabled=True,
                weekday=6,
                hhmm="2:30",
                now=START,
            )
        assert refused.value.code == "digest_time_missing"
        assert refused.value.params["day"] == date(2027, 3, 28)
        org = _org(session, c.org.id or 0)
        assert (org.digest_weekday, org.digest_time) == (0, "07:30")
        actions = session.exec(
            select(AuditEntry.action).where(col(AuditEntry.action).startswith("settings."))
        ).all()
        assert actions == ["settings.timezone"]


def test_bad_settings_are_refused(db: Database) -> None:
    with db.session() as session:
        c = factories.cell(session, START)
        _member, lan = factories.joined_member(session, c, "Trần Thị Lan", START)
        for name in ("Mars/Olympus", "Hanoi", "../etc/passwd", ""):
            with pytest.raises(InvalidInput) as refused:
                cell_settings.set_timezone(
                    session=session,
                    org_id=c.org.id or 0,
                    person=c.secretary,
                    timezone=name,
                    now=START,
                )
            assert refused.value.code == "bad_timezone"
        from bot.services.errors import NotAllowed

        with pytest.raises(NotAllowed):
            cell_settings.set_language(
                session=session, org_id=c.org.id or 0, person=lan, locale="en", now=START
            )
        assert _org(session, c.org.id or 0).timezone == "Asia/Ho_Chi_Minh"
        assert _org(session, c.org.id or 0).locale == "vi"


def _digest_rows(session: Session) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith("digest:"))
            .order_by(col(OutboxMessage.id))
        )
    )


def test_the_tick_sends_each_digest_once(db: Database) -> None:
    with db.session() as session:
        w = build(session)
    with db.session() as session:
        first = digest_schedule.run_due(session=session, now=START)
        assert first.sent == 0
        assert _org(session, w.org_id).digest_due_at == local(2026, 11, 23, 7, 30)
    late = local(2026, 11, 23, 9)  # an hour and a half late: still sent, once
    with db.session() as session:
        report = digest_schedule.run_due(session=session, now=late)
    assert (report.sent, report.skipped) == (1, 0)
    with db.session() as session:
        again = digest_schedule.run_due(session=session, now=late)
        assert again == digest_schedule.DigestReport()
        rows = _digest_rows(session)
        # The group, then the committee privately: the secretary and the deputy.
        assert [r.is_group for r in rows] == [True, False, False]
        assert all(r.dedupe_key.startswith(f"digest:{w.org_id}:20261123T0030") for r in rows)
        assert _org(session, w.org_id).digest_due_at == local(2026, 11, 30, 7, 30)


def test_two_ticks_that_both_read_the_due_instant_queue_one_digest(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        digest_schedule.run_due(session=session, now=START)
    due = local(2026, 11, 23, 7, 30)
    with db.session() as session:
        digest_schedule.run_due(session=session, now=due)
    with db.session() as session:
        # A second process that read the same due instant before the first one moved it on.
        org = _org(session, w.org_id)
        org.digest_due_at = due
        session.add(org)
    with db.session() as session:
        report = digest_schedule.run_due(session=session, now=due)
        assert (report.sent, report.rows) == (1, 0)
        assert len(_digest_rows(session)) == 3


def test_a_digest_missed_by_more_than_a_day_is_skipped(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        digest_schedule.run_due(session=session, now=START)
    back = local(2026, 11, 25, 12)  # the bot was down from Sunday to Wednesday
    with db.session() as session:
        report = digest_schedule.run_due(session=session, now=back)
        assert (report.sent, report.skipped) == (0, 1)
        assert _digest_rows(session) == []
        assert _org(session, w.org_id).digest_due_at == local(2026, 11, 30, 7, 30)


def _digest_cost(db: Database, extra: int) -> tuple[int, int]:
    with db.session() as session:
        w = build(session, extra=extra, name=f"Chi bộ {extra}")
        digest_schedule.run_due(session=session, now=START)
    with db.session() as session, count_statements(db) as counted:
        report = digest_schedule.run_due(session=session, now=local(2026, 11, 23, 7, 31))
    with db.session() as session:
        org = _org(session, w.org_id)
        org.digest_enabled = False
        session.add(org)
    return counted.count, report.rows


def test_a_digest_costs_the_same_statements_in_a_bigger_cell(db: Database) -> None:
    small, rows = _digest_cost(db, extra=0)
    assert rows == 3
    assert _digest_cost(db, extra=15) == (small, 3)


def test_a_digest_turned_off_is_not_sent(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        digest_schedule.run_due(session=session, now=START)
        cell_settings.set_digest(
            session=session,
            org_id=w.org_id,
            person=w.secretary,
            enabled=False,
            weekday=0,
            hhmm="07:30",
            now=START,
        )
        assert _org(session, w.org_id).digest_due_at is None
    with db.session() as session:
        report = digest_schedule.run_due(session=session, now=local(2026, 11, 23, 7, 31))
        assert report == digest_schedule.DigestReport()
        assert _digest_rows(session) == []
        cell_settings.set_digest(
            session=session,
            org_id=w.org_id,
            person=w.secretary,
            enabled=True,
            weekday=4,
            hhmm="19h",
            now=local(2026, 11, 23, 8),
        )
        org = _org(session, w.org_id)
        assert (org.digest_weekday, org.digest_time) == (4, "19:00")
        assert org.digest_due_at == local(2026, 11, 27, 19)


def test_a_zone_typed_with_spaces_is_read() -> None:
    assert cell_settings.check_timezone(" Asia/Ho Chi Minh ") == "Asia/Ho_Chi_Minh"
    assert cell_settings.check_timezone("UTC") == "UTC"


def _chart_cost(db: Database, extra: int) -> tuple[int, list[str]]:
    with db.session() as session:
        w = build(session, extra=extra, name=f"Chi bộ biểu đồ {extra}")
        digest_schedule.run_due(session=session, now=START)
        org = _org(session, w.org_id)
        org.digest_due_at = DIGEST_AT
        session.add(org)
    with db.session() as session, count_statements(db) as counted:
        report = digest_schedule.run_due(session=session, now=DIGEST_AT + timedelta(minutes=1))
        assert report.sent == 1
    with db.session() as session:
        rows = [r for r in _digest_rows(session) if r.org_id == w.org_id]
        org = _org(session, w.org_id)
        org.digest_enabled = False
        session.add(org)
        return counted.count, [r.method for r in rows]


def test_the_chart_follows_each_digest_at_the_same_cost_in_a_bigger_cell(db: Database) -> None:
    small, methods = _chart_cost(db, extra=0)
    # The group's digest and chart, then the secretary's and the deputy's digests and charts.
    assert sorted(methods) == ["send_message"] * 3 + ["send_photo"] * 3
    assert _chart_cost(db, extra=15) == (small, methods)


def test_the_chart_is_drawn_once_and_stored_once(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        committee = [
            r
            for r in notices.recipients(session=session, org_ids=[w.org_id])[w.org_id]
            if r.committee
        ]
        org = _org(session, w.org_id)
        rows = digest_schedule.chart_rows(
            session=session,
            org=org,
            people=committee,
            in_group=True,
            key="chart-test",
            now=DIGEST_AT,
            photos_by_url=False,
        )
        assert len(rows) == len(committee) + 1
        assert {r["payload"]["stored_file_id"] for r in rows} == {
            rows[0]["payload"]["stored_file_id"]
        }
        # A Zalo member gets no chart unless the operator publishes files, then by URL.
        zalo = [replace(r, channel="zalo") for r in committee]
        kwargs = {"session": session, "org": org, "people": zalo, "in_group": False}
        assert (
            digest_schedule.chart_rows(**kwargs, key="z", now=DIGEST_AT, photos_by_url=False) == []
        )
        by_url = digest_schedule.chart_rows(**kwargs, key="z", now=DIGEST_AT, photos_by_url=True)
        assert [(r["channel"], r["method"]) for r in by_url] == [("zalo", "send_photo")] * len(
            zalo
        )


def test_a_cell_with_nothing_to_draw_gets_no_chart(db: Database) -> None:
    with db.session() as session:
        c = factories.cell(session, START)
        series = digest_charts.chart_series(session=session, org=c.org, now=START)
        assert series.empty
        assert digest_chart(translator("vi"), series) is None


def test_the_chart_draws_vietnamese_within_a_phones_width(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        series = digest_charts.chart_series(
            session=session, org=_org(session, w.org_id), now=DIGEST_AT
        )
    # The held meeting: the secretary and Lan present of 4 counted (Miễn is exempt).
    assert [(p.day, p.percent) for p in series.attendance] == [(date(2026, 11, 23), 50)]
    assert series.responses == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning in matplotlib
        png = digest_chart(translator("vi"), series)
    assert png is not None
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width <= 1280
    assert height > width / 3


def _with_notices(session: Session, w: World) -> tuple[int, int]:
    """A notice asking for "✅ Đã nắm" and a study campaign, both sent on START; Lan confirms
    the notice and reads the study material (no reflection asked)."""
    lan = session.exec(select(Person).join(Member).where(Member.id == w.ids["lan"])).one()
    notice = announcements.create(
        session=session,
        draft=announcements.Draft(
            org_id=w.org_id, text="Nộp đảng phí quý IV trước 10/12.", audience=AudienceKind.CELL
        ),
        actor=w.secretary,
        now=START,
    )
    studied = announcements.create(
        session=session,
        draft=announcements.Draft(
            org_id=w.org_id,
            text="Học tập Nghị quyết Hội nghị Trung ương.",
            audience=AudienceKind.CELL,
            kind=AnnouncementKind.STUDY,
            deadline=START + timedelta(days=7),
            reflection=ReflectionKind.NONE,
            link="https://example.org/nghi-quyet.pdf",
        ),
        actor=w.secretary,
        now=START,
    )
    for found in (notice, studied):
        announcements.acknowledge(
            session=session, announcement_id=found.id or 0, person=lan, now=START
        )
    return notice.id or 0, studied.id or 0


def test_announcements_awaiting_and_study_are_counted_and_named_only_privately(
    db: Database,
) -> None:
    with db.session() as session:
        w = build(session)
        notice_id, study_id = _with_notices(session, w)
        reached = session.exec(
            select(AnnouncementRecipient).where(
                AnnouncementRecipient.announcement_id == notice_id,
                col(AnnouncementRecipient.chat_id).is_not(None),
            )
        ).all()
        figures = digests.digest_figures(
            session=session, org=_org(session, w.org_id), now=START + timedelta(hours=1)
        )
        found = digests.exceptions(session=session, figures=figures)
    # The author's own copy needs no confirmation: the secretary and Lan.
    [awaiting] = figures.awaiting
    assert (awaiting.announcement.id, awaiting.acknowledged) == (notice_id, 2)
    assert awaiting.audience == len(reached) > 1
    [studying] = figures.studies
    assert (studying.announcement.id, studying.complete) == (study_id, 2)
    t = translator("vi")
    group = group_digest(t, figures)
    assert f"📢 1 thông báo đang chờ xác nhận: 2/{len(reached)} đã xác nhận." in group
    assert (
        f"📚 Học tập “Học tập Nghị quyết Hội nghị Trung ương.”: 2/{studying.audience} "
        f"đồng chí đã hoàn thành ({round(200 / studying.audience)}%), hạn 29/11/2026."
    ) in group
    assert "Lê Văn Hùng" not in group
    private = committee_digest(t, figures, found, posted_in_group=True)
    [unconfirmed] = [line for line in private.splitlines() if line.startswith("• Chưa xác nhận")]
    assert unconfirmed.startswith("• Chưa xác nhận “Nộp đảng phí quý IV trước 10/12.”: ")
    assert "Lê Văn Hùng" in unconfirmed
    assert "Trần Thị Lan" not in unconfirmed
    [unfinished] = [line for line in private.splitlines() if "chưa hoàn thành" in line]
    assert "Lê Văn Hùng" in unfinished
    assert "Trần Thị Lan" not in unfinished


def _notice_cost(db: Database, extra: int) -> int:
    with db.session() as session:
        w = build(session, extra=extra, name=f"Chi bộ thông báo {extra}")
        _with_notices(session, w)
    with db.session() as session, count_statements(db) as counted:
        figures = digests.digest_figures(
            session=session, org=_org(session, w.org_id), now=START + timedelta(hours=1)
        )
        digests.exceptions(session=session, figures=figures)
    return counted.count


def test_announcements_in_the_digest_cost_the_same_statements_in_a_bigger_cell(
    db: Database,
) -> None:
    assert _notice_cost(db, extra=0) == _notice_cost(db, extra=15)


def test_a_task_marked_done_is_no_longer_overdue_and_counts_in_the_report(db: Database) -> None:
    with db.session() as session:
        w = build(session)
        org = _org(session, w.org_id)
        before = digests.exceptions(
            session=session,
            figures=digests.digest_figures(session=session, org=org, now=DIGEST_AT),
        )
        assert [task.description for task, _ in before.overdue_tasks] == ["Nộp báo cáo quý"]
        [task] = before.overdue_tasks[0][:1]
        lan = session.exec(select(Person).join(Member).where(Member.id == w.ids["lan"])).one()
        with pytest.raises(NotAllowed):
            tasks.mark_done(session=session, task_id=task.id or 0, person=lan, now=DIGEST_AT)
        _, already = tasks.mark_done(
            session=session, task_id=task.id or 0, person=w.secretary, now=DIGEST_AT
        )
        assert not already
        assert tasks.mark_done(
            session=session, task_id=task.id or 0, person=w.secretary, now=DIGEST_AT
        )[1]
        after = digests.exceptions(
            session=session,
            figures=digests.digest_figures(session=session, org=org, now=DIGEST_AT),
        )
        assert after.overdue_tasks == []
        report = period_reports.period_report(
            session=session, org=org, period=period_reports.parse_period("2026-11"), now=DIGEST_AT
        )
        assert (report.tasks, report.tasks_done) == (1, 1)
