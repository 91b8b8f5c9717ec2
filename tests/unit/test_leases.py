"""The leader lease: taken, renewed, never stolen while renewed, taken over once it expires."""

import threading
from datetime import datetime, timedelta

from sqlmodel import select

from bot.db import Database
from bot.models import Lease
from bot.services import leases

TTL = timedelta(seconds=10)


def take(db: Database, holder: str, at: datetime, name: str = leases.LEADER) -> bool:
    with db.session() as session:
        return leases.acquire(session=session, name=name, holder=holder, now=at, ttl=TTL)


def stored(db: Database) -> list[tuple[str, str, datetime]]:
    with db.session() as session:
        return [(x.name, x.holder, x.until) for x in session.exec(select(Lease))]


def test_a_free_lease_is_taken(db: Database, now: datetime) -> None:
    assert take(db, "a", now) is True
    assert stored(db) == [("leader", "a", now + TTL)]
    with db.session() as session:
        assert leases.holder_of(session=session, name=leases.LEADER, now=now) == "a"
        assert leases.holder_of(session=session, name="other", now=now) is None


def test_the_holder_renews_it(db: Database, now: datetime) -> None:
    assert take(db, "a", now)
    later = now + timedelta(seconds=2)
    assert take(db, "a", later) is True
    assert stored(db) == [("leader", "a", later + TTL)]
    # Even late (a long pause), the holder renews its own lease while nobody took it.
    much_later = now + timedelta(minutes=5)
    assert take(db, "a", much_later) is True
    assert stored(db) == [("leader", "a", much_later + TTL)]


def test_a_live_lease_is_never_stolen(db: Database, now: datetime) -> None:
    assert take(db, "a", now)
    for seconds in (0, 1, 5, 9, 10):
        assert take(db, "b", now + timedelta(seconds=seconds)) is False
    assert stored(db) == [("leader", "a", now + TTL)]
    # Renewed in time, it stays with its holder past the first deadline.
    assert take(db, "a", now + timedelta(seconds=8))
    assert take(db, "b", now + timedelta(seconds=12)) is False
    with db.session() as session:
        assert leases.holder_of(session=session, name=leases.LEADER, now=now + TTL) == "a"


def test_an_expired_lease_is_taken_over(db: Database, now: datetime) -> None:
    assert take(db, "a", now)
    after = now + TTL + timedelta(milliseconds=1)
    with db.session() as session:
        assert leases.holder_of(session=session, name=leases.LEADER, now=after) is None
    assert take(db, "b", after) is True
    assert stored(db) == [("leader", "b", after + TTL)]
    # The old holder, back from the dead, does not get it back by renewing.
    assert take(db, "a", after + timedelta(seconds=1)) is False
    assert stored(db)[0][1] == "b"


def test_leases_are_independent_by_name(db: Database, now: datetime) -> None:
    assert take(db, "a", now, name="leader")
    assert take(db, "b", now, name="zalo-poller")
    assert sorted(stored(db)) == [
        ("leader", "a", now + TTL),
        ("zalo-poller", "b", now + TTL),
    ]


def test_release_hands_it_over_at_once(db: Database, now: datetime) -> None:
    assert take(db, "a", now)
    with db.session() as session:
        # Only the holder can give it up.
        assert leases.release(session=session, name=leases.LEADER, holder="b") is False
        assert leases.release(session=session, name=leases.LEADER, holder="a") is True
    assert take(db, "b", now + timedelta(seconds=1)) is True


def test_processes_asking_at_once_get_one_leader(db: Database, now: datetime) -> None:
    holders = [f"process-{n}" for n in range(6)]
    start = threading.Barrier(len(holders))
    won: dict[str, bool] = {}

    def ask(holder: str) -> None:
        start.wait()
        won[holder] = take(db, holder, now)

    threads = [threading.Thread(target=ask, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [h for h, ok in won.items() if ok]
    assert len(won) == len(holders)
    assert len(winners) == 1
    assert stored(db) == [("leader", winners[0], now + TTL)]
