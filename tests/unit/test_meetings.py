from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.datetext import ParsedTime, combine
from bot.db import Database
from bot.models import (
    Meeting,
    MeetingKind,
    MeetingReminder,
    MeetingStatus,
    Person,
    Role,
    RsvpAnswer,
)
from bot.services import audit, meetings, reminders, rsvps
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = 24 * 60


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A wall-clock time in Hà Nội, as the UTC instant."""
    return combine(date(y, m, d), ParsedTime(hh, mm), HCM)


def schedule(session: Session, c: factories.Cell, starts_at: datetime, now: datetime, **kw):
    actor: Person = kw.pop("actor", c.secretary)
    draft = meetings.MeetingDraft(
        kind=kw.pop("kind", MeetingKind.REGULAR), starts_at=starts_at, **kw
    )
    return meetings.create_meeting(
        session=session, org_id=c.org.id, draft=draft, actor=actor, now=now
    )


def move(session: Session, c: factories.Cell, meeting_id: int, version: int, when, **changes):
    return meetings.reschedule(
        session=session,
        meeting_id=meeting_id,
        version=version,
        actor=c.secretary,
        now=when,
        **changes,
    )


def reminders_of(session: Session, meeting: Meeting) -> set[tuple]:
    rows = session.exec(
        select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id)
    ).all()
    return {(r.version, r.offset_minutes, r.due_at, r.done_at, r.outcome) for r in rows}


# --- create ------------------------------------------------------------------------------------


def test_create_meeting_is_committee_only(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        _, member = factories.joined_member(session, c, "Trần Thị Lan", now)
        _, deputy = factories.joined_member(session, c, "Lê Văn Hùng", now, role=Role.DEPUTY)
        stranger = factories.person(session, "Phạm Minh Đức", now)
    for actor in (member, stranger):
        with pytest.raises(NotAllowed) as info, db.session() as session:
            schedule(session, c, at(2026, 11, 26, 19, 30), now, actor=actor)
        assert info.value.code == "committee_only"
    with db.session() as session:
        schedule(session, c, at(2026, 11, 26, 19, 30), now, actor=deputy)
    with db.session() as session:
        assert [m.created_by for m in session.exec(select(Meeting))] == [deputy.id]


def test_create_refuses_past_and_more_than_two_years_ahead(db: Database, now: datetime) -> None:
    two_years = now.replace(year=now.year + 2)
    with db.session() as session:
        c = factories.cell(session, now)
        for start, code in [
            (now, "meeting_in_past"),
            (now - timedelta(minutes=1), "meeting_in_past"),
            (two_years + timedelta(minutes=1), "meeting_too_far"),
        ]:
            with pytest.raises(InvalidInput) as info:
                schedule(session, c, start, now)
            assert info.value.code == code
        assert schedule(session, c, two_years, now).starts_at == two_years
        assert schedule(session, c, now + timedelta(minutes=1), now).id is not None


def test_reminders_are_derived_and_passed_ones_skipped(db: Database, now: datetime) -> None:
    start = at(2026, 11, 24, 19, 30)  # Tuesday, 2 days 9.5 hours from now
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, start, now, reminder_offsets=[120, 3 * DAY, DAY, 120])
        assert meeting.reminder_offsets == [3 * DAY, DAY, 120]
        assert reminders_of(session, meeting) == {
            (1, 3 * DAY, start - timedelta(days=3), now, "skipped"),  # due before it existed
            (1, DAY, start - timedelta(days=1), None, None),
            (1, 120, start - timedelta(hours=2), None, None),
            (1, 0, start, None, None),
        }
        entry = audit.list_actions(session=session, org_id=c.org.id)[0]
        assert (entry.action, entry.target) == ("meeting.create", f"#{meeting.id}")


# --- reschedule and cancel ----------------------------------------------------------------------


def test_reschedule_bumps_version_and_rederives_pending_reminders(
    db: Database, now: datetime
) -> None:
    start = at(2026, 11, 26, 19, 30)
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, start, now, reminder_offsets=[3 * DAY, DAY])
    sent_at = start - timedelta(days=3)
    with db.session() as session:
        assert reminders.send_due(session=session, now=sent_at).sent == 1
    later = sent_at + timedelta(hours=1)
    new_start = at(2026, 11, 26, 14, 0)  # earlier: its 3-day moment has passed
    with db.session() as session:
        hall = "Hội trường UBND phường"
        moved = move(session, c, meeting.id, 1, later, starts_at=new_start, place=hall)
        assert (moved.version, moved.starts_at, moved.place) == (2, new_start, hall)
        assert reminders_of(session, moved) == {
            (1, 3 * DAY, sent_at, sent_at, "sent"),  # done: kept
            (2, 3 * DAY, new_start - timedelta(days=3), later, "skipped"),  # already passed
            (2, DAY, new_start - timedelta(days=1), None, None),
            (2, 0, new_start, None, None),
        }
        entry = audit.list_actions(session=session, org_id=c.org.id)[0]
        assert entry.action == "meeting.update"
        assert entry.before["starts_at"] == start.isoformat()
        assert entry.after["starts_at"] == new_start.isoformat()


def test_reschedule_refuses_stale_started_cancelled_and_past(db: Database, now: datetime) -> None:
    start = at(2026, 11, 26, 19, 30)
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, start, now)
        other = schedule(session, c, at(2026, 12, 3, 19, 30), now)

    with db.session() as session:
        move(session, c, meeting.id, 1, now, starts_at=start + timedelta(hours=1))
    cases = [
        (Conflict, "meeting_changed", meeting.id, 1, now, start),
        (Conflict, "meeting_started", meeting.id, 2, start + timedelta(hours=1), start),
        (InvalidInput, "meeting_in_past", meeting.id, 2, now, now - timedelta(hours=1)),
    ]
    with db.session() as session:
        meetings.cancel_meeting(
            session=session, meeting_id=other.id, version=1, actor=c.secretary, now=now
        )
    cases.append((Conflict, "meeting_cancelled", other.id, 2, now, start))
    for error, code, meeting_id, version, when, to in cases:
        with pytest.raises(error) as info, db.session() as session:
            move(session, c, meeting_id, version, when, starts_at=to)
        assert info.value.code == code
    with db.session() as session:
        kept = session.get(Meeting, meeting.id)
        assert (kept.version, kept.starts_at) == (2, start + timedelta(hours=1))


def test_cancel_meeting_drops_pending_reminders_and_is_audited(
    db: Database, now: datetime
) -> None:
    start = at(2026, 11, 24, 19, 30)
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, start, now)  # the 3-day reminder is already done
        _, member = factories.joined_member(session, c, "Trần Thị Lan", now)
    with pytest.raises(NotAllowed), db.session() as session:
        meetings.cancel_meeting(
            session=session, meeting_id=meeting.id, version=1, actor=member, now=now
        )
    with db.session() as session:
        cancelled = meetings.cancel_meeting(
            session=session, meeting_id=meeting.id, version=1, actor=c.secretary, now=now
        )
        assert (cancelled.status, cancelled.version) == (MeetingStatus.CANCELLED, 2)
        assert reminders_of(session, meeting) == {
            (1, 3 * DAY, start - timedelta(days=3), now, "skipped")
        }
        entry = audit.list_actions(session=session, org_id=c.org.id)[0]
        assert (entry.action, entry.target) == ("meeting.cancel", f"#{meeting.id}")
        assert entry.after == {"status": "cancelled"}
        with pytest.raises(Conflict) as info:
            meetings.cancel_meeting(
                session=session, meeting_id=meeting.id, version=2, actor=c.secretary, now=now
            )
        assert info.value.code == "meeting_cancelled"


# --- RSVP --------------------------------------------------------------------------------------


def test_answer_rsvp_until_start_for_cell_members_only(db: Database, now: datetime) -> None:
    start = at(2026, 11, 26, 19, 30)
    with db.session() as session:
        c = factories.cell(session, now)
        other = factories.cell(session, now, name="Chi bộ Kỹ thuật")
        meeting = schedule(session, c, start, now)
        lan_member, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        _, outsider = factories.joined_member(session, other, "Đỗ Thị Hoa", now)

    def answer(p: Person, a: RsvpAnswer, t: datetime, reason: str | None = None):
        with db.session() as session:
            return rsvps.answer_rsvp(
                session=session, meeting_id=meeting.id, person=p, answer=a, now=t, reason=reason
            )

    with pytest.raises(NotAllowed) as info:
        answer(outsider, RsvpAnswer.ATTENDING, now)
    assert info.value.code == "not_in_this_cell"
    _, _, rsvp = answer(lan, RsvpAnswer.EXCUSED, now, reason="  Đi   công tác  Đà Nẵng ")
    assert (rsvp.member_id, rsvp.reason) == (lan_member.id, "Đi công tác Đà Nẵng")
    for reason, code in [("   ", "reason_empty"), ("ố" * 501, "reason_too_long")]:
        with pytest.raises(InvalidInput) as info:
            answer(lan, RsvpAnswer.EXCUSED, now, reason=reason)
        assert info.value.code == code
    assert answer(lan, RsvpAnswer.EXCUSED, now, reason="ố" * 500)[2].reason == "ố" * 500
    _, _, rsvp = answer(lan, RsvpAnswer.ATTENDING, start - timedelta(seconds=1), reason="x")
    assert (rsvp.answer, rsvp.reason) == (RsvpAnswer.ATTENDING, None)
    with pytest.raises(Conflict) as info:
        answer(lan, RsvpAnswer.EXCUSED, start, reason="Ốm")
    assert info.value.code == "meeting_started"
    with db.session() as session:
        answers = rsvps.by_member(session=session, meeting_id=meeting.id)
    assert [(a.member_id, a.answer) for a in answers.values()] == [
        (lan_member.id, RsvpAnswer.ATTENDING)
    ]


# --- parsing the form's answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 ngày, 1 ngày, 2 giờ", [3 * DAY, DAY, 120]),
        ("2 tiếng và 30 phút trước", [120, 30]),
        ("3d 1d 2h", [3 * DAY, DAY, 120]),
        ("1 day and 90 minutes before", [DAY, 90]),
        ("1 NGÀY; 24 giờ", [DAY]),  # the same moment twice is one reminder
        ("30 ngày", [30 * DAY]),
        ("Không", []),
        ("khong", []),
        # lengths as people say them
        ("1 tuần, 1 ngày, 2 tiếng", [7 * DAY, DAY, 120]),
        ("3 tuần", [21 * DAY]),  # once refused: weeks were not read
        ("hai ngày", [2 * DAY]),  # once refused: counts in words were not read
        ("nửa tiếng", [30]),
        ("1 tiếng rưỡi và 90 phút", [90]),
        ("1h30", [90]),
        ("a week, 2 hours and half an hour before", [7 * DAY, 120, 30]),
    ],
)
def test_parse_offsets(text: str, expected: list[int]) -> None:
    assert meetings.parse_offsets(text) == expected


@pytest.mark.parametrize(
    "text", ["5 tuần", "hai mươi ngày", "1 ngày rồi", "0 phút", "31 ngày", "", "2 phút 30"]
)
def test_parse_offsets_refusals(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        meetings.parse_offsets(text)
    assert info.value.code == "bad_offsets"
    with pytest.raises(InvalidInput) as info:
        meetings.parse_offsets("5 ngày, 4 ngày, 3 ngày, 2 ngày, 1 ngày, 1 giờ")
    assert (info.value.code, info.value.params) == ("too_many_offsets", {"limit": 5})


def test_parse_agenda_strips_bullets_and_blank_lines() -> None:
    text = "- Khai mạc\n\n• Thông tin   thời sự\n  * Đánh giá tháng trước\n+ Biểu quyết\n"
    expected = ["Khai mạc", "Thông tin thời sự", "Đánh giá tháng trước", "Biểu quyết"]
    assert meetings.parse_agenda(text) == expected
    assert len(meetings.parse_agenda("\n".join(f"Mục {i}" for i in range(20)))) == 20
    for text, code in [
        ("\n".join(f"Mục {i}" for i in range(21)), "agenda_too_long"),
        ("Khai mạc\n" + "đ" * 201, "agenda_line_too_long"),
    ]:
        with pytest.raises(InvalidInput) as info:
            meetings.parse_agenda(text)
        assert info.value.code == code


def test_validate_topic_and_place() -> None:
    assert meetings.validate_topic("  Học tập   và làm theo Bác ") == "Học tập và làm theo Bác"
    assert meetings.validate_topic("") == ""  # a regular meeting needs no topic
    assert meetings.validate_place(" Phòng họp   tầng 2 ") == "Phòng họp tầng 2"
    assert len(meetings.validate_place("p" * 300)) == 300
    for call, text, code in [
        (meetings.validate_topic, "ư" * 501, "topic_too_long"),
        (meetings.validate_place, "  \n ", "place_empty"),
        (meetings.validate_place, "p" * 301, "place_too_long"),
    ]:
        with pytest.raises(InvalidInput) as info:
            call(text)
        assert info.value.code == code
