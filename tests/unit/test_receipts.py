"""Reasons kept as codes or typed text, shown per reader; reopening a closed roll call."""

from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from bot.datetext import ParsedTime, combine
from bot.db import Database
from bot.i18n import translator
from bot.models import Meeting, MeetingKind, Role, RsvpAnswer
from bot.render_meetings import reason_text
from bot.services import attendance, audit, meetings, members, rsvps
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
START = combine(date(2026, 11, 26), ParsedTime(19, 30), HCM)  # a Thursday, 90 minutes


def _meeting(session: Session, c: factories.Cell, now: datetime) -> Meeting:
    draft = meetings.MeetingDraft(kind=MeetingKind.REGULAR, starts_at=START)
    return meetings.create_meeting(
        session=session, org_id=c.org.id, draft=draft, actor=c.secretary, now=now
    )


def test_a_reason_is_a_code_or_typed_text_and_a_second_tap_keeps_it(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = _meeting(session, c, now)
        _, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        answer = partial(
            rsvps.answer_rsvp, session=session, meeting_id=meeting.id, person=lan, now=now
        )
        _, _, rsvp = answer(answer=RsvpAnswer.EXCUSED, reason_code="illness")
        assert rsvp.reason == "code:illness"
        # Tapped "Vắng có lý do" again: the reason given stays.
        _, _, rsvp = answer(answer=RsvpAnswer.EXCUSED)
        assert rsvp.reason == "code:illness"
        _, _, rsvp = answer(answer=RsvpAnswer.EXCUSED, reason="  Họp   tổ <dân phố> ")
        assert rsvp.reason == "Họp tổ <dân phố>"
        # Attending drops the reason; excused again starts without one.
        _, _, rsvp = answer(answer=RsvpAnswer.ATTENDING)
        assert rsvp.reason is None
        _, _, rsvp = answer(answer=RsvpAnswer.EXCUSED)
        assert rsvp.reason is None
        with pytest.raises(InvalidInput) as info:
            answer(answer=RsvpAnswer.EXCUSED, reason_code="holiday")
        assert info.value.code == "reason_unknown"
        with pytest.raises(InvalidInput) as info:
            answer(answer=RsvpAnswer.EXCUSED, reason=" \u200b ")
        assert info.value.code == "reason_empty"
        assert (
            rsvps.answer_of(
                session=session, meeting_id=meeting.id, member_id=rsvp.member_id
            ).reason
            is None
        )


@pytest.mark.parametrize(
    ("stored", "vi", "en"),
    [
        ("code:illness", "Ốm đau", "Illness"),
        ("code:business_trip", "Đi công tác, học tập", "Business trip or study"),
        ("code:family", "Việc gia đình", "Family matters"),
        # Typed, or kept before reasons had codes: as it was, escaped for HTML.
        ("Đi khám <b>bệnh</b> & thuốc", *["Đi khám &lt;b&gt;bệnh&lt;/b&gt; &amp; thuốc"] * 2),
        ("code:unknown", "code:unknown", "code:unknown"),
        (None, "", ""),
    ],
)
def test_a_stored_reason_reads_in_each_language(stored: str | None, vi: str, en: str) -> None:
    assert reason_text(translator("vi", "Asia/Ho_Chi_Minh"), stored) == vi
    assert reason_text(translator("en", "Asia/Ho_Chi_Minh"), stored) == en


def test_the_reopening_window_ends_with_the_day_after_the_meeting() -> None:
    meeting = Meeting(org_id=1, starts_at=START, duration_minutes=90)
    assert attendance.reopen_until(meeting, HCM) == datetime(2026, 11, 28, 0, 0, tzinfo=HCM)
    # A meeting that runs past midnight: the day after the day it ends.
    late = Meeting(org_id=1, starts_at=START + timedelta(hours=4), duration_minutes=90)
    assert attendance.reopen_until(late, HCM) == datetime(2026, 11, 29, 0, 0, tzinfo=HCM)


def test_reopening_is_the_secretarys_or_deputys_within_the_window(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = _meeting(session, c, now)
        _, huong = factories.joined_member(session, c, "Trần Thị Hương", now, role=Role.COMMITTEE)
        call = attendance.roll_call(
            session=session, meeting_id=meeting.id, person=c.secretary, now=START
        )
        for member, _ in call.expected:
            attendance.cycle_mark(
                session=session,
                meeting_id=meeting.id,
                member_id=member.id,
                person=c.secretary,
                now=START,
            )
        attendance.close_roll_call(
            session=session, meeting_id=meeting.id, person=c.secretary, now=START
        )
        reopen = partial(attendance.reopen_roll_call, session=session, meeting_id=meeting.id)
        with pytest.raises(NotAllowed) as refused:
            reopen(person=huong, now=START + timedelta(hours=3))
        assert refused.value.code == "secretary_only"
        with pytest.raises(Conflict) as late:
            reopen(person=c.secretary, now=datetime(2026, 11, 28, 0, 0, tzinfo=HCM))
        assert late.value.code == "roll_call_reopen_over"
        assert meeting.roll_call_closed_at == START

        opened = reopen(person=c.secretary, now=datetime(2026, 11, 27, 23, 59, tzinfo=HCM))
        assert opened.roll_call_closed_at is None
        entry = audit.list_actions(session=session, org_id=c.org.id)[0]
        assert (entry.action, entry.target) == ("meeting.roll_call_reopen", f"#{meeting.id}")
        assert entry.before == {"closed_at": START.isoformat()}
        with pytest.raises(Conflict) as still_open:
            reopen(person=c.secretary, now=START + timedelta(hours=3))
        assert still_open.value.code == "roll_call_not_closed"
        assert members.membership_in(session=session, person=huong, org_id=c.org.id) is not None
