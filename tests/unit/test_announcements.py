"""Announcements: audiences, sending now or at a time, acknowledging, reminders and their
night window, the delivery ledger and "told in person", on each backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import (
    Announcement,
    AnnouncementStatus,
    AudienceKind,
    AuditEntry,
    MemberStatus,
    OutboxMessage,
    Person,
    Reachability,
    Role,
)
from bot.services import announcement_audience, announcement_ledger, announcements, people
from bot.services.announcement_ledger import Delivery, Reason
from bot.services.delivery import Delivery as Outcome
from bot.services.delivery import record_delivery
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from tests import factories


def _world(session: Session, now: datetime) -> dict:
    c = factories.cell(session, now)
    out: dict = {"cell": c, "org_id": c.org.id, "secretary": c.secretary}
    for key, name, role, status in (
        ("lan", "Trần Thị Lan", Role.MEMBER, MemberStatus.FULL),
        ("hung", "Lê Văn Hùng", Role.MEMBER, MemberStatus.PROBATIONARY),
        ("cuong", "Đỗ Văn Cường", Role.COMMITTEE, MemberStatus.FULL),
        ("mien", "Phạm Văn Miễn", Role.MEMBER, MemberStatus.EXEMPT),
    ):
        member, p = factories.joined_member(session, c, name, now, role=role, status=status)
        out[key], out[f"{key}_member"] = p, member
    from bot.services import members

    [waiting] = members.add_members(
        session=session,
        org_id=c.org.id or 0,
        names=["Vũ Thị Chưa"],
        role=Role.MEMBER,
        status=MemberStatus.FULL,
        actor=c.secretary,
        now=now,
    )
    out["chua_member"] = waiting
    return out


def _draft(world: dict, **kwargs: object) -> announcements.Draft:
    values: dict = {
        "org_id": world["org_id"],
        "text": "Họp chi bộ lúc 19h30 thứ Năm.",
        "audience": AudienceKind.CELL,
    }
    values.update(kwargs)
    return announcements.Draft(**values)


def _rows(session: Session, announcement_id: int, part: str = "m") -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(f"ann:{announcement_id}:{part}:"))
            .order_by(col(OutboxMessage.id))
        )
    )


# --- the audience --------------------------------------------------------------------------------


def test_each_audience_names_its_members_in_roster_order(db: Database, now: datetime) -> None:
    with db.session() as session:
        w = _world(session, now)
        cell = announcement_audience.audience(
            session=session, org_id=w["org_id"], kind=AudienceKind.CELL
        )
        # The exempt member is not nagged; the one who has not joined cannot be written to.
        assert [(a.full_name, a.recipient is not None) for a in cell] == [
            ("Nguyễn Văn Bí", True),
            ("Đỗ Văn Cường", True),
            ("Vũ Thị Chưa", False),
            ("Lê Văn Hùng", True),
            ("Trần Thị Lan", True),
        ]
        committee = announcement_audience.audience(
            session=session, org_id=w["org_id"], kind=AudienceKind.COMMITTEE
        )
        assert [a.full_name for a in committee] == ["Nguyễn Văn Bí", "Đỗ Văn Cường"]
        chosen = announcement_audience.audience(
            session=session,
            org_id=w["org_id"],
            kind=AudienceKind.CHOSEN,
            chosen=(w["mien_member"].id, w["lan_member"].id),
        )
        assert [a.full_name for a in chosen] == ["Phạm Văn Miễn", "Trần Thị Lan"]


def test_an_audience_nobody_can_receive_is_refused_with_its_reason(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)

        def refusal(*chosen: int) -> str:
            found = announcement_audience.audience(
                session=session, org_id=w["org_id"], kind=AudienceKind.CHOSEN, chosen=chosen
            )
            with pytest.raises(Conflict) as caught:
                announcement_audience.require_reachable(found)
            return caught.value.code

        assert refusal() == "audience_empty"
        assert refusal(w["chua_member"].id) == "audience_not_joined"
        [account] = people.accounts_of(session=session, person_id=w["lan"].id)
        people.mark_reachability(
            session=session,
            channel=account.channel,
            external_id=account.external_id,
            reachability=Reachability.BLOCKED,
        )
        assert refusal(w["lan_member"].id, w["chua_member"].id) == "audience_unreachable"
        with pytest.raises(Conflict):
            announcements.create(
                session=session,
                draft=_draft(
                    w, audience=AudienceKind.CHOSEN, chosen_member_ids=(w["lan_member"].id,)
                ),
                actor=w["secretary"],
                now=now,
            )
        assert session.exec(select(Announcement)).all() == []


# --- composing and sending -----------------------------------------------------------------------


def test_bad_text_time_or_author_is_refused(db: Database, now: datetime) -> None:
    with db.session() as session:
        w = _world(session, now)

        def code(error: type[Exception], actor: Person | None = None, **kwargs: object) -> str:
            with pytest.raises(error) as caught:
                announcements.create(
                    session=session,
                    draft=_draft(w, **kwargs),
                    actor=actor or w["secretary"],
                    now=now,
                )
            return caught.value.code  # type: ignore[attr-defined]

        assert code(InvalidInput, text="  \n ") == "announcement_empty"
        assert code(InvalidInput, text="x" * 10_001) == "announcement_too_long"
        assert code(InvalidInput, due_at=now - timedelta(minutes=1)) == "announcement_past"
        assert code(InvalidInput, due_at=now) == "announcement_past"
        assert code(NotAllowed, actor=w["lan"]) == "committee_only"
        assert session.exec(select(Announcement)).all() == []
        assert code(InvalidInput, text="x" * 10_000 + "\n.") == "announcement_too_long"
        text = "\n".join(f"{i:03d}. " + "x" * 93 for i in range(100))  # 9,899 characters
        longest = announcements.create(
            session=session, draft=_draft(w, text=text), actor=w["secretary"], now=now
        )
        assert longest.text == text
        # Split within each channel's limit (Telegram here), numbered "(1/3)".
        parts = [r for r in _rows(session, longest.id or 0) if r.person_id == w["lan"].id]
        # Parts break between lines (none cut), each within Telegram's 4,096 characters.
        count = len(parts)
        assert count >= 3
        assert [r.dedupe_key.rsplit("#", 1)[1] for r in parts] == [str(i) for i in range(count)]
        texts = [str(r.payload["text"]) for r in parts]
        assert texts[0].endswith(f"(1/{count})")
        assert all(len(t) <= 4096 for t in texts)
        joined = "\n".join(texts)
        assert all(f"{i:03d}. " + "x" * 93 in joined for i in range(100))


def test_sending_now_reaches_each_member_once(db: Database, now: datetime) -> None:
    with db.session() as session:
        w = _world(session, now)
        sent = announcements.create(
            session=session, draft=_draft(w), actor=w["secretary"], now=now
        )
        assert sent.status == AnnouncementStatus.SENT
        assert sent.sent_at == now
        org = announcements.org_of(session, sent)
        rows = _rows(session, sent.id or 0)
        assert sorted(r.person_id for r in rows) == sorted(
            p.id for p in (w["secretary"], w["lan"], w["hung"], w["cuong"])
        )
        assert rows[0].payload["keyboard"] == [[{"text": "✅ Đã nắm", "data": f"aa|{sent.id}"}]]
        # A second send (a crash after queueing, a second process) changes nothing.
        assert announcements.send(session=session, announcement=sent, org=org, now=now) == 0
        assert len(_rows(session, sent.id or 0)) == 4


def test_a_scheduled_announcement_waits_for_its_time(db: Database, now: datetime) -> None:
    due = now + timedelta(hours=2)
    with db.session() as session:
        w = _world(session, now)
        scheduled = announcements.create(
            session=session, draft=_draft(w, due_at=due), actor=w["secretary"], now=now
        )
        assert scheduled.status == AnnouncementStatus.SCHEDULED
        assert _rows(session, scheduled.id or 0) == []
        assert announcement_ledger.run_due(session=session, now=due - timedelta(minutes=1)) == 0
        assert announcement_ledger.run_due(session=session, now=due) == 1
        assert announcement_ledger.run_due(session=session, now=due + timedelta(minutes=5)) == 0
        assert len(_rows(session, scheduled.id or 0)) == 4
        session.refresh(scheduled)
        assert scheduled.status == AnnouncementStatus.SENT


def test_edit_and_cancel_only_before_it_goes_out(db: Database, now: datetime) -> None:
    due = now + timedelta(hours=2)
    with db.session() as session:
        w = _world(session, now)
        found = announcements.create(
            session=session, draft=_draft(w, due_at=due), actor=w["secretary"], now=now
        )
        aid = found.id or 0
        edited = announcements.edit(
            session=session,
            announcement_id=aid,
            version=1,
            actor=w["secretary"],
            now=now,
            text="Nội dung mới",
        )
        assert (edited.text, edited.version) == ("Nội dung mới", 2)
        with pytest.raises(Conflict, match="announcement_changed"):
            announcements.edit(
                session=session,
                announcement_id=aid,
                version=1,
                actor=w["secretary"],
                now=now,
                text="Cũ",
            )
        with pytest.raises(InvalidInput, match="announcement_past"):
            announcements.edit(
                session=session,
                announcement_id=aid,
                version=2,
                actor=w["secretary"],
                now=now,
                due_at=now - timedelta(hours=1),
            )
        with pytest.raises(NotAllowed):
            announcements.cancel(session=session, announcement_id=aid, actor=w["lan"], now=now)
        announcements.cancel(session=session, announcement_id=aid, actor=w["secretary"], now=now)
        assert announcement_ledger.run_due(session=session, now=due) == 0
        assert _rows(session, aid) == []
        with pytest.raises(Conflict, match="announcement_cancelled"):
            announcements.cancel(
                session=session, announcement_id=aid, actor=w["secretary"], now=now
            )
        actions = [
            e.action
            for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
            if e.action.startswith("announcement.")
        ]
        assert actions == ["announcement.create", "announcement.edit", "announcement.cancel"]


# --- acknowledging -------------------------------------------------------------------------------


def test_acknowledging_once_and_only_ones_own(db: Database, now: datetime) -> None:
    later = now + timedelta(minutes=10)
    with db.session() as session:
        w = _world(session, now)
        other = factories.cell(session, now, name="Chi bộ Khác")
        stranger = other.secretary
        committee_only = announcements.create(
            session=session,
            draft=_draft(w, audience=AudienceKind.COMMITTEE),
            actor=w["secretary"],
            now=now,
        )
        aid = committee_only.id or 0
        _, before = announcements.acknowledge(
            session=session, announcement_id=aid, person=w["cuong"], now=now
        )
        _, again = announcements.acknowledge(
            session=session, announcement_id=aid, person=w["cuong"], now=later
        )
        assert (before, again) == (False, True)
        ledger = announcement_ledger.ledger(session=session, announcement=committee_only)
        [cuong] = [e for e in ledger.entries if e.name == "Đỗ Văn Cường"]
        assert cuong.acked_at == now  # the second tap changed nothing
        for outsider in (w["lan"], stranger):  # not in the audience; another cell
            with pytest.raises(NotAllowed, match="not_your_announcement"):
                announcements.acknowledge(
                    session=session, announcement_id=aid, person=outsider, now=now
                )


# --- reminders -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((10, 0), None),
        ((20, 59), None),
        ((21, 0), (2, 7)),
        ((23, 30), (2, 7)),
        ((0, 15), (1, 7)),
        ((6, 59), (1, 7)),
        ((7, 0), None),
    ],
)
def test_the_night_window_is_the_cells_21_to_7(
    db: Database, now: datetime, local: tuple[int, int], expected: tuple[int, int] | None
) -> None:
    with db.session() as session:
        org = factories.cell(session, now).org
    # 1 March 2027 in Hà Nội (UTC+7).
    at = datetime(2027, 3, 1, *local, tzinfo=UTC) - timedelta(hours=7)
    found = announcement_ledger.quiet_until(org, at)
    if expected is None:
        assert found is None
    else:
        day, hour = expected
        assert found == datetime(2027, 3, day, hour, tzinfo=UTC) - timedelta(hours=7)


def test_a_reminder_reaches_only_the_silent_once_a_day_and_waits_for_morning(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        found = announcements.create(
            session=session, draft=_draft(w), actor=w["secretary"], now=now
        )
        aid = found.id or 0
        announcements.acknowledge(session=session, announcement_id=aid, person=w["lan"], now=now)
        with pytest.raises(NotAllowed):
            announcement_ledger.request_nudge(
                session=session, announcement_id=aid, actor=w["lan"], now=now
            )
        first = announcement_ledger.request_nudge(
            session=session, announcement_id=aid, actor=w["secretary"], now=now
        )
        assert first.sent == 2  # Hùng and Cường; not Lan (confirmed), not the author
        nudged = {r.person_id for r in _rows(session, aid, f"n{now.timestamp():.0f}")}
        assert nudged == {w["hung"].id, w["cuong"].id}
        soon = announcement_ledger.request_nudge(
            session=session,
            announcement_id=aid,
            actor=w["secretary"],
            now=now + timedelta(hours=23),
        )
        assert (soon.refused, soon.retry_at) == ("too_soon", now + timedelta(hours=24))
        # 22:00 in Hà Nội, more than a day later: queued for 07:00.
        night = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
        queued = announcement_ledger.request_nudge(
            session=session, announcement_id=aid, actor=w["secretary"], now=night
        )
        morning = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
        assert (queued.sent, queued.queued_for) == (0, morning)
        again = announcement_ledger.request_nudge(
            session=session, announcement_id=aid, actor=w["secretary"], now=night
        )
        assert again.refused == "queued"
        assert (
            announcement_ledger.run_due(session=session, now=morning - timedelta(minutes=1)) == 0
        )
        assert announcement_ledger.run_due(session=session, now=morning) == 1
        assert len(_rows(session, aid, f"n{morning.timestamp():.0f}")) == 2
        assert announcement_ledger.run_due(session=session, now=morning) == 0


# --- the ledger ----------------------------------------------------------------------------------


def test_the_ledger_adds_up_and_told_in_person_is_for_the_unreachable(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        found = announcements.create(
            session=session, draft=_draft(w), actor=w["secretary"], now=now
        )
        aid = found.id or 0
        rows = {r.person_id: r for r in _rows(session, aid)}
        outcomes = {
            w["secretary"].id: Outcome("sent", provider_message_id="1"),
            w["lan"].id: Outcome("sent", provider_message_id="2"),
            w["hung"].id: Outcome("unreachable", reachability=Reachability.BLOCKED),
            w["cuong"].id: Outcome("quota"),
        }
        for person_id, outcome in outcomes.items():
            record_delivery(
                session=session,
                row_id=rows[person_id].id or 0,
                delivery=outcome,
                now=now,
                retry_base=timedelta(seconds=1),
            )
        ledger = announcement_ledger.ledger(session=session, announcement=found)
        assert (ledger.audience, ledger.delivered, ledger.unreachable, ledger.pending) == (
            5,
            2,
            3,
            0,
        )
        assert ledger.delivered + ledger.unreachable + ledger.pending == ledger.audience
        assert {e.name: e.reason for e in ledger.unreached} == {
            "Đỗ Văn Cường": Reason.QUOTA,
            "Vũ Thị Chưa": Reason.NOT_JOINED,
            "Lê Văn Hùng": Reason.BLOCKED,
        }
        assert [e.name for e in ledger.waiting] == ["Trần Thị Lan"]
        with pytest.raises(Conflict, match="told_only_unreachable"):
            announcement_ledger.record_told_in_person(
                session=session,
                announcement_id=aid,
                member_id=w["lan_member"].id,
                actor=w["secretary"],
                now=now,
            )
        with pytest.raises(NotAllowed):
            announcement_ledger.record_told_in_person(
                session=session,
                announcement_id=aid,
                member_id=w["hung_member"].id,
                actor=w["cuong"],  # a committee member, not the secretary
                now=now,
            )
        announcement_ledger.record_told_in_person(
            session=session,
            announcement_id=aid,
            member_id=w["hung_member"].id,
            actor=w["secretary"],
            now=now,
        )
        [hung] = [
            e
            for e in announcement_ledger.ledger(session=session, announcement=found).entries
            if e.name == "Lê Văn Hùng"
        ]
        assert (hung.delivery, hung.told_at) == (Delivery.UNREACHABLE, now)
        with pytest.raises(Conflict, match="told_already"):
            announcement_ledger.record_told_in_person(
                session=session,
                announcement_id=aid,
                member_id=w["hung_member"].id,
                actor=w["secretary"],
                now=now,
            )
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "announcement.told_in_person")
        ).one()
        assert entry.actor_person_id == w["secretary"].id
