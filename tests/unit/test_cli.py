"""The operator's command line: organisations, setup codes and roster imports."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.db import Database, alembic_config, make_engine
from bot.models import Member, MemberStatus, Organisation, Role, SetupCode
from bot.services.tokens import token_hash
from chibot import cli, schema
from chibot.cli import main


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("CHIBOT_DATABASE_URL", url)
    return url


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_org_add_prints_a_code_and_list_shows_the_tree(db_url: str) -> None:
    code, text = run("org", "add", "Đảng bộ Ban Dân tộc tỉnh")
    assert code == 0
    code, text = run("org", "add", "Chi bộ Văn phòng", "--parent", "Đảng bộ Ban Dân tộc tỉnh")
    assert code == 0
    setup_code = re.search(r"/thietlap ([\w-]{22})$", text.strip()).group(1)  # type: ignore[union-attr]

    code, listing = run("org", "list")

    assert code == 0
    assert listing.splitlines() == [
        "- Đảng bộ Ban Dân tộc tỉnh — 0 members — no group linked",
        "  - Chi bộ Văn phòng — 0 members — no group linked",
    ]
    db = Database(db_url)
    with db.session() as session:
        stored = session.exec(select(SetupCode)).all()
    assert token_hash(setup_code) in {s.code_hash for s in stored}
    assert all(setup_code not in s.code_hash for s in stored)


def test_org_errors_are_clear(db_url: str) -> None:
    run("org", "add", "Chi bộ A")
    code, text = run("org", "add", "Chi bộ A")
    assert (code, text.strip()) == (1, "Error: org_exists (name=Chi bộ A)")
    code, text = run("org", "add", "Chi bộ B", "--parent", "Không có")
    assert code == 1
    assert "parent_not_found" in text
    code, text = run("org", "code", "Không có")
    assert code == 1
    assert "No organisation named" in text


def test_org_code_replaces_the_previous_code(db_url: str) -> None:
    run("org", "add", "Chi bộ A")
    code, text = run("org", "code", "Chi bộ A")
    assert code == 0
    assert text.startswith("New setup code for Chi bộ A (one use, valid 7 days): ")
    db = Database(db_url)
    with db.session() as session:
        codes = session.exec(select(SetupCode)).all()
    assert len(codes) == 2
    assert sum(1 for c in codes if c.revoked_at is None) == 1


ROSTER = (
    "STT,Họ và tên,Chức vụ,Loại,Số điện thoại\n"
    "1,Nguyễn Thị Lan,Phó bí thư,Chính thức,0912 345 678\n"
    "2,Trần Văn <b>Đức</b>,Đảng viên,Dự bị,\n"
    "3,Lê Văn Tám,Đảng viên,Dự bị,\n"
    "4,Phạm Thị Hoa,Đảng viên,không rõ,\n"
)


def _members(db_url: str) -> list[Member]:
    db = Database(db_url)
    with db.session() as session:
        return list(session.exec(select(Member)).all())


def test_import_lists_bad_rows_and_waits_for_confirmation(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode("utf-8-sig"))

    code, text = run("members", "import", "Chi bộ Văn phòng", str(path))

    assert code == 2
    assert "2 rows can be imported" in text
    assert "line 3: the name contains characters" in text
    assert "line 5: unknown or empty status" in text
    assert "Nothing imported" in text
    assert _members(db_url) == []


def test_import_with_yes_adds_the_good_rows(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode())

    code, text = run("members", "import", "Chi bộ Văn phòng", str(path), "--yes")

    assert code == 0
    assert "Imported 2 members into Chi bộ Văn phòng." in text
    members = {m.full_name: m for m in _members(db_url)}
    assert set(members) == {"Nguyễn Thị Lan", "Lê Văn Tám"}
    assert members["Nguyễn Thị Lan"].role == Role.DEPUTY
    assert members["Nguyễn Thị Lan"].phone == "0912345678"
    assert members["Lê Văn Tám"].status == MemberStatus.PROBATIONARY
    db = Database(db_url)
    with db.session() as session:
        org = session.exec(select(Organisation)).one()
    code, listing = run("org", "list")
    assert f"- {org.name} — 2 members — no group linked" in listing


def test_import_names_the_lines_of_two_secretaries(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    path = tmp_path / "roster.csv"
    path.write_text(
        "Họ và tên,Chức vụ,Loại\n"
        "Nguyễn Thị Lan,Bí thư,Chính thức\n"
        "Lê Văn Tám,Đảng viên,Dự bị\n"
        "Trần Văn Đức,bí thư,Chính thức\n",
        encoding="utf-8",
    )
    code, text = run("members", "import", "Chi bộ Văn phòng", str(path), "--yes")
    assert code == 1
    assert (
        "Nothing imported: Mỗi chi bộ chỉ có một bí thư, nhưng các dòng 2, 4 của tệp đều ghi "
        "là bí thư." in text
    )
    assert "secretary_exists" not in text
    assert _members(db_url) == []


def test_import_names_the_line_of_a_second_secretary_and_the_current_one(
    db_url: str, tmp_path: Path
) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    first = tmp_path / "first.csv"
    second = tmp_path / "second.csv"
    second.write_text("Họ và tên,Chức vụ,Loại\nLê Văn Tám,Đảng viên,Dự bị\nHà Thu,Bí thư,Dự bị\n")
    first.write_text("Họ và tên,Chức vụ,Loại\nNguyễn Thị Lan,Bí thư,Chính thức\n")
    assert run("members", "import", "Chi bộ Văn phòng", str(first), "--yes")[0] == 0

    code, text = run("members", "import", "Chi bộ Văn phòng", str(second), "--yes")
    assert code == 1
    assert "Dòng 3 của tệp ghi là bí thư, nhưng chi bộ đã có bí thư: Nguyễn Thị Lan." in text
    assert [m.full_name for m in _members(db_url)] == ["Nguyễn Thị Lan"]


def test_import_reports_an_unclosed_quote_as_a_bad_line(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    path = tmp_path / "roster.csv"
    path.write_text(
        "Họ và tên,Chức vụ,Loại\n"
        '"Nguyễn Thị Lan,Đảng viên,Chính thức\n'
        "Lê Văn Tám,Đảng viên,Dự bị\n"
        "Trần Văn Đức,Đảng viên,Chính thức\n",
        encoding="utf-8",
    )
    code, text = run("members", "import", "Chi bộ Văn phòng", str(path), "--yes")
    assert code == 0
    assert "line 2: a quotation mark that is never closed" in text
    assert sorted(m.full_name for m in _members(db_url)) == ["Lê Văn Tám", "Trần Văn Đức"]


def test_import_refuses_unusable_files(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    missing = tmp_path / "missing.csv"
    missing.write_text("Họ và tên,Ghi chú\nNguyễn Thị Lan,\n", encoding="utf-8")
    code, text = run("members", "import", "Chi bộ Văn phòng", str(missing), "--yes")
    assert code == 1
    assert "required columns are missing" in text
    binary = tmp_path / "roster.csv"
    binary.write_bytes(b"\x00\x81\x8d\xff" * 50)
    code, text = run("members", "import", "Chi bộ Văn phòng", str(binary), "--yes")
    assert code == 1
    assert "neither UTF-8 nor Windows-1258" in text
    code, text = run("members", "import", "Chi bộ Văn phòng", str(tmp_path / "nope.csv"))
    assert code == 1
    assert "No such file" in text
    assert _members(db_url) == []


# --- The schema: `db upgrade` under a lock, `run` refusing an old schema ----------------------

OLD_SCHEMA_MESSAGE = (
    "The database schema is older than this version of chibot. "
    "Run `chibot db upgrade` (or start with `chibot run --upgrade`)."
)
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _revision(url: str) -> tuple[str, ...]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def _lock_waiters(backend: str, url: str) -> int:
    """How many processes wait for the migration lock right now."""
    if backend == "postgres":
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                return int(
                    connection.execute(
                        text(
                            "SELECT count(*) FROM pg_locks "
                            "WHERE locktype = 'advisory' AND NOT granted AND database = "
                            "(SELECT oid FROM pg_database WHERE datname = current_database())"
                        )
                    ).scalar_one()
                )
        finally:
            engine.dispose()
    inode = Path(make_url(url).database or "").stat().st_ino
    locks = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in locks if "-> FLOCK" in line and f":{inode} " in line)


@contextlib.contextmanager
def _holding_the_migration_lock(backend: str, url: str) -> Iterator[None]:
    if backend == "postgres":
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(
                text("SELECT pg_advisory_lock(:k)"), {"k": schema.MIGRATION_LOCK_KEY}
            )
            yield
        engine.dispose()  # closing the connection releases the lock
        return
    with Path(make_url(url).database or "").open("ab") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        yield


def test_two_upgrades_at_once_take_turns(backend: str, empty_database_url: str) -> None:
    env = {**os.environ, "CHIBOT_DATABASE_URL": empty_database_url}
    if backend == "sqlite":
        Path(make_url(empty_database_url).database or "").touch()
    with _holding_the_migration_lock(backend, empty_database_url):
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "chibot", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        deadline = time.monotonic() + 60
        while _lock_waiters(backend, empty_database_url) < 2:
            assert time.monotonic() < deadline, "the upgrades never waited for the lock"
            assert all(p.poll() is None for p in processes)
            time.sleep(0.05)
    # Released: both race for the lock now, and must take turns.
    results = [p.communicate(timeout=120) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], results
    said = sorted(out.strip() for out, _ in results)
    assert said == [
        f"Database is up to date (schema revision {HEAD}).",
        f"Database upgraded from schema revision empty to {HEAD}.",
    ]
    assert _revision(empty_database_url) == (HEAD,)


def test_run_on_an_old_schema(
    backend: str, empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    command.upgrade(alembic_config(empty_database_url), "0001")
    monkeypatch.setenv("CHIBOT_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST")
    started: list[str] = []
    monkeypatch.setattr(cli, "_run", lambda settings, db: started.append(db.url) or 0)

    code, text_out = run("run")

    if backend == "sqlite":  # one process owns SQLite: it upgrades itself
        assert (code, text_out, started) == (0, "", [empty_database_url])
        assert _revision(empty_database_url) == (HEAD,)
        return
    assert (code, text_out.strip(), started) == (2, OLD_SCHEMA_MESSAGE, [])
    assert _revision(empty_database_url) == ("0001",)
    code, text_out = run("org", "list")
    assert (code, text_out.strip()) == (2, OLD_SCHEMA_MESSAGE)

    code, text_out = run("run", "--upgrade")

    assert code == 0
    assert text_out.strip() == f"Database upgraded from schema revision 0001 to {HEAD}."
    assert started == [empty_database_url]
    assert _revision(empty_database_url) == (HEAD,)


def test_run_refuses_an_old_postgresql_schema_without_upgrade(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No server needed: the revision check is replaced, and nothing else connects.
    monkeypatch.setenv("CHIBOT_DATABASE_URL", "postgresql+psycopg://chibot@127.0.0.1:1/chibot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST")
    state = {"schema": schema.Schema(schema.SchemaState.OLDER, ("0003",), (HEAD,))}
    upgrades: list[str] = []
    started: list[str] = []
    monkeypatch.setattr(schema, "schema", lambda db: state["schema"])
    monkeypatch.setattr(
        schema, "upgrade", lambda db: upgrades.append(db.url) or schema.Upgrade(("0003",), (HEAD,))
    )
    monkeypatch.setattr(cli, "_run", lambda settings, db: started.append(db.url) or 0)

    assert run("run") == (2, OLD_SCHEMA_MESSAGE + "\n")
    assert (upgrades, started) == ([], [])

    state["schema"] = schema.Schema(schema.SchemaState.UNKNOWN, ("9999",), (HEAD,))
    code, text_out = run("run")
    assert code == 2
    assert text_out.startswith("The database schema (9999) is newer than this version")
    assert started == []

    state["schema"] = schema.Schema(schema.SchemaState.CURRENT, (HEAD,), (HEAD,))
    assert run("run") == (0, "")
    assert (upgrades, len(started)) == ([], 1)

    assert run("run", "--upgrade") == (
        0,
        f"Database upgraded from schema revision 0003 to {HEAD}.\n",
    )
    assert (len(upgrades), len(started)) == (1, 2)


def test_db_upgrade_reports_what_it_did(db_url: str) -> None:
    assert run("db", "upgrade") == (
        0,
        f"Database upgraded from schema revision empty to {HEAD}.\n",
    )
    assert run("db", "upgrade") == (0, f"Database is up to date (schema revision {HEAD}).\n")


def test_an_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    port = 1
    monkeypatch.setenv(
        "CHIBOT_DATABASE_URL", f"postgresql+psycopg://chibot:pw-s3cret@127.0.0.1:{port}/chibot"
    )
    code, text_out = run("db", "upgrade")
    assert code == 1
    assert text_out.count("\n") == 1
    assert text_out.startswith(
        "Error: the database at postgresql+psycopg://chibot:***@127.0.0.1:1/chibot: "
    )
    assert "pw-s3cret" not in text_out
