"""Engine and session factory: SQLite (WAL, busy_timeout, foreign keys) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling starts no transaction before a SAVEPOINT, so a
    # nested savepoint would commit on release; SQLAlchemy issues BEGIN itself instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two processes wait on busy_timeout instead
    # of failing when a read transaction later tries to write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


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


def make_engine(url: str) -> Engine:
    """Creates an engine: SQLite gets WAL, a busy timeout and foreign keys; others a pool."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            poolclass=NullPool,
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

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yields a session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
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
