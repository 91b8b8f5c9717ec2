"""Operator chores on the database: backup, restore, and schema upgrades under a lock."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL, make_url

from bot.db import Database
from chibot import schema

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"

# The connection options of a PostgreSQL URL that libpq also reads from the environment; the
# tools get them there, so no credential ever appears on a command line.
PG_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "requiressl": "PGREQUIRESSL",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class OpsError(Exception):
    """A chore could not be done; the message is one line for the operator."""


class NotEmpty(OpsError):
    """Restore refused: the target database already holds a schema or rows."""


@dataclass(frozen=True)
class Done:
    """What a backup or restore did, in one line for the operator."""

    message: str


def is_postgresql(url: str) -> bool:
    """Tells whether a SQLAlchemy URL points at PostgreSQL."""
    return make_url(url).get_backend_name() == "postgresql"


def safe_url(url: str) -> str:
    """Returns the URL with its password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


# --- Emptiness: restore writes only into a database that holds nothing ------------------------


def _contents(engine: Engine) -> tuple[bool, list[str]]:
    """Returns whether the alembic_version table exists, and the tables that have rows."""
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        preparer = engine.dialect.identifier_preparer
        with_rows = [
            name
            for name in sorted(names)
            if connection.execute(
                text(f"SELECT 1 FROM {preparer.quote(name)} LIMIT 1")  # noqa: S608 - quoted name
            ).first()
            is not None
        ]
    return "alembic_version" in names, with_rows


def _refuse_unless_empty(engine: Engine, where: str) -> None:
    versioned, with_rows = _contents(engine)
    if not versioned and not with_rows:
        return
    reasons = []
    if versioned:
        reasons.append("it has a chibot schema (table alembic_version)")
    if with_rows:
        shown = ", ".join(with_rows[:5]) + (", …" if len(with_rows) > 5 else "")
        tables = "1 table has" if len(with_rows) == 1 else f"{len(with_rows)} tables have"
        reasons.append(f"{tables} rows ({shown})")
    raise NotEmpty(
        f"Refusing to restore: the database {where} is not empty: {'; '.join(reasons)}. "
        "Restore into a new, empty database (point CHIBOT_DATABASE_URL at it)."
    )


def _file_kind(path: Path) -> str:
    if not path.is_file():
        raise OpsError(f"No such file: {path}")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_HEADER))
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_CUSTOM_HEADER):
        return "postgresql"
    raise OpsError(
        f"{path} is neither a SQLite backup nor a PostgreSQL dump made by `chibot backup`"
    )


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _temporary_beside(dest: Path) -> Path:
    """Creates the file a backup is written to before it replaces `dest`: readable by the
    owner only, as the backup holds members' names and phone numbers."""
    if dest.is_dir():
        raise OpsError(f"{dest} is a directory; give a file name for the backup")
    if not dest.parent.is_dir():
        raise OpsError(f"No such directory: {dest.parent}")
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return partial


def backup(url: str, dest: Path) -> Done:
    """Writes a consistent copy of the database to `dest`, even while the bot runs."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_backup(_sqlite_path(parsed), dest)
    if backend == "postgresql":
        return _pg_backup(parsed, dest)
    raise OpsError(f"Backup supports SQLite and PostgreSQL, not {backend}")


def restore(url: str, source: Path) -> Done:
    """Restores a backup made by `backup` into an empty database."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    kind = _file_kind(source)
    if backend not in {"sqlite", "postgresql"}:
        raise OpsError(f"Restore supports SQLite and PostgreSQL, not {backend}")
    if kind != backend:
        raise OpsError(
            f"{source} is a {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} backup and "
            f"CHIBOT_DATABASE_URL is a {'SQLite' if backend == 'sqlite' else 'PostgreSQL'} "
            "database; restore it into a database of its own kind"
        )
    if backend == "sqlite":
        return _sqlite_restore(source, _sqlite_path(parsed), url)
    return _pg_restore(source, parsed)


def _restored(source: Path, where: str, url: str) -> Done:
    db = Database(url)
    try:
        found = schema.schema(db)
    finally:
        db.dispose()
    message = (
        f"Restored {source} into {where} (schema revision {', '.join(found.current) or 'none'})."
    )
    if found.state == schema.SchemaState.OLDER:
        message += " Its schema is older than this version of chibot: run `chibot db upgrade`."
    return Done(message)


# --- SQLite: the online backup API ----------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    name = url.database or ""
    if name in {"", ":memory:"} or name.startswith("file:"):
        raise OpsError("CHIBOT_DATABASE_URL must name a SQLite database file")
    return Path(name)


def _sqlite_backup(path: Path, dest: Path) -> Done:
    if not path.is_file():
        raise OpsError(f"No SQLite database at {path}")
    partial = _temporary_beside(dest)
    try:
        # One backup step copies every page inside one read transaction: a consistent
        # snapshot of the last commit, which in WAL mode never blocks the bot's writers.
        with (
            contextlib.closing(sqlite3.connect(path, timeout=30)) as source,
            contextlib.closing(sqlite3.connect(partial)) as target,
        ):
            source.backup(target)
            # The copy is one self-contained file (no -wal beside it).
            target.execute("PRAGMA journal_mode=DELETE")
            tables = target.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            revision = _sqlite_revision(target)
        partial.replace(dest)
    except sqlite3.Error as exc:
        raise OpsError(f"Backup of {path} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Done(
        f"Backed up SQLite database {path} ({tables} tables, schema revision {revision}) "
        f"to {dest} ({_size(dest)})."
    )


def _sqlite_revision(connection: sqlite3.Connection) -> str:
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:
        return "none"
    return ", ".join(sorted(str(row[0]) for row in rows)) or "none"


def _sqlite_restore(source: Path, path: Path, url: str) -> Done:
    if path.exists():
        db = Database(url)
        try:
            _refuse_unless_empty(db.engine, str(path))
        finally:
            db.dispose()
    elif not path.parent.is_dir():
        raise OpsError(f"No such directory: {path.parent}")
    try:
        with contextlib.closing(sqlite3.connect(source)) as backup_file:
            revision = _sqlite_revision(backup_file)
            if revision == "none":
                raise OpsError(f"{source} is a SQLite file but not a chibot backup")
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as target:
                backup_file.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise OpsError(f"Restore of {source} failed: {exc}") from exc
    return _restored(source, f"SQLite database {path}", url)


# --- PostgreSQL: pg_dump and pg_restore -------------------------------------------------------


def find_pg_tool(name: str) -> str:
    """Finds pg_dump or pg_restore on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: Path) -> tuple[int, ...]:
        digits = path.parent.parent.name.split(".")
        return tuple(int(d) for d in digits if d.isdigit())

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version)
    if candidates:
        return str(candidates[-1])
    raise OpsError(
        f"{name} was not found on PATH or under /usr/lib/postgresql/*/bin; "
        "install the PostgreSQL client tools (Debian: apt-get install postgresql-client)"
    )


def _pg_env(url: URL) -> dict[str, str]:
    """The environment for pg_dump / pg_restore: the caller's, plus the URL's connection."""
    values: dict[str, str] = {}
    for key, value in url.query.items():
        if key not in PG_ENV:
            log.warning("ignoring the URL option %r for the PostgreSQL tools", key)
            continue
        values[key] = ",".join(value) if isinstance(value, tuple) else value
    if url.host:
        values["host"] = url.host
    if url.port:
        values["port"] = str(url.port)
    if url.username:
        values["user"] = url.username
    if url.password:
        values["password"] = str(url.password)
    if url.database:
        values["dbname"] = url.database
    env = dict(os.environ)
    env.update({PG_ENV[key]: value for key, value in values.items()})
    return env


def _run_pg_tool(argv: list[str], url: URL) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - a fixed program; no credential on the line
            argv, env=_pg_env(url), capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise OpsError(f"Could not start {argv[0]}: {exc.strerror}") from exc
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        detail = lines[0] if lines else f"exit status {result.returncode}"
        if url.password:
            detail = detail.replace(str(url.password), "***")
        raise OpsError(f"{Path(argv[0]).name} failed: {detail}")


def _pg_where(url: URL) -> str:
    host = url.host or str(url.query.get("host") or "the default server")
    port = f":{url.port}" if url.port else ""
    return f"{url.database or '(default)'} on {host}{port}"


def _pg_backup(url: URL, dest: Path) -> Done:
    partial = _temporary_beside(dest)
    try:
        # pg_dump reads the whole database in one repeatable-read snapshot: consistent while
        # the bot writes, and it blocks nobody.
        _run_pg_tool(
            [find_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={partial}"],
            url,
        )
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    return Done(f"Backed up PostgreSQL database {_pg_where(url)} to {dest} ({_size(dest)}).")


def _conninfo_dbname(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{escaped}'"


def _pg_restore(source: Path, url: URL) -> Done:
    rendered = url.render_as_string(hide_password=False)
    db = Database(rendered)
    try:
        _refuse_unless_empty(db.engine, _pg_where(url))
    finally:
        db.dispose()
    _run_pg_tool(
        [
            find_pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",  # the target server's roles may differ from the source's
            "--single-transaction",  # all or nothing: a failed restore leaves it empty
            "--no-password",
            f"--dbname={_conninfo_dbname(url.database or '')}",
            str(source),
        ],
        url,
    )
    return _restored(source, f"PostgreSQL database {_pg_where(url)}", rendered)
