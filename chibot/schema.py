"""The schema's revision: checked at start, upgraded under a lock so processes migrate in turn."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.db import MIGRATIONS_DIR, Database, alembic_config

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


# A migration file names itself and its parent in this simple form (Alembic's template).
_REVISION = re.compile(r"""^revision(?:\s*:[^=\n]*)?\s*=\s*["']([^"'\n]+)["']\s*$""", re.M)
_DOWN_REVISION = re.compile(
    r"""^down_revision(?:\s*:[^=\n]*)?\s*=\s*(?:None|["']([^"'\n]+)["'])\s*$""", re.M
)


def _heads_from_files() -> tuple[str, ...] | None:
    """This version's head revisions read from the migration files' text, without loading
    Alembic; None when a file is not in the simple form (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, parent = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(parent) != 1:
            return None
        revisions.add(revision[0])
        if parent[0]:
            parents.add(parent[0])
    heads = tuple(sorted(revisions - parents))
    return heads or None


def _stored_revisions(db: Database) -> tuple[str, ...] | None:
    """The revisions in the database's alembic_version table (None: no such table)."""
    try:
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return tuple(sorted(str(row[0]) for row in rows))
    except SQLAlchemyError:
        return None


def at_head(db: Database) -> tuple[str, ...] | None:
    """The database's revisions when they surely are this version's heads, else None.

    A quick check for every start: it reads the migration files as text and one table, and
    leaves loading Alembic (a tenth of a second and megabytes) to a database that needs it.
    """
    heads = _heads_from_files()
    if heads is None:
        return None
    current = _stored_revisions(db)
    return current if current == heads else None


def _current_heads(connection: Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def schema(db: Database) -> Schema:
    """Compares the database's current revision with the head of this version's migrations."""
    current = at_head(db)
    if current is not None:
        return Schema(state=SchemaState.CURRENT, current=current, heads=current)
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
    """Migrates to head under a lock, so processes upgrading at once take turns (a database
    already at head is left alone, without loading Alembic)."""
    current = at_head(db)
    if current is not None:
        return Upgrade(before=current, after=current)
    with _migration_lock(db):
        before = _revision_of(db)
        db.upgrade()
        after = _revision_of(db)
    return Upgrade(before=before, after=after)
