"""The schema's revision: checked at start, upgraded under a lock so processes migrate in turn."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from bot.db import Database, alembic_config

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

# Every chibot process migrates under this PostgreSQL advisory lock ("chibot" + 1 in ASCII), so
# two processes upgrading at once run the migrations one after the other.
MIGRATION_LOCK_KEY = 0x63_68_69_62_6F_74_01


class SchemaState(StrEnum):
    """How the database's schema revision compares with this version's migrations."""

    CURRENT = "current"
    OLDER = "older"  # empty, or behind head: `chibot db upgrade`
    UNKNOWN = "unknown"  # a revision these migrations do not know (a newer chibot migrated it)


@dataclass(frozen=True)
class Schema:
    """The database's revision(s) and this version's head(s)."""

    state: SchemaState
    current: tuple[str, ...]
    heads: tuple[str, ...]


def _current_heads(connection: Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def schema(db: Database) -> Schema:
    """Compares the database's current revision with the head of this version's migrations."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(db.url))
    heads = tuple(sorted(script.get_heads()))
    with db.engine.connect() as connection:
        current = _current_heads(connection)
    if current == heads:
        state = SchemaState.CURRENT
    elif all(_known(script, revision) for revision in current):
        state = SchemaState.OLDER
    else:
        state = SchemaState.UNKNOWN
    return Schema(state=state, current=current, heads=heads)


def _known(script: ScriptDirectory, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


@dataclass(frozen=True)
class Upgrade:
    """The schema revision before and after `upgrade`."""

    before: tuple[str, ...]
    after: tuple[str, ...]


@contextlib.contextmanager
def _migration_lock(db: Database) -> Iterator[None]:
    """Serialises migrations between processes for the duration of the block.

    PostgreSQL: an advisory lock held by a connection of its own. SQLite: BEGIN IMMEDIATE takes
    the write lock, but Alembic commits after each migration and reads the revision only once,
    so a second process could slip in between two migrations; an flock on the database file
    (which SQLite's own byte-range locks ignore) keeps the whole upgrade one process's.
    """
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
        return
    name = make_url(db.url).database or ""
    if db.engine.dialect.name != "sqlite" or name in {"", ":memory:"} or name.startswith("file:"):
        yield
        return
    with Path(name).open("ab") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def _revision_of(db: Database) -> tuple[str, ...]:
    with db.engine.connect() as connection:
        return _current_heads(connection)


def upgrade(db: Database) -> Upgrade:
    """Migrates to head under a lock, so processes upgrading at once take turns."""
    with _migration_lock(db):
        before = _revision_of(db)
        db.upgrade()
        after = _revision_of(db)
    return Upgrade(before=before, after=after)
