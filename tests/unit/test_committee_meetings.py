"""A họp chi ủy is for the committee: a plain member's answer or check-in is refused, the
roll call and its figures count the committee alone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.db import Database
from bot.models import MeetingKind, RsvpAnswer
from bot.services import attendance, meetings, rsvps
from bot.services.errors import NotAllowed
from tests import factories


def test_a_plain_member_takes_no_part_in_a_committee_meeting(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        _, lan = factories.joined_member(session, cell, "Trần Thị Lan", now)
        meeting = meetings.create_meeting(
            session=session,
            org_id=cell.org.id or 0,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.COMMITTEE, starts_at=now + timedelta(hours=1), place="Phòng họp"
            ),
            actor=cell.secretary,
            now=now,
        )
        with pytest.raises(NotAllowed) as refused:
            rsvps.answer_rsvp(
                session=session,
                meeting_id=meeting.id or 0,
                person=lan,
                answer=RsvpAnswer.ATTENDING,
                now=now,
            )
        assert refused.value.code == "committee_meeting"
        rsvps.answer_rsvp(
            session=session,
            meeting_id=meeting.id or 0,
            person=cell.secretary,
            answer=RsvpAnswer.ATTENDING,
            now=now,
        )
        during = meeting.starts_at + timedelta(minutes=5)
        with pytest.raises(NotAllowed):
            attendance.check_in(
                session=session, meeting_id=meeting.id or 0, person=lan, now=during
            )
        call = attendance.roll_call(
            session=session, meeting_id=meeting.id or 0, person=cell.secretary, now=during
        )
        assert [m.full_name for m, _ in call.expected] == ["Nguyễn Văn Bí"]
        figures = attendance.meeting_figures(session=session, meeting=meeting)
        assert figures.total == 1
