from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import Account, OutboxMessage, OutboxStatus, PendingChoice, Priority, Reachability
from bot.services import outbox, quota
from bot.services.outbox import TELEGRAM_TEXT_LIMIT, Delivery
from bot.ui import Button, FileOut
from tests import factories

BASE = timedelta(seconds=10)


def enqueue(session: Session, key: str, now: datetime, chat: str = "1001", **kwargs) -> int:
    kwargs.setdefault("text", f"tin nhắn {key}")
    kwargs.setdefault("is_group", False)
    return outbox.enqueue_message(session=session, dedupe_key=key, chat_id=chat, now=now, **kwargs)


def row(session: Session, key: str) -> OutboxMessage:
    return session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()


def deliver(session: Session, row_id: int, delivery: Delivery, now: datetime, max_attempts=3):
    return outbox.record_delivery(
        session=session,
        row_id=row_id,
        delivery=delivery,
        now=now,
        retry_base=BASE,
        max_attempts=max_attempts,
    )


def test_same_dedupe_key_is_enqueued_once(db: Database, now: datetime) -> None:
    with db.session() as session:
        assert enqueue(session, "welcome:1", now, text="first") == 1
    with db.session() as session:
        assert enqueue(session, "welcome:1", now, text="second") == 0
        rows = session.exec(select(OutboxMessage)).all()
    assert [(r.dedupe_key, r.payload["text"]) for r in rows] == [("welcome:1", "first")]


def test_long_text_is_split_with_keyboard_on_last_part(db: Database, now: datetime) -> None:
    lines = [f"{i:04d} " + "đ" * 995 for i in range(10)]  # 10 lines of 1000 characters
    text = "\n".join(lines)
    keyboard = [[Button("✅ Đồng ý", data="yes")]]
    with db.session() as session:
        assert enqueue(session, "report", now, text=text, keyboard=keyboard) == 3
        assert enqueue(session, "report", now, text=text, keyboard=keyboard) == 0
    with db.session() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [r.dedupe_key for r in rows] == ["report#0", "report#1", "report#2"]
    assert all(len(r.payload["text"]) <= TELEGRAM_TEXT_LIMIT for r in rows)
    # Each part says where it stands, so a reader knows more follows.
    assert [r.payload["text"][-6:] for r in rows] == [" (1/3)", " (2/3)", " (3/3)"]
    assert "\n".join(r.payload["text"][:-6] for r in rows) == text
    assert [("keyboard" in r.payload) for r in rows] == [False, False, True]
    assert rows[-1].payload["keyboard"] == [[{"text": "✅ Đồng ý", "data": "yes"}]]


def test_zalo_rows_are_plain_text_with_numbered_options(db: Database, now: datetime) -> None:
    keyboard = [
        [Button("✅ Tham dự", data="rsvp|4|a"), Button("🙏 Vắng có lý do", data="rsvp|4|x")],
        [Button("✖️ Hủy", data="f|abc|2|~c")],
    ]
    text = "<b>Họp chi bộ</b> &amp; " + "x" * 2500
    with db.session() as session:
        assert enqueue(session, "z", now, text=text, keyboard=keyboard, channel="zalo") == 2
    with db.session() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        pending = session.exec(select(PendingChoice)).one()
    assert all(r.channel == "zalo" and len(r.payload["text"]) <= 2000 for r in rows)
    assert all("parse_mode" not in r.payload and "keyboard" not in r.payload for r in rows)
    assert rows[0].payload["text"].startswith("Họp chi bộ & xxx")
    assert rows[-1].payload["text"].endswith("1. ✅ Tham dự\n2. 🙏 Vắng có lý do\n0. ✖️ Hủy (2/2)")
    assert (pending.channel, pending.chat_id) == ("zalo", "1001")
    assert [(o["n"], o["data"]) for o in pending.options] == [
        (1, "rsvp|4|a"),
        (2, "rsvp|4|x"),
        (0, "f|abc|2|~c"),
    ]


def test_group_flag_is_what_the_caller_says(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "g", now, chat="-100500", is_group=True)
        enqueue(session, "p", now, chat="500", is_group=False)
        # No guessing from a leading "-": a Zalo id or a private chat may look like anything.
        enqueue(session, "minus", now, chat="-42", is_group=False)
        enqueue(session, "zalo-group", now, chat="abc123", is_group=True, channel="zalo")
    with db.session() as session:
        assert row(session, "g").is_group is True
        assert row(session, "p").is_group is False
        assert row(session, "minus").is_group is False
        assert row(session, "zalo-group").is_group is True


def test_group_flag_is_required(now: datetime) -> None:
    with pytest.raises(TypeError, match="is_group"):
        outbox.message_rows(dedupe_key="k", chat_id="-100", text="x", now=now)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="is_group"):
        outbox.document_row(  # type: ignore[call-arg]
            dedupe_key="k", chat_id="1", document=FileOut(filename="a.pdf", file_id="f"), now=now
        )


def test_due_candidates_priority_exclusion_and_due_time(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "bulk", now, chat="1", priority=Priority.BULK)
        enqueue(session, "normal", now, chat="2")
        enqueue(
            session, "later", now + timedelta(minutes=5), chat="3", priority=Priority.INTERACTIVE
        )
        enqueue(session, "excluded", now, chat="4", priority=Priority.INTERACTIVE)
        enqueue(session, "reply", now, chat="5", priority=Priority.INTERACTIVE)
    with db.session() as session:
        due = outbox.due_candidates(session=session, now=now, exclude_chats={"4"}, limit=10)
        assert [r.dedupe_key for r in due] == ["reply", "normal", "bulk"]
        assert [
            r.dedupe_key
            for r in outbox.due_candidates(session=session, now=now, exclude_chats=(), limit=2)
        ] == ["excluded", "reply"]
        later = outbox.due_candidates(
            session=session, now=now + timedelta(minutes=5), exclude_chats=(), limit=10
        )
        assert "later" in [r.dedupe_key for r in later]
        assert outbox.next_due_at(session=session) == now


def test_claim_is_exclusive(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "a", now)
        enqueue(session, "b", now)
        ids = [
            r.id
            for r in outbox.due_candidates(session=session, now=now, exclude_chats=(), limit=10)
        ]
    with db.session() as session:
        assert outbox.claim(session=session, ids=ids, now=now) == ids
    with db.session() as session:
        assert outbox.claim(session=session, ids=ids, now=now) == []
        assert outbox.due_candidates(session=session, now=now, exclude_chats=(), limit=10) == []
        assert {(r.status, r.attempts) for r in session.exec(select(OutboxMessage))} == {
            (OutboxStatus.SENDING, 1)
        }


def test_sent_stores_provider_id_and_marks_reachable(db: Database, now: datetime) -> None:
    with db.session() as session:
        person, account = factories.person_and_account(session, "Lan", now, started=False)
        group_person, group_account = factories.person_and_account(
            session, "Hoa", now, started=False
        )
        enqueue(session, "dm", now, chat=account.external_id, person_id=person.id)
        # A group whose id happens to equal an account's id: still a group.
        enqueue(
            session,
            "grp",
            now,
            chat=group_account.external_id,
            person_id=group_person.id,
            is_group=True,
        )
        ids = [row(session, "dm").id, row(session, "grp").id]
        outbox.claim(session=session, ids=ids, now=now)
    with db.session() as session:
        for row_id, provider in zip(ids, ("77", "78"), strict=True):
            deliver(session, row_id, Delivery("sent", provider_message_id=provider), now)
    with db.session() as session:
        dm = row(session, "dm")
        assert (dm.status, dm.provider_message_id, dm.sent_at) == (OutboxStatus.SENT, "77", now)
        assert session.get(Account, account.id).reachability == Reachability.OK
        # A message in the group says nothing about whether the person can be written to.
        assert session.get(Account, group_account.id).reachability == Reachability.UNKNOWN


@pytest.mark.parametrize("reach", [Reachability.BLOCKED, Reachability.NEVER_STARTED])
def test_unreachable_blocks_row_and_account(db: Database, now: datetime, reach) -> None:
    with db.session() as session:
        person, account = factories.person_and_account(session, "Lan", now)
        enqueue(session, "dm", now, chat=account.external_id, person_id=person.id)
        row_id = row(session, "dm").id
        outbox.claim(session=session, ids=[row_id], now=now)
    with db.session() as session:
        deliver(
            session, row_id, Delivery("unreachable", error="Forbidden", reachability=reach), now
        )
    with db.session() as session:
        assert row(session, "dm").status == OutboxStatus.BLOCKED
        assert row(session, "dm").last_error == "Forbidden"
        assert session.get(Account, account.id).reachability == reach
        assert (
            outbox.due_candidates(
                session=session, now=now + timedelta(days=1), exclude_chats=(), limit=10
            )
            == []
        )


def test_reachability_is_recorded_on_the_account_the_row_went_to(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        person, telegram = factories.person_and_account(session, "Lan", now)
        zalo = factories.add_account(session, person, now, channel="zalo")
        # Another person's Telegram account with the same id as Lan's Zalo account.
        _, same_id = factories.person_and_account(session, "Hoa", now)
        same_id.external_id = zalo.external_id
        session.add(same_id)
        session.flush()
        enqueue(session, "dm", now, chat=zalo.external_id, person_id=person.id, channel="zalo")
        row_id = row(session, "dm").id
        outbox.claim(session=session, ids=[row_id], now=now)
    with db.session() as session:
        deliver(
            session,
            row_id,
            Delivery("unreachable", error="blocked", reachability=Reachability.BLOCKED),
            now,
        )
    with db.session() as session:
        assert session.get(Account, zalo.id).reachability == Reachability.BLOCKED
        assert session.get(Account, telegram.id).reachability == Reachability.OK
        assert session.get(Account, same_id.id).reachability == Reachability.OK


def test_quota_refusal_is_recorded_and_not_retried(db: Database, now: datetime) -> None:
    with db.session() as session:
        person, account = factories.person_and_account(session, "Lan", now, channel="zalo")
        enqueue(session, "q", now, chat=account.external_id, person_id=person.id, channel="zalo")
        row_id = row(session, "q").id
        outbox.claim(session=session, ids=[row_id], now=now)
        updated = deliver(session, row_id, Delivery("quota", error="monthly quota"), now)
        assert updated.status == OutboxStatus.QUOTA
    with db.session() as session:
        assert row(session, "q").status == OutboxStatus.QUOTA
        assert row(session, "q").last_error == "monthly quota"
        assert session.get(Account, account.id).reachability == Reachability.OK
        later = now + timedelta(days=1)
        assert outbox.due_candidates(session=session, now=later, exclude_chats=(), limit=5) == []
        assert outbox.status_counts(session=session, key_prefix="q") == {OutboxStatus.QUOTA: 1}


def test_retry_backs_off_exponentially_then_fails(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
    at = now
    waits = []
    for _ in range(3):
        with db.session() as session:
            assert outbox.claim(session=session, ids=[row_id], now=at) == [row_id]
            updated = deliver(
                session, row_id, Delivery("retry", error="timeout"), at, max_attempts=4
            )
            assert updated.status == OutboxStatus.PENDING
            waits.append(updated.next_attempt_at - at)
            assert outbox.due_candidates(session=session, now=at, exclude_chats=(), limit=5) == []
            at = updated.next_attempt_at
    assert waits == [BASE, 2 * BASE, 4 * BASE]
    with db.session() as session:
        assert outbox.claim(session=session, ids=[row_id], now=at) == [row_id]
        final = deliver(session, row_id, Delivery("retry", error="timeout"), at, max_attempts=4)
    assert (final.status, final.attempts) == (OutboxStatus.FAILED, 4)


def test_retry_honours_retry_after(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
        outbox.claim(session=session, ids=[row_id], now=now)
        updated = deliver(session, row_id, Delivery("retry", retry_after=17), now)
    assert updated.next_attempt_at == now + timedelta(seconds=17)


def test_long_retry_after_is_not_cut_short(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
        outbox.claim(session=session, ids=[row_id], now=now)
        updated = deliver(session, row_id, Delivery("retry", retry_after=3600), now)
    assert updated.next_attempt_at >= now + timedelta(seconds=3600)


def test_failed_delivery_is_final(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
        outbox.claim(session=session, ids=[row_id], now=now)
        assert deliver(session, row_id, Delivery("failed", error="bad"), now).status == (
            OutboxStatus.FAILED
        )
        assert deliver(session, 999_999, Delivery("sent"), now) is None


def test_migrated_delivery_moves_row_to_new_chat(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        old = cell.org.group_chat_id
        enqueue(session, "m", now, chat=old, is_group=True)
        row_id = row(session, "m").id
        outbox.claim(session=session, ids=[row_id], now=now)
        deliver(session, row_id, Delivery("migrated", new_chat_id="-100321"), now)
    with db.session() as session:
        moved = row(session, "m")
        assert (moved.chat_id, moved.status) == ("-100321", OutboxStatus.PENDING)
        assert session.get(type(cell.org), cell.org.id).group_chat_id == "-100321"


def test_release_stale_claims(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "old", now)
        enqueue(session, "fresh", now)
        outbox.claim(
            session=session, ids=[row(session, "old").id], now=now - timedelta(minutes=10)
        )
        outbox.claim(session=session, ids=[row(session, "fresh").id], now=now)
    with db.session() as session:
        released = outbox.release_stale_claims(
            session=session, claimed_before=now - timedelta(minutes=5)
        )
    assert released == 1
    with db.session() as session:
        assert row(session, "old").status == OutboxStatus.PENDING
        assert row(session, "fresh").status == OutboxStatus.SENDING
        due = outbox.due_candidates(session=session, now=now, exclude_chats=(), limit=5)
        assert [r.dedupe_key for r in due] == ["old"]


def test_status_counts_by_key_prefix(db: Database, now: datetime) -> None:
    with db.session() as session:
        for n in range(4):
            enqueue(session, f"ann:7:{n}", now, chat=str(n))
        enqueue(session, "ann:8:0", now)
        first = row(session, "ann:7:0").id
        outbox.claim(session=session, ids=[first], now=now)
        deliver(session, first, Delivery("sent", provider_message_id="1"), now)
    with db.session() as session:
        counts = outbox.status_counts(session=session, key_prefix="ann:7:")
        assert counts == {OutboxStatus.SENT: 1, OutboxStatus.PENDING: 3}
        assert outbox.status_counts(session=session, key_prefix="none:") == {}


def test_quota_use_counts_this_months_zalo_deliveries(db: Database, now: datetime) -> None:
    last_month = now.replace(day=1) - timedelta(days=2)
    with db.session() as session:
        for index in range(5):
            enqueue(session, f"z{index}", now, chat=f"z{index}", channel="zalo")
        enqueue(session, "t0", now, chat="t0")
        enqueue(session, "old", last_month, chat="old", channel="zalo")
    with db.session() as session:
        for key in ["z0", "z1", "z2", "z3", "t0"]:
            r = row(session, key)
            r.status, r.sent_at = OutboxStatus.SENT, now
        r = row(session, "old")
        r.status, r.sent_at = OutboxStatus.SENT, last_month
        row(session, "z4").status = OutboxStatus.QUOTA
    with db.session() as session:
        use = quota.quota_use(session=session, channel="zalo", quota=5, now=now)
        below = quota.quota_use(session=session, channel="zalo", quota=10, now=now)
        calm = quota.quota_use(session=session, channel="telegram", quota=10, now=now)
    assert (use.sent, use.refused, use.quota) == (4, 1, 5)
    assert use.nearly_used
    # Under 80%, but the provider already refused one: that is worth a warning too.
    assert below.share == 0.4
    assert below.nearly_used
    assert (calm.sent, calm.refused, calm.nearly_used) == (1, 0, False)
