"""The committee sees how a meeting's notice and reminders were delivered, expired ones too."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select, update

from bot.actions import build_actions
from bot.actions.core import Core, Incoming, IncomingKind
from bot.actions.turns import handle
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.flows.registry import build_engine
from bot.models import Account, MeetingKind, OutboxMessage, OutboxStatus
from bot.services import delivery, meetings, notices, outbox
from bot.ui import Screen, choice
from tests import factories


def test_the_answers_view_shows_expired_and_undelivered_messages(
    db: Database, now: datetime
) -> None:
    core = Core(
        settings=Settings(_env_file=None, TELEGRAM_BOT_TOKEN="1:test"),
        db=db,
        clock=ManualClock(now + timedelta(hours=3)),
        flows=build_engine(),
    )
    with db.session() as session:
        cell = factories.cell(session, now)
        for name in ("Trần Thị Lan", "Lê Văn Hùng", "Phạm Thị Mai"):
            factories.joined_member(session, cell, name, now)
        assert cell.org.id is not None
        meeting = meetings.create_meeting(
            session=session,
            org_id=cell.org.id,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.REGULAR, starts_at=now + timedelta(hours=2), place="Hội trường"
            ),
            actor=cell.secretary,
            now=now,
        )
        # The notice (4 people and the group), then a reminder that an outage outlived.
        for key, expires in (("notice", None), ("reminder", meeting.starts_at)):
            notices.announce_meeting(
                session=session,
                org=cell.org,
                build=lambda _t: Screen("Tin về cuộc họp"),
                key=f"{key}:{meeting.id}:v1",
                now=now,
                expires_at=expires,
            )
        # Another meeting's rows are not counted.
        notices.announce_meeting(
            session=session,
            org=cell.org,
            build=lambda _t: Screen("Tin khác"),
            key=f"notice:{(meeting.id or 0) + 100}:v1",
            now=now,
        )
        account = session.exec(select(Account).where(Account.person_id == cell.secretary.id)).one()
        secretary = account.external_id
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(f"notice:{meeting.id}:"))
            .values(status=OutboxStatus.SENT)
        )
        blocked = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.dedupe_key).startswith(f"notice:{meeting.id}:")
            )
        ).first()
        assert blocked is not None
        blocked.status = OutboxStatus.BLOCKED
        session.add(blocked)
        assert delivery.expire_overdue(session=session, now=meeting.starts_at) == 5
    with db.session() as session:
        assert outbox.meeting_delivery(
            session=session, org_id=cell.org.id, meeting_id=meeting.id or 0
        ) == {OutboxStatus.SENT: 4, OutboxStatus.BLOCKED: 1, OutboxStatus.EXPIRED: 5}

    handle(
        core,
        build_actions(),
        Incoming(
            channel="telegram",
            update_id="figures-1",
            chat_id=secretary,
            user_id=secretary,
            display_name="Bí thư",
            kind=IncomingKind.CHOICE,
            choice=choice("ma", meeting.id or 0),
            message_id="1",
        ),
    )
    with db.session() as session:
        [reply] = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith("u:telegram:"))
        ).all()
    assert (
        "📨 Thông báo và nhắc lịch: đã gửi 4, hết hạn 5, không gửi được 1."
        in reply.payload["text"]
    )


def test_a_change_withdraws_what_still_waits_about_the_old_details(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        factories.joined_member(session, cell, "Trần Thị Lan", now)
        assert cell.org.id is not None
        meeting = meetings.create_meeting(
            session=session,
            org_id=cell.org.id,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.REGULAR, starts_at=now + timedelta(days=2), place="Hội trường"
            ),
            actor=cell.secretary,
            now=now,
        )
        for key in (f"notice:{meeting.id}:v1", f"notice:{(meeting.id or 0) + 100}:v1"):
            notices.announce_meeting(
                session=session,
                org=cell.org,
                build=lambda _t: Screen("Giờ họp cũ"),
                key=key,
                now=now,
                expires_at=meeting.starts_at,
            )
        # One of them was delivered before the change: it stays sent.
        first = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.dedupe_key).startswith(f"notice:{meeting.id}:")
            )
        ).first()
        assert first is not None
        first.status = OutboxStatus.SENT
        session.add(first)
    with db.session() as session:
        moved = meetings.reschedule(
            session=session,
            meeting_id=meeting.id or 0,
            version=meeting.version,
            actor=cell.secretary,
            now=now,
            starts_at=now + timedelta(days=3),
        )
        assert outbox.meeting_delivery(
            session=session, org_id=cell.org.id, meeting_id=moved.id or 0
        ) == {OutboxStatus.SENT: 1, OutboxStatus.EXPIRED: 2}
        # Another meeting's notice is untouched.
        assert outbox.status_counts(
            session=session, key_prefix=f"notice:{(meeting.id or 0) + 100}:"
        ) == {OutboxStatus.PENDING: 3}
