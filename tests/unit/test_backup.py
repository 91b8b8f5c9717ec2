"""`chibot backup` and `chibot restore`: consistent copies of a live database, restored only
into an empty one, on SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import io
import shutil
import socket
import sqlite3
import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.db import Database, make_engine
from bot.services import orgs, outbox
from chibot import ops
from chibot.cli import main
from tests import factories

PASSWORD = "pw-s3cret-never-shown"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def table_rows(url: str) -> dict[str, list[str]]:
    """Every row of every table, as sorted reprs (the tables as the database has them)."""
    engine = make_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for name, table in meta.tables.items()
            }
    finally:
        engine.dispose()


def populate(db: Database, now: datetime) -> None:
    """A cell with members, queued and delivered messages, Vietnamese text and JSON payloads."""
    with db.session() as session:
        cell = factories.cell(session, now, name="Chi bộ Phòng Tổ chức – Cán bộ")
        factories.joined_member(session, cell, "Trần Thị Hồng Nhung", now)
        factories.joined_member(session, cell, "Lê Văn Đức", now, channel="zalo")
        for index in range(5):
            outbox.enqueue_message(
                session=session,
                dedupe_key=f"notice:{index}",
                chat_id=str(2000 + index),
                text=f"Thông báo số {index}: họp chi bộ lúc 14 giờ",
                now=now + timedelta(minutes=index),
                is_group=False,
            )


def with_password(url: str, backend: str) -> str:
    """On PostgreSQL, the same URL with a password (the throw-away cluster trusts anyone)."""
    if backend != "postgres":
        return url
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_backup_of_a_live_sqlite_database_restores_identical_rows(
    migrated_template: Path, tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "live.db"
    shutil.copy(migrated_template, path)
    url = f"sqlite:///{path}"
    # An open connection keeps SQLite from checkpointing the WAL away when writers close:
    # the committed rows below live in chibot.db-wal, as they do while the bot runs.
    keeper = sqlite3.connect(path)
    keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
    db = Database(url)
    populate(db, now)
    assert Path(f"{path}-wal").stat().st_size > 0
    committed = table_rows(url)
    # A write in progress: BEGIN IMMEDIATE taken, rows written, not committed yet.
    writing = Session(db.engine)
    orgs.create_org(
        session=writing,
        name="Chi bộ đang ghi",
        parent_name=None,
        timezone="Asia/Ho_Chi_Minh",
        locale="vi",
        now=now,
    )
    writing.flush()
    monkeypatch.setenv("CHIBOT_DATABASE_URL", url)
    backup = tmp_path / "backups" / "chibot-backup.db"
    backup.parent.mkdir()

    code, text_out = run("backup", str(backup))

    writing.commit()  # the backup blocked nobody: the write still commits
    writing.close()
    assert code == 0, text_out
    assert text_out.startswith(f"Backed up SQLite database {path} (")
    assert f"to {backup} (" in text_out
    assert table_rows(url) != committed  # the live database moved on after the backup
    assert not Path(f"{backup}-wal").exists()  # one self-contained file
    restored = tmp_path / "restored.db"
    monkeypatch.setenv("CHIBOT_DATABASE_URL", f"sqlite:///{restored}")

    code, text_out = run("restore", str(backup))

    assert code == 0, text_out
    assert text_out.startswith(f"Restored {backup} into SQLite database {restored} (schema")
    assert table_rows(f"sqlite:///{restored}") == committed
    with sqlite3.connect(restored) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    code, listing = run("org", "list")
    assert (code, listing) == (
        0,
        "- Chi bộ Phòng Tổ chức – Cán bộ — 3 members — group: "
        f"Chi bộ Phòng Tổ chức – Cán bộ ({_group_id(restored)})\n",
    )
    keeper.close()
    db.dispose()


def _group_id(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("SELECT group_chat_id FROM organisation").fetchone()[0])


def test_a_backup_taken_during_constant_writes_is_one_consistent_snapshot(
    migrated_template: Path, tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "busy.db"
    shutil.copy(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    stop = threading.Event()
    written = 0

    def writer() -> None:
        nonlocal written
        while not stop.is_set():
            with db.session() as session:  # two rows per transaction, never one alone
                for half in ("a", "b"):
                    outbox.enqueue_message(
                        session=session,
                        dedupe_key=f"pair:{written}:{half}",
                        chat_id="3000",
                        text=f"cặp {written}",
                        now=now,
                        is_group=False,
                    )
            written += 1

    thread = threading.Thread(target=writer)
    thread.start()
    monkeypatch.setenv("CHIBOT_DATABASE_URL", f"sqlite:///{path}")
    try:
        while written < 20:
            threading.Event().wait(0.01)
        results = [run("backup", str(tmp_path / f"b{i}.db")) for i in range(5)]
    finally:
        stop.set()
        thread.join()
        db.dispose()

    assert [code for code, _ in results] == [0] * 5
    counts = []
    for i in range(5):
        with sqlite3.connect(tmp_path / f"b{i}.db") as copy:
            keys = [k for (k,) in copy.execute("SELECT dedupe_key FROM outboxmessage")]
        a = {k.split(":")[1] for k in keys if k.endswith(":a")}
        b = {k.split(":")[1] for k in keys if k.endswith(":b")}
        assert a == b
        counts.append(len(a))
    assert counts[0] >= 20
    assert counts == sorted(counts)
    assert counts[-1] <= written


def test_backup_and_restore_round_trip_on_each_backend(
    backend: str,
    database_url: str,
    empty_database_url: str,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = Database(database_url)
    populate(db, now)
    db.dispose()
    expected = table_rows(database_url)
    started: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def recording_run(argv: list[str], **kwargs: Any) -> Any:
        started.append((list(argv), dict(kwargs["env"])))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(ops.subprocess, "run", recording_run)
    backup = tmp_path / "chibot.backup"
    monkeypatch.setenv("CHIBOT_DATABASE_URL", with_password(database_url, backend))

    code, backed_up = run("backup", str(backup))

    assert code == 0, backed_up
    assert backed_up.startswith("Backed up ")
    assert backup.stat().st_mode & 0o777 == 0o600  # members' names and phones: owner only
    assert [path.name for path in tmp_path.iterdir() if "partial" in path.name] == []
    monkeypatch.setenv("CHIBOT_DATABASE_URL", with_password(empty_database_url, backend))

    code, restored = run("restore", str(backup))

    assert code == 0, restored
    assert restored.startswith(f"Restored {backup} into ")
    assert "(schema revision 0" in restored
    assert "older" not in restored
    assert table_rows(empty_database_url) == expected
    # Sequences and autoincrement counters came along: new rows get new ids.
    code, added = run("org", "add", "Chi bộ mới sau khi khôi phục")
    assert code == 0, added
    assert PASSWORD not in backed_up + restored + added
    if backend == "postgres":
        assert [Path(argv[0]).name for argv, _ in started] == ["pg_dump", "pg_restore"]
        assert "--format=custom" in started[0][0]
        assert "--no-owner" in started[1][0]
        for argv, env in started:
            assert not any(PASSWORD in arg for arg in argv)
            assert env["PGPASSWORD"] == PASSWORD
            assert env["PGHOST"] == "127.0.0.1"
    else:
        assert started == []  # SQLite needs no external tool


def test_restore_refuses_a_database_with_a_schema_or_rows(
    backend: str,
    database_url: str,
    empty_database_url: str,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup = tmp_path / "chibot.backup"
    monkeypatch.setenv("CHIBOT_DATABASE_URL", database_url)
    assert run("backup", str(backup))[0] == 0
    db = Database(database_url)
    populate(db, now)
    db.dispose()
    before = table_rows(database_url)

    code, refused = run("restore", str(backup))

    assert code == 2
    assert refused.startswith("Error: Refusing to restore: the database ")
    assert "it has a chibot schema (table alembic_version)" in refused
    assert "tables have rows (" in refused
    assert refused.count("\n") == 1
    assert table_rows(database_url) == before

    # No chibot schema, but somebody's data: refused too, and left alone.
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body VARCHAR(50))"))
        connection.execute(text("INSERT INTO notes VALUES ('ghi chú của ai đó')"))
    engine.dispose()
    monkeypatch.setenv("CHIBOT_DATABASE_URL", empty_database_url)

    code, refused = run("restore", str(backup))

    assert code == 2
    assert "1 table has rows (notes)" in refused
    assert "alembic_version" not in refused
    assert table_rows(empty_database_url) == {"notes": ["('ghi chú của ai đó',)"]}


def test_backup_and_restore_errors_are_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_line(*argv: str) -> tuple[int, str]:
        code, said = run(*argv)
        assert said.count("\n") == 1, said
        assert "Traceback" not in said
        return code, said.strip()

    monkeypatch.setenv("CHIBOT_DATABASE_URL", f"sqlite:///{tmp_path}/missing.db")
    assert one_line("backup", str(tmp_path / "b.db")) == (
        1,
        f"Error: No SQLite database at {tmp_path}/missing.db",
    )
    assert not (tmp_path / "missing.db").exists()
    assert one_line("restore", str(tmp_path / "nothing.db")) == (
        1,
        f"Error: No such file: {tmp_path}/nothing.db",
    )
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a backup at all")
    code, said = one_line("restore", str(garbage))
    assert code == 1
    assert "is neither a SQLite backup nor a PostgreSQL dump" in said
    dump = tmp_path / "pg.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
    code, said = one_line("restore", str(dump))
    assert code == 1
    assert "is a PostgreSQL backup and CHIBOT_DATABASE_URL is a SQLite database" in said

    nobody_listens = (
        f"postgresql+psycopg://chibot:{PASSWORD}@127.0.0.1:{free_port()}/chibot?connect_timeout=5"
    )
    monkeypatch.setenv("CHIBOT_DATABASE_URL", nobody_listens)
    code, said = one_line("backup", str(tmp_path / "pg.backup"))
    assert code == 1
    assert said.startswith("Error: pg_dump failed: ")
    assert "Connection refused" in said
    assert PASSWORD not in said
    assert not (tmp_path / "pg.backup").exists()
    sqlite_backup = tmp_path / "sqlite.backup"
    sqlite_backup.write_bytes(b"SQLite format 3\x00" + bytes(100))
    code, said = one_line("restore", str(sqlite_backup))
    assert code == 1
    assert "is a SQLite backup and CHIBOT_DATABASE_URL is a PostgreSQL database" in said
    code, said = one_line("restore", str(dump))
    assert code == 1
    assert said.startswith("Error: restore failed: ")
    assert "Connection refused" in said
    assert PASSWORD not in said
