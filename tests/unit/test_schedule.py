from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.flows.engine import Flow, FlowEngine, FlowKey, Step, StepKind
from bot.i18n import translator
from bot.models import FlowState, OutboxMessage, OutboxStatus
from bot.services import outbox, schedule, updates
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
            outbox.claim(session=session, ids=[row.id], now=now - age)
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
        outbox.claim(session=session, ids=[row.id], now=now)
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
