"""Engine and session factory: SQLite (WAL, busy_timeout, foreign keys) or PostgreSQL.

Both pool their connections: a session borrows one and gives it back, so the per-connection
setup (SQLite's PRAGMAs) runs once per new connection, not once per session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# How long a SQLite writer waits for another's transaction before giving up ("locked").
SQLITE_BUSY_SECONDS = 10.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Runs once per new DBAPI connection; the pool keeps it for later sessions. The driver's
    # own transaction handling starts no transaction before a SAVEPOINT, so a nested savepoint
    # would commit on release; SQLAlchemy issues BEGIN itself instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two processes wait on busy_timeout instead
    # of failing when a read transaction later tries to write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite connections are cheap and local: enough for the database threads, the dispatchers and
# /healthz at once; a burst above the pool opens (and then closes) extra ones.
SQLITE_POOL_SIZE = 16
SQLITE_MAX_OVERFLOW = 16
SQLITE_POOL_TIMEOUT = 30

# Per process: enough for the database threads, the dispatchers and /healthz at once, and few
# enough that several processes stay well under PostgreSQL's default max_connections (100).
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 5
PG_POOL_TIMEOUT = 30
# Reconnect before a firewall or the server drops an idle connection (pre-ping catches the rest).
PG_POOL_RECYCLE = 1800
PG_CONNECT_TIMEOUT = 10

# SQLAlchemy keeps an INSERT's rowcount only on request (psycopg forgets it when the cursor
# closes, sqlite3 does not); rowcount() below counts inserted rows on every backend.
_EXECUTION_OPTIONS = {"preserve_rowcount": True}


def in_memory(url: str) -> bool:
    """Tells whether `url` is a SQLite database that lives in memory (gone with its connection)."""
    if not url.startswith("sqlite"):
        return False
    parsed = make_url(url)
    name = parsed.database or ""
    memory_uri = "mode=memory" in name or parsed.query.get("mode") == "memory"
    return name in {"", ":memory:"} or memory_uri


def make_engine(url: str) -> Engine:
    """Creates an engine with a pool of connections. SQLite gets WAL, a busy timeout and
    foreign keys on each new connection; an in-memory SQLite database is one connection that
    sessions take turns on (another connection would see another, empty, database)."""
    if url.startswith("sqlite"):
        memory = in_memory(url)
        engine = create_engine(
            url,
            # Statements are prepared once per connection and kept (more than the default 128:
            # the bot has a few hundred distinct ones).
            connect_args={"check_same_thread": False, "cached_statements": 512},
            poolclass=QueuePool,
            pool_size=1 if memory else SQLITE_POOL_SIZE,
            max_overflow=0 if memory else SQLITE_MAX_OVERFLOW,
            pool_timeout=SQLITE_POOL_TIMEOUT,
            # The most recently used connection first: sessions take turns on SQLite, so a
            # few warm connections (page cache, prepared statements) serve them all.
            pool_use_lifo=True,
            execution_options=_EXECUTION_OPTIONS,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT, "application_name": "chibot"}
    return create_engine(
        url,
        connect_args=connect_args,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_timeout=PG_POOL_TIMEOUT,
        pool_recycle=PG_POOL_RECYCLE,
        pool_pre_ping=True,
        execution_options=_EXECUTION_OPTIONS,
    )


class Database:
    """Owns the engine and hands out sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # SQLite lets one transaction write at a time (every session begins IMMEDIATE). The
        # threads of this process queue here for their turn, handed over at once, instead of
        # polling the file lock in busy_timeout's growing sleeps; other processes still wait
        # on the file lock.
        self._turns: threading.RLock | None = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else None
        )

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """Waits for this process's turn to write to SQLite (nothing on other databases).

        Re-entrant, so a session opened inside another on the same thread behaves as without
        it; after SQLITE_BUSY_SECONDS it goes ahead and lets SQLite's busy timeout decide, as
        it would without this queue, so a forgotten open session never hangs a thread.
        """
        turns = self._turns
        if turns is None:
            yield
            return
        taken = turns.acquire(timeout=SQLITE_BUSY_SECONDS)
        try:
            yield
        finally:
            if taken:
                turns.release()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yields a session that commits on success and rolls back on error."""
        with self._turn(), Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self) -> None:
        """Brings the schema to the newest migration (creates it on an empty database)."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        """Closes pooled connections."""
        self.engine.dispose()


def insert_for(session: Any) -> Any:
    """Returns the dialect's `insert` (PostgreSQL's or SQLite's), which has ON CONFLICT."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def rowcount(result: Any) -> int:
    """Returns how many rows an UPDATE or DELETE touched (0 when the driver cannot tell)."""
    return int(getattr(result, "rowcount", 0) or 0)


def alembic_config(url: str) -> Any:
    """Returns an Alembic Config pointing at our migrations and `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
