"""Changing a scheduled meeting's details (bot.services.meeting_edits)."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.models import AuditEntry, Meeting, MeetingKind, MeetingReminder
from bot.services import meeting_edits
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests import factories
from tests.unit.test_meetings import at, schedule


def _edit(session, c, meeting: Meeting | tuple[int, int], now, actor=None, **changes) -> Meeting:
    """Edits a meeting (or the meeting of this id, as a form of that version would)."""
    meeting_id, version = meeting if isinstance(meeting, tuple) else (meeting.id, meeting.version)
    return meeting_edits.edit_meeting(
        session=session,
        meeting_id=meeting_id or 0,
        version=version,
        actor=actor or c.secretary,
        now=now,
        edit=meeting_edits.MeetingEdit(**changes),
    )


def test_every_detail_changes_in_one_version_audited(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        lan_member, _ = factories.joined_member(session, c, "Trần Thị Lan", now)
        meeting = schedule(
            session, c, at(2026, 11, 26, 19, 30), now, kind=MeetingKind.THEMATIC, topic="Cũ"
        )
        changed = _edit(
            session,
            c,
            meeting,
            now,
            topic="Mới",
            duration_minutes=120,
            chair_member_id=lan_member.id,
            presenter_member_id=None,
            agenda=["Khai mạc", "Thảo luận"],
            reminder_offsets=[60],
        )
        assert changed.version == 2
        assert (changed.topic, changed.duration_minutes, changed.chair_member_id) == (
            "Mới",
            120,
            lan_member.id,
        )
        assert changed.agenda == ["Khai mạc", "Thảo luận"]
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "meeting.update"))
        assert entry.before is not None
        assert entry.after is not None
        assert entry.before["topic"] == "Cũ"
        assert set(entry.after) == {
            "topic",
            "duration_minutes",
            "chair_member_id",
            "agenda",
            "reminder_offsets",
        }
        pending = session.exec(
            select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id)
        ).all()
        live = sorted(r.offset_minutes for r in pending if r.version == 2)
        assert live == [0, 60]


def test_reminders_alone_keep_the_version(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        meeting = schedule(session, c, at(2026, 11, 26, 19, 30), now)
        changed = _edit(session, c, meeting, now, reminder_offsets=[2 * 24 * 60, 60])
        assert (changed.version, changed.reminder_offsets) == (1, [2880, 60])
        due = {
            r.offset_minutes: r.due_at
            for r in session.exec(
                select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id)
            )
            if r.done_at is None
        }
        assert due == {
            2880: meeting.starts_at - timedelta(days=2),
            60: meeting.starts_at - timedelta(hours=1),
            0: meeting.starts_at,
        }
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "meeting.reminders"))
        assert entry.after == {"reminder_offsets": [2880, 60]}


def test_bad_edits_are_refused(db: Database, now: datetime) -> None:
    with db.session() as session:
        c = factories.cell(session, now)
        other = factories.cell(session, now, name="Chi bộ Kỹ thuật")
        outsider, _ = factories.joined_member(session, other, "Phạm Văn Đức", now)
        _, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        meeting = schedule(session, c, at(2026, 11, 26, 19, 30), now)
        meeting_id, version = meeting.id, meeting.version
    cases = [
        ({"duration_minutes": 5}, InvalidInput, "bad_duration"),
        ({"topic": "x" * 501}, InvalidInput, "topic_too_long"),
        ({"chair_member_id": outsider.id}, NotFound, "member_not_found"),
        ({"reminder_offsets": [0]}, InvalidInput, "bad_offsets"),
    ]
    for changes, error, code in cases:
        with pytest.raises(error) as info, db.session() as session:
            _edit(session, c, (meeting_id, version), now, **changes)
        assert info.value.code == code
    with pytest.raises(NotAllowed), db.session() as session:
        _edit(session, c, (meeting_id, version), now, actor=lan, topic="Mới")
    with db.session() as session:
        found = session.get(Meeting, meeting_id)
        assert found is not None
        assert found.version == version
        _edit(session, c, found, now, topic="Mới")
    # A form opened before that change: refused.
    with pytest.raises(Conflict), db.session() as session:
        _edit(session, c, (meeting_id, version), now, topic="Khác")
