import threading
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.channels import TELEGRAM
from bot.db import Database
from bot.models import Account, OutboxMessage, OutboxStatus, PendingChoice, Priority, Reachability
from bot.services import delivery, outbox, quota
from bot.services.delivery import Delivery
from bot.ui import Button, FileOut
from tests import factories
from tests.statements import count_statements

BASE = timedelta(seconds=10)


def enqueue(session: Session, key: str, now: datetime, chat: str = "1001", **kwargs) -> int:
    kwargs.setdefault("text", f"tin nhắn {key}")
    kwargs.setdefault("is_group", False)
    return outbox.enqueue_message(session=session, dedupe_key=key, chat_id=chat, now=now, **kwargs)


def row(session: Session, key: str) -> OutboxMessage:
    return session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()


def deliver(session: Session, row_id: int, outcome: Delivery, now: datetime):
    return delivery.record_delivery(
        session=session, row_id=row_id, delivery=outcome, now=now, retry_base=BASE
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
    assert all(len(r.payload["text"]) <= TELEGRAM.text_limit for r in rows)
    # Each part says where it stands, so a reader knows more follows.
    assert [r.payload["text"][-6:] for r in rows] == [" (1/3)", " (2/3)", " (3/3)"]
    assert "\n".join(r.payload["text"][:-6] for r in rows) == text
    assert [("keyboard" in r.payload) for r in rows] == [False, False, True]
    assert rows[-1].payload["keyboard"] == [[{"text": "✅ Đồng ý", "data": "yes"}]]


def test_zalo_rows_are_plain_text_with_numbered_options(db: Database, now: datetime) -> None:
    keyboard = [
        [Button("✅ Tham dự", data="rsvp|4|a"), Button("🙏 Vắng có lý do", data="rsvp|4|x")],
        [Button("✖️ Thoát", data="f|abc|2|~c")],
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
    assert (
        rows[-1].payload["text"].endswith("1. ✅ Tham dự\n2. 🙏 Vắng có lý do\n0. ✖️ Thoát (2/2)")
    )
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
        due = delivery.due_candidates(session=session, now=now, exclude_chats={"4"}, limit=10)
        assert [r.dedupe_key for r in due] == ["reply", "normal", "bulk"]
        assert [
            r.dedupe_key
            for r in delivery.due_candidates(session=session, now=now, exclude_chats=(), limit=2)
        ] == ["excluded", "reply"]
        later = delivery.due_candidates(
            session=session, now=now + timedelta(minutes=5), exclude_chats=(), limit=10
        )
        assert "later" in [r.dedupe_key for r in later]
        assert delivery.next_due_at(session=session) == now


def test_claim_is_exclusive(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "a", now)
        enqueue(session, "b", now)
        ids = [
            r.id
            for r in delivery.due_candidates(session=session, now=now, exclude_chats=(), limit=10)
        ]
    with db.session() as session:
        assert delivery.claim(session=session, ids=ids, now=now) == ids
    with db.session() as session:
        assert delivery.claim(session=session, ids=ids, now=now) == []
        assert delivery.due_candidates(session=session, now=now, exclude_chats=(), limit=10) == []
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
        delivery.claim(session=session, ids=ids, now=now)
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
        delivery.claim(session=session, ids=[row_id], now=now)
    with db.session() as session:
        deliver(
            session, row_id, Delivery("unreachable", error="Forbidden", reachability=reach), now
        )
    with db.session() as session:
        assert row(session, "dm").status == OutboxStatus.BLOCKED
        assert row(session, "dm").last_error == "Forbidden"
        assert session.get(Account, account.id).reachability == reach
        assert (
            delivery.due_candidates(
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
        delivery.claim(session=session, ids=[row_id], now=now)
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
        delivery.claim(session=session, ids=[row_id], now=now)
        updated = deliver(session, row_id, Delivery("quota", error="monthly quota"), now)
        assert updated.status == OutboxStatus.QUOTA
    with db.session() as session:
        assert row(session, "q").status == OutboxStatus.QUOTA
        assert row(session, "q").last_error == "monthly quota"
        assert session.get(Account, account.id).reachability == Reachability.OK
        later = now + timedelta(days=1)
        assert delivery.due_candidates(session=session, now=later, exclude_chats=(), limit=5) == []
        assert outbox.status_counts(session=session, key_prefix="q") == {OutboxStatus.QUOTA: 1}


def test_retry_backs_off_to_a_cap_and_never_gives_up(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
    at = now
    waits = []
    for _ in range(12):
        with db.session() as session:
            assert delivery.claim(session=session, ids=[row_id], now=at) == [row_id]
            updated = deliver(session, row_id, Delivery("retry", error="timeout"), at)
            assert updated.status == OutboxStatus.PENDING
            waits.append(updated.next_attempt_at - at)
            assert (
                delivery.due_candidates(session=session, now=at, exclude_chats=(), limit=5) == []
            )
            at = updated.next_attempt_at
    # 10 s doubling, then at the cap: 90-100% of five minutes, the same spread for one row.
    assert waits[:5] == [BASE, 2 * BASE, 4 * BASE, 8 * BASE, 16 * BASE]
    capped = waits[5:]
    assert len(set(capped)) == 1
    assert delivery.RETRY_CAP * 0.9 <= capped[0] <= delivery.RETRY_CAP
    assert row_id is not None
    assert at - now > timedelta(minutes=30)  # outlived an outage of half an hour


def test_capped_waits_are_spread_over_rows() -> None:
    waits = {
        delivery.retry_wait(attempts=20, row_id=i, base=BASE, cap=delivery.RETRY_CAP)
        for i in range(1, 50)
    }
    assert len(waits) > 20
    assert all(delivery.RETRY_CAP * 0.9 <= wait <= delivery.RETRY_CAP for wait in waits)


def test_a_retry_past_the_rows_moment_expires_it(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now, expires_at=now + timedelta(minutes=2))
        row_id = row(session, "m").id
        delivery.claim(session=session, ids=[row_id], now=now)
        first = deliver(session, row_id, Delivery("retry", error="502"), now)
        assert first.status == OutboxStatus.PENDING
    later = now + timedelta(minutes=2)
    with db.session() as session:
        delivery.claim(session=session, ids=[row_id], now=later)
        final = deliver(session, row_id, Delivery("retry", error="502"), later)
    assert final.status == OutboxStatus.EXPIRED


def test_replies_expire_after_an_hour_notices_never(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "reply", now, priority=Priority.INTERACTIVE)
        enqueue(session, "notice", now, priority=Priority.NORMAL)
        assert row(session, "reply").expires_at == now + timedelta(hours=1)
        assert row(session, "notice").expires_at is None


def test_the_tick_sweeps_overdue_rows_into_expired(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "soon", now, expires_at=now + timedelta(minutes=5))
        enqueue(session, "later", now, expires_at=now + timedelta(hours=5))
        enqueue(session, "never", now)
    with db.session() as session:
        assert delivery.expire_overdue(session=session, now=now + timedelta(minutes=5)) == 1
    with db.session() as session:
        assert row(session, "soon").status == OutboxStatus.EXPIRED
        assert row(session, "later").status == OutboxStatus.PENDING
        assert row(session, "never").status == OutboxStatus.PENDING
        assert outbox.status_counts(session=session, key_prefix="soon") == {
            OutboxStatus.EXPIRED: 1
        }


def test_retry_honours_retry_after(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
        delivery.claim(session=session, ids=[row_id], now=now)
        updated = deliver(session, row_id, Delivery("retry", retry_after=17), now)
    assert updated.next_attempt_at == now + timedelta(seconds=17)


def test_long_retry_after_is_not_cut_short(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
        delivery.claim(session=session, ids=[row_id], now=now)
        updated = deliver(session, row_id, Delivery("retry", retry_after=3600), now)
    assert updated.next_attempt_at >= now + timedelta(seconds=3600)


def test_failed_delivery_is_final(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
        delivery.claim(session=session, ids=[row_id], now=now)
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
        delivery.claim(session=session, ids=[row_id], now=now)
        deliver(session, row_id, Delivery("migrated", new_chat_id="-100321"), now)
    with db.session() as session:
        moved = row(session, "m")
        assert (moved.chat_id, moved.status) == ("-100321", OutboxStatus.PENDING)
        assert session.get(type(cell.org), cell.org.id).group_chat_id == "-100321"


def test_claim_records_its_holder_and_lease(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "a", now)
        enqueue(session, "b", now, chat="1002")
        ids = [row(session, "a").id, row(session, "b").id]
        assert (
            delivery.claim(
                session=session,
                ids=ids,
                now=now,
                holder="p1",
                lease_until=now + timedelta(seconds=15),
            )
            == ids
        )
    with db.session() as session:
        claimed = [row(session, key) for key in ("a", "b")]
    assert {(r.status, r.claimed_by, r.claimed_at, r.lease_until) for r in claimed} == {
        (OutboxStatus.SENDING, "p1", now, now + timedelta(seconds=15))
    }


def test_release_requeues_only_expired_claims(db: Database, now: datetime) -> None:
    lease = timedelta(seconds=15)
    with db.session() as session:
        for key in ("dead", "alive", "unowned"):
            enqueue(session, key, now, chat=key)
        # A process that died 20 s ago; one that renewed its claim a moment ago; a claim made
        # before claims had holders.
        delivery.claim(
            session=session,
            ids=[row(session, "dead").id],
            now=now - timedelta(seconds=20),
            holder="dead",
            lease_until=now - timedelta(seconds=20) + lease,
        )
        delivery.claim(
            session=session,
            ids=[row(session, "alive").id],
            now=now - timedelta(seconds=1),
            holder="alive",
            lease_until=now - timedelta(seconds=1) + lease,
        )
        delivery.claim(
            session=session, ids=[row(session, "unowned").id], now=now - timedelta(minutes=6)
        )
    with db.session() as session:
        assert delivery.release_stale_claims(session=session, now=now) == 2
    with db.session() as session:
        assert {k: row(session, k).status for k in ("dead", "alive", "unowned")} == {
            "dead": OutboxStatus.PENDING,
            "alive": OutboxStatus.SENDING,
            "unowned": OutboxStatus.PENDING,
        }
        dead = row(session, "dead")
        assert (dead.claimed_by, dead.lease_until, dead.attempts) == (None, None, 1)
        due = delivery.due_candidates(session=session, now=now, exclude_chats=(), limit=5)
        assert sorted(r.dedupe_key for r in due) == ["dead", "unowned"]
    with db.session() as session:
        # A live claim stays however often anyone asks, until its lease runs out.
        assert delivery.release_stale_claims(session=session, now=now) == 0
        until = now - timedelta(seconds=1) + lease
        assert delivery.release_stale_claims(session=session, now=until) == 0
        later = until + timedelta(milliseconds=1)
        assert delivery.release_stale_claims(session=session, now=later, channel="zalo") == 0
        assert delivery.release_stale_claims(session=session, now=later) == 1


def test_a_holder_renews_the_claims_it_is_sending(db: Database, now: datetime) -> None:
    lease = timedelta(seconds=15)
    with db.session() as session:
        for key in ("p1-a", "p1-b", "p1-cut", "p2"):
            enqueue(session, key, now, chat=key)
        ids = {key: row(session, key).id for key in ("p1-a", "p1-b", "p1-cut", "p2")}
        delivery.claim(
            session=session,
            ids=[ids["p1-a"], ids["p1-b"], ids["p1-cut"]],
            now=now,
            holder="p1",
            lease_until=now + lease,
        )
        delivery.claim(
            session=session, ids=[ids["p2"]], now=now, holder="p2", lease_until=now + lease
        )
    renewed_until = now + timedelta(seconds=40)
    with db.session() as session:
        # p1 still sends a and b; its claim on "cut" was cut short (it stopped meanwhile), and
        # p2's row is not p1's to renew.
        assert (
            delivery.extend_claims(
                session=session,
                holder="p1",
                ids=[ids["p1-a"], ids["p1-b"], ids["p2"]],
                until=renewed_until,
            )
            == 2
        )
        assert delivery.extend_claims(session=session, holder="p1", ids=[], until=now) == 0
    with db.session() as session:
        assert delivery.release_stale_claims(session=session, now=now + timedelta(seconds=30)) == 2
        assert {k: row(session, k).status for k in ids} == {
            "p1-a": OutboxStatus.SENDING,
            "p1-b": OutboxStatus.SENDING,
            "p1-cut": OutboxStatus.PENDING,
            "p2": OutboxStatus.PENDING,
        }
        assert row(session, "p1-a").lease_until == renewed_until


def test_a_row_claimed_again_by_another_process_is_left_to_it(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "m", now)
        row_id = row(session, "m").id
        delivery.claim(session=session, ids=[row_id], now=now, holder="slow")
    with db.session() as session:
        # "slow" stalled past its lease; the row went back and "fast" claimed it.
        delivery.release_stale_claims(session=session, now=now + timedelta(minutes=10))
        delivery.claim(
            session=session, ids=[row_id], now=now + timedelta(minutes=10), holder="fast"
        )
    with db.session() as session:
        delivery.record_delivery(
            session=session,
            row_id=row_id,
            delivery=Delivery("retry", error="timeout"),
            now=now,
            retry_base=BASE,
            holder="slow",
        )
    with db.session() as session:
        assert (row(session, "m").status, row(session, "m").claimed_by) == (
            OutboxStatus.SENDING,
            "fast",
        )
        delivery.record_delivery(
            session=session,
            row_id=row_id,
            delivery=Delivery("sent", provider_message_id="9"),
            now=now,
            retry_base=BASE,
            holder="fast",
        )
    with db.session() as session:
        sent = row(session, "m")
        assert (sent.status, sent.claimed_by, sent.lease_until) == (
            OutboxStatus.SENT,
            "fast",
            None,
        )


def claim_due(session: Session, now: datetime, **kwargs) -> list[str]:
    kwargs.setdefault("holder", "p1")
    kwargs.setdefault("lease_until", now + timedelta(seconds=15))
    kwargs.setdefault("limit", 30)
    return [r.dedupe_key for r in delivery.claim_due(session=session, now=now, **kwargs)]


def test_claim_due_takes_one_row_per_chat_interactive_first(db: Database, now: datetime) -> None:
    with db.session() as session:
        enqueue(session, "bulk-1", now, chat="1", priority=Priority.BULK)
        enqueue(session, "bulk-1b", now, chat="1", priority=Priority.BULK)
        enqueue(session, "notice-2", now, chat="2")
        enqueue(session, "reply-2", now, chat="2", priority=Priority.INTERACTIVE)
        enqueue(session, "later-3", now + timedelta(minutes=1), chat="3")
        enqueue(session, "busy-4", now, chat="4", priority=Priority.INTERACTIVE)
        enqueue(session, "zalo-5", now, chat="5", channel="zalo")
    with db.session() as session:
        # Chat 2's reply goes before the notice queued earlier; a chat's second row waits.
        assert claim_due(session, now, exclude_chats={"4"}, channel="telegram") == [
            "reply-2",
            "bulk-1",
        ]
        claimed = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.SENDING)
        ).all()
        assert {(r.claimed_by, r.lease_until, r.attempts) for r in claimed} == {
            ("p1", now + timedelta(seconds=15), 1)
        }
    with db.session() as session:
        assert claim_due(session, now, channel="telegram") == ["busy-4", "notice-2", "bulk-1b"]
        assert claim_due(session, now, channel="telegram") == []
        assert claim_due(session, now + timedelta(minutes=1), channel="telegram") == ["later-3"]
        assert claim_due(session, now, channel="zalo") == ["zalo-5"]


def test_claim_due_honours_the_limit_and_the_bulk_cap(db: Database, now: datetime) -> None:
    with db.session() as session:
        for n in range(6):
            enqueue(session, f"bulk-{n}", now, chat=f"b{n}", priority=Priority.BULK)
        for n in range(3):
            enqueue(session, f"reply-{n}", now, chat=f"r{n}", priority=Priority.INTERACTIVE)
    with db.session() as session:
        assert claim_due(session, now, limit=4, bulk_limit=2) == [
            "reply-0",
            "reply-1",
            "reply-2",
            "bulk-0",
        ]
        # No room for bulk sends: replies only, and there are none left.
        assert claim_due(session, now, bulk_limit=0) == []
        assert claim_due(session, now, bulk_limit=2) == ["bulk-1", "bulk-2"]
        assert claim_due(session, now, limit=0) == []
        assert claim_due(session, now) == ["bulk-3", "bulk-4", "bulk-5"]


def test_claiming_is_one_statement_whatever_the_batch_or_backlog(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        rows = []
        for n in range(400):
            rows.extend(
                outbox.message_rows(
                    dedupe_key=f"bulk:{n}",
                    chat_id=str(n),
                    text="Thông báo",
                    priority=Priority.BULK,
                    is_group=False,
                    now=now,
                )
            )
        outbox.enqueue_many(session=session, rows=rows)
    counts = []
    for limit in (1, 5, 30):
        with db.session() as session, count_statements(db) as counted:
            assert len(claim_due(session, now, limit=limit)) == limit
        counts.append(counted.count)
    assert counts == [1, 1, 1]
    assert "RETURNING" in counted.statements[0].upper()


def test_two_claimers_never_get_the_same_row(db: Database, now: datetime) -> None:
    total = 240
    with db.session() as session:
        rows = []
        for n in range(total):
            rows.extend(
                outbox.message_rows(
                    dedupe_key=f"bulk:{n}",
                    chat_id=str(n % 120),
                    text="Thông báo",
                    priority=Priority.BULK,
                    is_group=False,
                    now=now,
                )
            )
        outbox.enqueue_many(session=session, rows=rows)
    got: dict[str, list[int]] = {"p1": [], "p2": []}
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def claimer(holder: str) -> None:
        try:
            start.wait()
            while True:
                with db.session() as session:
                    batch = delivery.claim_due(
                        session=session,
                        now=now,
                        holder=holder,
                        lease_until=now + timedelta(seconds=15),
                        limit=7,
                    )
                    # Sent at once: the chat may receive its next row.
                    for r in batch:
                        delivery.record_delivery(
                            session=session,
                            row_id=r.id,
                            delivery=Delivery("sent"),
                            now=now,
                            retry_base=BASE,
                            holder=holder,
                        )
                if not batch:
                    return
                got[holder].extend(r.id for r in batch)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(h,)) for h in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    both = got["p1"] + got["p2"]
    assert len(both) == total
    assert len(set(both)) == total
    with db.session() as session:
        holders = {r.claimed_by for r in session.exec(select(OutboxMessage))}
        assert outbox.status_counts(session=session, key_prefix="bulk:") == {
            OutboxStatus.SENT: total
        }
    assert holders <= {"p1", "p2"}


def test_sent_payloads_are_purged_after_the_retention(db: Database, now: datetime) -> None:
    retention = timedelta(days=90)
    ages = {"old": timedelta(days=91), "recent": timedelta(days=89)}
    with db.session() as session:
        for key in ("old", "recent", "failed", "pending"):
            enqueue(session, key, now - timedelta(days=100), chat=key)
        for key, age in ages.items():
            delivery.claim(session=session, ids=[row(session, key).id], now=now - age)
            deliver(
                session, row(session, key).id, Delivery("sent", provider_message_id=key), now - age
            )
        delivery.claim(session=session, ids=[row(session, "failed").id], now=now - ages["old"])
        deliver(
            session, row(session, "failed").id, Delivery("failed", error="bad"), now - ages["old"]
        )
    with db.session() as session:
        assert (
            delivery.purge_sent_payloads(session=session, sent_before=now - retention, now=now)
            == 1
        )
    with db.session() as session:
        old = row(session, "old")
        # The ledger row stays: who, when, the provider's id; only the text is gone.
        assert (old.payload, old.purged_at, old.status, old.provider_message_id) == (
            {},
            now,
            OutboxStatus.SENT,
            "old",
        )
        assert old.sent_at == now - ages["old"]
        assert row(session, "recent").payload["text"] == "tin nhắn recent"
        assert row(session, "failed").payload["text"] == "tin nhắn failed"
        assert row(session, "pending").payload["text"] == "tin nhắn pending"
        assert (
            delivery.purge_sent_payloads(session=session, sent_before=now - retention, now=now)
            == 0
        )
        later = now + timedelta(days=2)
        assert (
            delivery.purge_sent_payloads(
                session=session, sent_before=later - retention, now=later, batch=5
            )
            == 1
        )
        assert row(session, "recent").purged_at == later


def test_a_large_purge_goes_in_batches(db: Database, now: datetime) -> None:
    with db.session() as session:
        for n in range(7):
            enqueue(session, f"m{n}", now, chat=str(n))
            delivery.claim(session=session, ids=[row(session, f"m{n}").id], now=now)
            deliver(session, row(session, f"m{n}").id, Delivery("sent"), now)
    later = now + timedelta(days=1)
    with db.session() as session:
        purged = [
            delivery.purge_sent_payloads(session=session, sent_before=later, now=later, batch=3)
            for _ in range(4)
        ]
    assert purged == [3, 3, 1, 0]


def test_status_counts_by_key_prefix(db: Database, now: datetime) -> None:
    with db.session() as session:
        for n in range(4):
            enqueue(session, f"ann:7:{n}", now, chat=str(n))
        enqueue(session, "ann:8:0", now)
        first = row(session, "ann:7:0").id
        delivery.claim(session=session, ids=[first], now=now)
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


def test_word_only_choices_are_listed_without_numbers_on_zalo() -> None:
    from bot.channels import ZALO
    from bot.shaping import shape
    from bot.ui import Button

    keyboard = [
        [Button("Bỏ qua", data="f|n|2|~skip", word=True)],
        [Button("✖️ Thoát", data="f|n|2|~c", word=True)],
    ]
    [part] = shape(ZALO, "Đã đạt bao nhiêu buổi?", keyboard)
    assert part.text == "Đã đạt bao nhiêu buổi?\n\n• Bỏ qua\n• ✖️ Thoát"
    # Nothing is numbered: a typed "1" is the answer to the question, not a choice.
    assert not part.options
