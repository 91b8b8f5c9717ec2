from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.datetext import ParsedTime, combine
from bot.db import Database
from bot.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MemberStatus,
    Person,
    Role,
    RsvpAnswer,
)
from bot.services import attendance, audit, meetings, members, rsvps
from bot.services.attendance import Figures
from bot.services.errors import Conflict, NotAllowed
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
P, E, U = AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.UNEXCUSED
FULL = MemberStatus.FULL
START = combine(date(2026, 11, 26), ParsedTime(19, 30), HCM)


def at(y: int, m: int, d: int, hh: int = 19, mm: int = 30) -> datetime:
    return combine(date(y, m, d), ParsedTime(hh, mm), HCM)


def schedule(session: Session, c: factories.Cell, start: datetime, created: datetime, **kw):
    draft = meetings.MeetingDraft(kind=kw.pop("kind", MeetingKind.REGULAR), starts_at=start, **kw)
    return meetings.create_meeting(
        session=session, org_id=c.org.id, draft=draft, actor=c.secretary, now=created
    )


def roll(session: Session, m: Meeting, p: Person, t: datetime) -> attendance.RollCall:
    return attendance.roll_call(session=session, meeting_id=m.id, person=p, now=t)


def close(session: Session, m: Meeting, p: Person, t: datetime) -> Figures:
    return attendance.close_roll_call(session=session, meeting_id=m.id, person=p, now=t)[1]


def tap(session: Session, m: Meeting, member_id: int, p: Person, t: datetime):
    return attendance.cycle_mark(
        session=session, meeting_id=m.id, member_id=member_id, person=p, now=t
    )


def add(session: Session, c: factories.Cell, names: list[str], status: MemberStatus, now):
    return members.add_members(
        session=session,
        org_id=c.org.id,
        names=names,
        role=Role.MEMBER,
        status=status,
        actor=c.secretary,
        now=now,
    )


def mark(session: Session, meeting: Meeting, member_id: int, status, actor: Person, when):
    """Taps a member's line until it shows `status` (at most one full turn)."""
    for _ in range(3):
        call = tap(session, meeting, member_id, actor, when)
        if {m.id: a for m, a in call.expected}[member_id].status == status:
            return
    raise AssertionError(f"{status} never reached")


def statuses(call: attendance.RollCall) -> dict[str, AttendanceStatus | None]:
    return {m.full_name: (a.status if a else None) for m, a in call.expected}


def test_roll_call_opens_an_hour_before_for_the_committee_only(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, START, now)
        _, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
    with pytest.raises(Conflict) as info, db.session() as session:
        roll(session, meeting, c.secretary, START - timedelta(minutes=61))
    assert info.value.code == "roll_call_not_open"
    with pytest.raises(NotAllowed), db.session() as session:
        roll(session, meeting, lan, START)
    with db.session() as session:
        call = roll(session, meeting, c.secretary, START - timedelta(hours=1))
    assert statuses(call) == {"Nguyễn Văn Bí": None, "Trần Thị Lan": None}


def test_roll_call_premarks_excused_answers_and_lists_others_apart(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, START, now)
        _, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        _, hung = factories.joined_member(
            session, c, "Lê Văn Hùng", now, status=MemberStatus.PROBATIONARY
        )
        factories.joined_member(session, c, "Phạm Thị Tư", now, status=MemberStatus.EXEMPT)
        factories.joined_member(
            session, c, "Đỗ Quang Minh", now, status=MemberStatus.ATTACHED_ELSEWHERE
        )
        rsvp = partial(rsvps.answer_rsvp, session=session, meeting_id=meeting.id, now=now)
        rsvp(person=lan, answer=RsvpAnswer.EXCUSED, reason="Đi công tác Hải Phòng")
        rsvp(person=hung, answer=RsvpAnswer.ATTENDING)
    with db.session() as session:
        call = roll(session, meeting, c.secretary, START)
    assert statuses(call) == {"Nguyễn Văn Bí": None, "Lê Văn Hùng": None, "Trần Thị Lan": E}
    assert [a.reason for m, a in call.expected if a] == ["Đi công tác Hải Phòng"]
    assert [m.full_name for m in call.exempt] == ["Phạm Thị Tư"]
    assert [m.full_name for m in call.attached] == ["Đỗ Quang Minh"]


def test_cycle_mark_order_and_closing(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, START, now)
        lan, _ = factories.joined_member(session, c, "Trần Thị Lan", now)
        hung, _ = factories.joined_member(session, c, "Lê Văn Hùng", now)
    seen = []
    with db.session() as session:
        for _ in range(4):
            seen.append(
                statuses(tap(session, meeting, lan.id, c.secretary, START))["Trần Thị Lan"]
            )
    assert seen == [P, E, U, P]

    def closing(when: datetime):
        with db.session() as session:
            return attendance.close_roll_call(
                session=session, meeting_id=meeting.id, person=c.secretary, now=when
            )

    with pytest.raises(Conflict) as info:
        closing(START + timedelta(minutes=90))
    assert (info.value.code, info.value.params) == ("roll_call_unmarked", {"n": 2})
    with db.session() as session:
        mark(session, meeting, c.secretary_member.id, P, c.secretary, START)
        mark(session, meeting, hung.id, U, c.secretary, START)
    closed, figures = closing(START + timedelta(minutes=90))
    assert closed.roll_call_closed_at == START + timedelta(minutes=90)
    assert (figures.present, figures.excused, figures.unexcused) == (2, 0, 1)
    assert figures.unexcused_names == ["Lê Văn Hùng"]
    with db.session() as session:
        entry = audit.list_actions(session=session, org_id=c.org.id)[0]
    assert (entry.action, entry.after["denominator"]) == ("meeting.roll_call", 3)
    with pytest.raises(Conflict) as info:
        closing(START + timedelta(hours=2))
    assert info.value.code == "roll_call_closed"


def test_figures_leave_exempt_and_attached_members_out(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        names = ["Trần Thị Lan", "Lê Văn Hùng", "Vũ Thị Thu", "Đinh Công Tráng"]
        roster = add(session, c, [*names, "Bùi Thị Xuân", "Ngô Văn Sở", "Đặng Thị Mai"], FULL, now)
        add(session, c, ["Phạm Thị Tư"], MemberStatus.EXEMPT, now)
        add(session, c, ["Đỗ Quang Minh"], MemberStatus.ATTACHED_ELSEWHERE, now)
        first = schedule(session, c, START, now)
        second = schedule(session, c, START + timedelta(days=7), now)
    # 10 on the roster, 8 expected; 7 present is 87.5% (more than 85%).
    expected = [c.secretary_member.id] + [m.id for m in roster]
    for meeting, last in [(first, U), (second, E)]:
        with db.session() as session:
            for member_id in expected[:-1]:
                mark(session, meeting, member_id, P, c.secretary, meeting.starts_at)
            mark(session, meeting, expected[-1], last, c.secretary, meeting.starts_at)
            figures = close(session, meeting, c.secretary, meeting.starts_at)
        assert (figures.total, figures.exempt, figures.attached) == (10, 1, 1)
        assert (figures.denominator, figures.present) == (8, 7)
        assert figures.rate == pytest.approx(7 / 8)
        assert figures.meets_bar is (last == E)  # one unexcused absence fails the bar


@pytest.mark.parametrize(
    ("present", "excused", "unexcused", "bar"),
    [(17, 3, 0, False), (18, 2, 0, True), (19, 0, 1, False), (0, 0, 0, False)],
)
def test_the_bar_is_more_than_85_percent_and_no_unexcused(present, excused, unexcused, bar):
    counts = {"present": present, "excused": excused, "unexcused": unexcused, "unmarked": 0}
    figures = Figures(total=23, exempt=2, attached=1, **counts)
    assert figures.denominator == 20
    assert figures.meets_bar is bar


def test_risks_consecutive_excused_and_three_months(db: Database) -> None:
    august = datetime(2026, 8, 1, tzinfo=UTC)
    plan = [  # (day, kind, Lan, Hùng, Hoa)
        (at(2026, 9, 10), MeetingKind.REGULAR, P, U, E),
        (at(2026, 9, 24), MeetingKind.THEMATIC, E, U, E),
        (at(2026, 10, 8), MeetingKind.REGULAR, E, E, P),
        # A họp chi ủy calls the committee alone (None: not on its roll call) and is not a
        # cell meeting: it breaks no run of excused absences.
        (at(2026, 10, 20), MeetingKind.COMMITTEE, None, None, None),
        (at(2026, 11, 12), MeetingKind.COMBINED, E, P, E),
    ]
    with db.session() as session:
        c = factories.cell(session, august)
        ids = [c.secretary_member.id] + [
            factories.joined_member(session, c, name, august)[0].id
            for name in ("Trần Thị Lan", "Lê Văn Hùng", "Nguyễn Thị Hoa")
        ]
        held = [schedule(session, c, day, august, kind=kind) for day, kind, *_ in plan]
    figures = []
    for meeting, (_, _, *marks) in zip(held, plan, strict=True):
        with db.session() as session:
            for member_id, status in zip(ids, [P, *marks], strict=True):
                if status is not None:
                    mark(session, meeting, member_id, status, c.secretary, meeting.starts_at)
            figures.append(close(session, meeting, c.secretary, meeting.starts_at))
    assert [f.consecutive_excused for f in figures] == [[], [], [], [], [("Trần Thị Lan", 3)]]
    # Hùng missed two meetings in September and one in October: two months, not three.
    assert figures[-1].missed_three_months == ["Trần Thị Lan"]
    assert figures[2].missed_three_months == []


def test_risks_start_again_with_the_year(db: Database) -> None:
    october = datetime(2026, 10, 1, tzinfo=UTC)
    days = [at(2026, 11, 12), at(2026, 12, 10), at(2027, 1, 1, 6, 0)]  # 1/1 06:00 is 31/12 UTC
    with db.session() as session:
        c = factories.cell(session, october)
        lan, _ = factories.joined_member(session, c, "Trần Thị Lan", october)
        held = [schedule(session, c, day, october) for day in days]
    for meeting in held:
        with db.session() as session:
            mark(session, meeting, c.secretary_member.id, P, c.secretary, meeting.starts_at)
            mark(session, meeting, lan.id, E, c.secretary, meeting.starts_at)
            figures = close(session, meeting, c.secretary, meeting.starts_at)
    assert held[-1].starts_at.year == 2026
    assert figures.consecutive_excused == []  # one excused absence in 2027 so far


def test_check_in_only_during_the_meeting_and_for_members(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, START, now)
        lan_member, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        hung_member, hung = factories.joined_member(session, c, "Lê Văn Hùng", now)
        other = factories.cell(session, now, name="Chi bộ Kỹ thuật")
        _, outsider = factories.joined_member(session, other, "Đỗ Thị Hoa", now)

    def check_in(person: Person, when: datetime):
        with db.session() as session:
            return attendance.check_in(
                session=session, meeting_id=meeting.id, person=person, now=when
            )

    end = START + timedelta(minutes=meeting.duration_minutes)
    for person, when, error, code in [
        (outsider, START, NotAllowed, "not_in_this_cell"),
        (lan, START - timedelta(hours=2), Conflict, "roll_call_not_open"),
        (lan, end + timedelta(minutes=1), Conflict, "check_in_over"),
    ]:
        with pytest.raises(error) as info:
            check_in(person, when)
        assert info.value.code == code
    assert check_in(lan, START + timedelta(minutes=3)).id == lan_member.id
    check_in(hung, end)
    with db.session() as session:
        rows = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    assert {(r.member_id, r.status, r.self_checked_in, r.marked_by) for r in rows} == {
        (lan_member.id, P, True, lan.id),
        (hung_member.id, P, True, hung.id),
    }
