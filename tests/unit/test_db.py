"""SQLite connections are pooled: set up once per connection, shared by sessions and threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bot.db import Database, in_memory


def count_connects(db: Database) -> list[int]:
    opened: list[int] = []

    def on_connect(_dbapi: Any, _record: Any) -> None:
        opened.append(1)

    event.listen(db.engine, "connect", on_connect)
    return opened


def pragmas(db: Database) -> tuple[Any, ...]:
    with db.session() as session:
        return tuple(
            session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        )


def test_sessions_reuse_one_connection_set_up_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pool.db'}")
    opened = count_connects(db)
    try:
        for n in range(20):
            with db.session() as session:
                assert session.execute(text("SELECT :n"), {"n": n}).scalar() == n
        # WAL, foreign keys, the busy timeout and NORMAL sync hold on the reused connection.
        assert pragmas(db) == ("wal", 1, 10000, 1)
        assert len(opened) == 1
    finally:
        db.dispose()


def test_threads_write_at_once_without_locking_errors(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'threads.db'}")
    opened = count_connects(db)
    with db.session() as session:
        session.execute(text("CREATE TABLE taps (who INTEGER NOT NULL, n INTEGER NOT NULL)"))

    def tap(who: int) -> None:
        for n in range(25):
            with db.session() as session:
                session.execute(text("INSERT INTO taps VALUES (:who, :n)"), {"who": who, "n": n})

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(tap, range(8)))
        with db.session() as session:
            assert session.execute(text("SELECT count(*) FROM taps")).scalar() == 200
        # At most one connection per thread that ever held one, not one per session.
        assert 1 <= len(opened) <= 9
    finally:
        db.dispose()


def add(db: Database, body: str) -> None:
    with db.session() as session:
        session.execute(text("INSERT INTO notes VALUES (:b)"), {"b": body})


def test_an_in_memory_database_is_one_database_for_every_session_and_thread() -> None:
    for url in ("sqlite://", "sqlite:///:memory:"):
        assert in_memory(url)
        db = Database(url)
        try:
            with db.session() as session:
                session.execute(text("CREATE TABLE notes (body TEXT)"))
                session.execute(text("INSERT INTO notes VALUES ('first')"))

            threads = [threading.Thread(target=add, args=(db, f"t{i}")) for i in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with db.session() as session:
                assert session.execute(text("SELECT count(*) FROM notes")).scalar() == 5
                assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        finally:
            db.dispose()
    assert not in_memory("sqlite:///chibot.db")
    assert in_memory("sqlite:///file:shared?mode=memory&cache=shared&uri=true")
    assert not in_memory("postgresql+psycopg://localhost/chibot")
