import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.flows.engine import Flow, FlowEngine, FlowKey, Step, StepKind
from bot.i18n import translator
from bot.models import (
    Account,
    FlowState,
    Meeting,
    MeetingKind,
    MeetingReminder,
    OutboxMessage,
    OutboxStatus,
    Person,
    Recurrence,
)
from bot.services import delivery, meetings, outbox, people, rollover, schedule, updates
from bot.services.delivery import Delivery
from bot.ui import Screen
from tests import factories

NOTE = Flow(
    name="note",
    steps=(Step("text", StepKind.TEXT, lambda ctx: "?", parse=lambda ctx, text: text),),
    complete=lambda ctx: Screen("ok"),
)


def mark(session: Session, update_id: int | str, at: datetime, channel: str = "telegram") -> bool:
    return updates.mark_processed(
        session=session, channel=channel, update_id=str(update_id), now=at
    )


def open_flow(session: Session, user: str, at: datetime) -> None:
    person = factories.person(session, f"user {user}", at)
    FlowEngine([NOTE]).start(
        session=session,
        name="note",
        key=FlowKey("telegram", user, user),
        person=person,
        t=translator("vi"),
        now=at,
    )


def statuses(session: Session) -> dict[str, OutboxStatus]:
    return {r.dedupe_key: r.status for r in session.exec(select(OutboxMessage))}


# --- updates ------------------------------------------------------------------------------------


def test_mark_processed_once_per_update(db: Database, now: datetime) -> None:
    with db.session() as session:
        assert mark(session, 1, now) is True
        assert mark(session, 1, now) is False
        assert mark(session, 2, now) is True
        assert mark(session, 1, now, channel="zalo") is True
        # Zalo's message ids are hex strings.
        assert mark(session, "8f3a9c0d5e", now, channel="zalo") is True
        assert mark(session, "8f3a9c0d5e", now, channel="zalo") is False
    with db.session() as session:
        assert mark(session, 1, now + timedelta(days=1)) is False
        assert updates.seen_before(session=session, channel="telegram", update_id="2")
        assert not updates.seen_before(session=session, channel="telegram", update_id="3")


def test_duplicate_mark_keeps_the_rest_of_the_transaction(db: Database, now: datetime) -> None:
    with db.session() as session:
        mark(session, 5, now)
    with db.session() as session:
        outbox.enqueue_message(
            session=session, dedupe_key="k", chat_id="1", text="x", now=now, is_group=False
        )
        assert mark(session, 5, now) is False
    with db.session() as session:
        assert list(statuses(session)) == ["k"]


def test_mark_processed_is_rolled_back_with_its_transaction(db: Database, now: datetime) -> None:
    def crashing_handler() -> None:
        with db.session() as session:
            assert mark(session, 9, now) is True
            raise RuntimeError("the handler crashed")

    with pytest.raises(RuntimeError):
        crashing_handler()
    with db.session() as session:
        # The update was not handled, so a redelivery must be handled.
        assert not updates.seen_before(session=session, channel="telegram", update_id="9")


# --- run_due ------------------------------------------------------------------------------------


def test_run_due_does_each_chore_once(db: Database, now: datetime) -> None:
    with db.session() as session:
        for key in ("stale", "fresh", "edge", "pending"):
            outbox.enqueue_message(
                session=session, dedupe_key=key, chat_id=key, text=key, now=now, is_group=False
            )
        claims = {
            "stale": timedelta(minutes=5, seconds=1),
            "fresh": timedelta(minutes=4),
            "edge": timedelta(minutes=4, seconds=59),
        }
        for key, age in claims.items():
            row = session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()
            delivery.claim(session=session, ids=[row.id], now=now - age)
        mark(session, 1, now - timedelta(days=8))
        mark(session, 2, now - timedelta(days=6, hours=23))
        open_flow(session, "31", now - timedelta(days=31))
        open_flow(session, "29", now - timedelta(days=29))

    with db.session() as session:
        report = schedule.run_due(session=session, now=now)
    assert (report.released_claims, report.forgotten_updates, report.expired_flows) == (1, 1, 1)

    with db.session() as session:
        assert statuses(session) == {
            "stale": OutboxStatus.PENDING,
            "fresh": OutboxStatus.SENDING,
            "edge": OutboxStatus.SENDING,
            "pending": OutboxStatus.PENDING,
        }
        assert not updates.seen_before(session=session, channel="telegram", update_id="1")
        assert updates.seen_before(session=session, channel="telegram", update_id="2")
        assert [s.user_id for s in session.exec(select(FlowState))] == ["29"]
        snapshot = statuses(session)

    with db.session() as session:
        again = schedule.run_due(session=session, now=now)
    assert (again.released_claims, again.forgotten_updates, again.expired_flows) == (0, 0, 0)
    with db.session() as session:
        assert statuses(session) == snapshot
        assert len(session.exec(select(FlowState)).all()) == 1


def test_a_flow_in_use_is_not_expired(db: Database, now: datetime) -> None:
    with db.session() as session:
        open_flow(session, "7", now - timedelta(days=40))
        state = FlowEngine.state(session, FlowKey("telegram", "7", "7"))
        state.updated_at = now - timedelta(days=1)  # answered recently
        session.add(state)
    with db.session() as session:
        assert schedule.run_due(session=session, now=now).expired_flows == 0


def test_later_tick_releases_what_became_stale(db: Database, now: datetime) -> None:
    with db.session() as session:
        outbox.enqueue_message(
            session=session, dedupe_key="m", chat_id="1", text="x", now=now, is_group=False
        )
        row = session.exec(select(OutboxMessage)).one()
        delivery.claim(session=session, ids=[row.id], now=now)
    with db.session() as session:
        assert (
            schedule.run_due(session=session, now=now + timedelta(minutes=1)).released_claims == 0
        )
    with db.session() as session:
        assert (
            schedule.run_due(session=session, now=now + timedelta(minutes=6)).released_claims == 1
        )
    with db.session() as session:
        assert statuses(session) == {"m": OutboxStatus.PENDING}


def test_run_due_purges_old_payloads_and_renews_the_callers_claims_first(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        for key in ("old", "mine", "dead"):
            outbox.enqueue_message(
                session=session,
                dedupe_key=key,
                chat_id=key,
                text=key,
                now=now - timedelta(days=200),
                is_group=False,
            )
        ids = {r.dedupe_key: r.id for r in session.exec(select(OutboxMessage))}
        delivery.claim(session=session, ids=[ids["old"]], now=now - timedelta(days=100))
        delivery.record_delivery(
            session=session,
            row_id=ids["old"],
            delivery=Delivery("sent", provider_message_id="1"),
            now=now - timedelta(days=100),
            retry_base=timedelta(seconds=1),
        )
        # Both claims look expired at `now` (the clock jumped since the last heartbeat), but
        # the caller is still sending "mine".
        claimed_at = now - timedelta(minutes=10)
        delivery.claim(session=session, ids=[ids["mine"]], now=claimed_at, holder="me")
        delivery.claim(session=session, ids=[ids["dead"]], now=claimed_at, holder="dead")

    with db.session() as session:
        report = schedule.run_due(
            session=session,
            now=now,
            holder="me",
            sending=[ids["mine"]],
            claim_lease=timedelta(seconds=15),
        )
    assert (report.purged_payloads, report.released_claims) == (1, 1)
    with db.session() as session:
        assert statuses(session) == {
            "old": OutboxStatus.SENT,
            "mine": OutboxStatus.SENDING,
            "dead": OutboxStatus.PENDING,
        }
        assert session.get(OutboxMessage, ids["mine"]).lease_until == now + timedelta(seconds=15)
        old = session.get(OutboxMessage, ids["old"])
        assert (old.payload, old.provider_message_id) == ({}, "1")
    with db.session() as session:
        short = schedule.run_due(session=session, now=now, retention=timedelta(days=400))
        assert short.purged_payloads == 0


# --- several processes at once ------------------------------------------------------------------


def _in_threads(*jobs: Callable[[], object]) -> list[object]:
    """Runs the jobs at once, each in its own thread; returns their results in order."""
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = jobs[index]()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


def _monthly_series(db: Database, now: datetime) -> tuple[int, datetime]:
    start = now + timedelta(days=1)
    with db.session() as session:
        cell = factories.cell(session, now)
        factories.joined_member(session, cell, "Trần Thị Lan", now)
        draft = meetings.MeetingDraft(
            kind=MeetingKind.REGULAR,
            starts_at=start,
            topic="Sinh hoạt thường kỳ",
            recurrence=Recurrence.MONTHLY_DAY,
        )
        first = meetings.create_meeting(
            session=session, org_id=cell.org.id, draft=draft, actor=cell.secretary, now=now
        )
        assert first.series_id is not None
        return first.series_id, start


def test_extend_series_in_two_sessions_at_once_creates_one_meeting(
    db: Database, now: datetime
) -> None:
    series_id, start = _monthly_series(db, now)
    first_has_inserted = threading.Event()

    def first() -> int:
        with db.session() as session:
            made = rollover.extend_series(session=session, now=start)
            first_has_inserted.set()
            # The other process extends the series while this transaction is still open: on
            # PostgreSQL its insert waits for this one, then does nothing.
            time.sleep(0.5)
            return len(made)

    def second() -> int:
        first_has_inserted.wait(10)
        with db.session() as session:
            return len(rollover.extend_series(session=session, now=start))

    assert sorted(_in_threads(first, second)) == [0, 1]  # type: ignore[type-var]
    with db.session() as session:
        starts = session.exec(
            select(Meeting.starts_at).where(Meeting.series_id == series_id)
        ).all()
        assert len(starts) == 2
        assert len(set(starts)) == 2
        reminders = session.exec(select(MeetingReminder)).all()
        # The new meeting's reminders were derived once (3 offsets and the start).
        assert len([r for r in reminders if r.due_at > start]) == 4


def test_an_occurrence_that_exists_is_not_added_again(db: Database, now: datetime) -> None:
    series_id, start = _monthly_series(db, now)
    with db.session() as session:
        [made] = rollover.extend_series(session=session, now=start)
        twin = Meeting(
            org_id=made.org_id,
            series_id=series_id,
            starts_at=made.starts_at,
            topic="Bản sao",
            created_at=now,
            updated_at=now,
        )
        # What a second process's insert finds once the first committed: nothing to do.
        assert rollover.add_occurrence(session=session, meeting=twin) is None
        twin.starts_at = made.starts_at + timedelta(days=31)
        added = rollover.add_occurrence(session=session, meeting=twin)
        assert added is not None
        assert (added.topic, added.series_id) == ("Bản sao", series_id)


def test_the_tick_in_two_processes_at_once_enqueues_each_reminder_once(
    db: Database, now: datetime
) -> None:
    _, start = _monthly_series(db, now)
    due = start - timedelta(hours=2)

    def tick() -> schedule.TickReport:
        with db.session() as session:
            return schedule.run_due(session=session, now=due)

    reports = _in_threads(tick, tick)
    with db.session() as session:
        keys = [
            r.dedupe_key
            for r in session.exec(select(OutboxMessage))
            if r.dedupe_key.startswith("reminder:")
        ]
    assert len(keys) == len(set(keys)) > 0
    assert sum(r.reminders.rows for r in reports) == len(keys)  # type: ignore[attr-defined]


def _ensure(db: Database, now: datetime, external_id: str, hold: float = 0.0) -> int:
    with db.session() as session:
        _, account = people.ensure_account(
            session=session,
            channel="telegram",
            external_id=external_id,
            display_name="Lê Văn Tám",
            username=None,
            now=now,
        )
        time.sleep(hold)
        assert account.id is not None
        return account.id


def test_a_new_account_seen_by_two_turns_at_once_is_created_once(
    db: Database, now: datetime
) -> None:
    first_has_inserted = threading.Event()

    def first() -> int:
        with db.session() as session:
            _, account = people.ensure_account(
                session=session,
                channel="telegram",
                external_id="4242",
                display_name="Lê Văn Tám",
                username=None,
                now=now,
            )
            first_has_inserted.set()
            time.sleep(0.5)
            assert account.id is not None
            return account.id

    def second() -> int:
        first_has_inserted.wait(10)
        return _ensure(db, now, "4242")

    ids = _in_threads(first, second)
    assert ids[0] == ids[1]
    with db.session() as session:
        assert len(session.exec(select(Account)).all()) == 1
        assert len(session.exec(select(Person)).all()) == 1


def test_a_turn_that_loses_the_insert_race_reads_the_winners_account(
    db: Database, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = _ensure(db, now, "777")
    real = people._account_and_person
    calls = {"n": 0}

    def stale_first_read(*args: object) -> object:
        # The first read happens before the other turn commits: it sees no account.
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(people, "_account_and_person", stale_first_read)
    with db.session() as session:
        person, account = people.ensure_account(
            session=session,
            channel="telegram",
            external_id="777",
            display_name="Lê Văn Tám (mới)",
            username="tam",
            now=now + timedelta(minutes=1),
        )
        # The rest of the turn's transaction goes on.
        outbox.enqueue_message(
            session=session, dedupe_key="after", chat_id="777", text="x", now=now, is_group=False
        )
    assert calls["n"] == 2
    assert account.id == winner
    with db.session() as session:
        assert len(session.exec(select(Person)).all()) == 1
        stored = session.get(Account, winner)
        assert (stored.username, stored.last_seen_at) == ("tam", now + timedelta(minutes=1))
        assert session.get(Person, person.id).display_name == "Lê Văn Tám (mới)"
        assert list(statuses(session)) == ["after"]
