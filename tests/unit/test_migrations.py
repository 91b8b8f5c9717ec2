from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import SQLModel, select

from bot import models
from bot.db import Database, alembic_config


@pytest.fixture
def empty(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    yield database
    database.dispose()


def schema(database: Database) -> list[tuple[str, str]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        )
        return [(name, sql) for name, sql in rows]


def revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_creates_every_model_table(empty: Database) -> None:
    assert inspect(empty.engine).get_table_names() == []
    empty.upgrade()
    tables = set(inspect(empty.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert tables - set(SQLModel.metadata.tables) == {"alembic_version"}
    head = ScriptDirectory.from_config(alembic_config(empty.url)).get_current_head()
    assert head is not None
    assert revision(empty) == head


def test_upgrade_twice_is_a_no_op(empty: Database) -> None:
    empty.upgrade()
    with empty.session() as session:
        session.add(models.Organisation(name="Chi bộ Một", created_at=datetime.now(UTC)))
    before = schema(empty)
    empty.upgrade()
    assert schema(empty) == before
    with empty.session() as session:
        assert [o.name for o in session.exec(select(models.Organisation))] == ["Chi bộ Một"]


def test_migrated_schema_matches_the_models(empty: Database) -> None:
    empty.upgrade()
    with empty.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_fixture_database_is_at_head(db: Database) -> None:
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    assert revision(db) == head


# --- what every migrated database must enforce -------------------------------------------------


def store(db: Database, row: SQLModel, then_fail: bool = False) -> None:
    with db.session() as session:
        session.add(row)
        session.flush()
        if then_fail:
            raise RuntimeError("boom")


def test_foreign_keys_are_enforced(db: Database, now: datetime) -> None:
    orphan = models.Member(org_id=12345, full_name="Không Có Chi Bộ", created_at=now)
    with pytest.raises(IntegrityError):
        store(db, orphan)


def test_session_rolls_back_on_error(db: Database, now: datetime) -> None:
    with pytest.raises(RuntimeError):
        store(db, models.Organisation(name="Chi bộ Tạm", created_at=now), then_fail=True)
    with db.session() as session:
        assert session.exec(select(models.Organisation)).all() == []


def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_datetimes_come_back_aware_utc(db: Database) -> None:
    hanoi = timezone(timedelta(hours=7))
    local = datetime(2026, 11, 23, 0, 30, tzinfo=hanoi)
    with db.session() as session:
        org = models.Organisation(name="Chi bộ Giờ", created_at=local)
        session.add(org)
    with db.session() as session:
        stored = session.get(models.Organisation, org.id)
        assert stored.created_at == datetime(2026, 11, 22, 17, 30, tzinfo=UTC)
        assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db: Database) -> None:
    naive = datetime(2026, 1, 1)  # noqa: DTZ001
    with pytest.raises(StatementError) as info:
        store(db, models.Organisation(name="Chi bộ Ngây Thơ", created_at=naive))
    assert isinstance(info.value.orig, ValueError)
