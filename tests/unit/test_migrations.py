from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import SQLModel, select

from bot import models
from bot.db import Database, alembic_config
from bot.models.members import roster_sort_key
from bot.services import members, people


@pytest.fixture
def empty(empty_database_url: str) -> Iterator[Database]:
    """An empty database (no tables), on SQLite and on PostgreSQL."""
    database = Database(empty_database_url)
    yield database
    database.dispose()


# Every column, index and constraint of the public schema, as PostgreSQL itself prints them.
PG_SCHEMA = """
SELECT table_name || '.' || column_name,
       data_type || coalesce('(' || character_maximum_length || ')', '') || ' ' || is_nullable
       || coalesce(' DEFAULT ' || column_default, '')
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2
"""


def schema(database: Database) -> list[tuple[str, str]]:
    with database.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        else:
            query = PG_SCHEMA
        return [(name, sql) for name, sql in connection.execute(text(query))]


def follow_explicit_ids(database: Database, *tables: str) -> None:
    """After rows were inserted with explicit ids, moves PostgreSQL's id sequences past them.

    (SQLite picks max(id) + 1 by itself.) Needed only for test data written with raw SQL: the
    application and the migrations let the database choose ids.
    """
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.begin() as connection:
        for table in tables:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            )


def foreign_keys_hold(database: Database) -> None:
    """SQLite's own check (PostgreSQL never lets a dangling reference in)."""
    if database.engine.dialect.name != "sqlite":
        return
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


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


def same_parts(shape: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    # SQLite's batch mode may list a rebuilt table's constraints in another order.
    return [(name, sorted(line.strip(" ,") for line in sql.splitlines())) for name, sql in shape]


def test_every_migration_downgrades_and_upgrades_again(empty: Database) -> None:
    empty.upgrade()
    at_head = same_parts(schema(empty))
    script = ScriptDirectory.from_config(alembic_config(empty.url))
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    for target in [*revisions[1:], "base"]:
        command.downgrade(alembic_config(empty.url), target)
        assert revision(empty) == (None if target == "base" else target)
    assert set(inspect(empty.engine).get_table_names()) <= {"alembic_version"}
    empty.upgrade()
    assert same_parts(schema(empty)) == at_head


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


@pytest.mark.sqlite_only
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


# --- 0003: a person's channel accounts -------------------------------------------------------


def at_revision(database: Database, target: str) -> None:
    command.upgrade(alembic_config(database.url), target)


def test_0003_turns_each_person_into_a_person_with_an_account(empty: Database) -> None:
    at_revision(empty, "0002")
    with empty.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO person (id, channel, external_id, display_name, username, locale, "
                "reachability, created_at) VALUES "
                "(1, 'telegram', '1001', 'Lan', 'lan', 'vi', 'ok', '2026-01-05 08:00:00'), "
                "(2, 'telegram', '1002', 'Tám', NULL, NULL, 'blocked', '2026-02-01 09:30:00'), "
                "(3, 'telegram', '1003', 'Sáu', NULL, 'en', 'never_started', "
                "'2026-03-01 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO organisation (id, name, timezone, locale, channel, group_chat_id, "
                "created_at) VALUES (1, 'Chi bộ Một', 'Asia/Ho_Chi_Minh', 'vi', 'telegram', "
                "'-100', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO member (id, org_id, full_name, role, status, person_id, created_at) "
                "VALUES (1, 1, 'Trần Thị Lan', 'secretary', 'full', 1, '2026-01-05 08:00:00'), "
                "(2, 1, 'Lê Văn Tám', 'member', 'full', 2, '2026-02-01 09:30:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO processedupdate (channel, update_id, at) VALUES "
                "('telegram', 123456789012, '2026-03-01 10:00:00'), "
                "('telegram', 7, '2026-03-01 10:00:00')"
            )
        )

    follow_explicit_ids(empty, "person", "organisation", "member")

    empty.upgrade()

    with empty.session() as session:
        accounts = session.exec(select(models.Account).order_by(models.Account.id)).all()
        assert [
            (a.person_id, a.channel, a.external_id, a.username, a.reachability, a.created_at)
            for a in accounts
        ] == [
            (
                1,
                "telegram",
                "1001",
                "lan",
                models.Reachability.OK,
                datetime(2026, 1, 5, 8, tzinfo=UTC),
            ),
            (
                2,
                "telegram",
                "1002",
                None,
                models.Reachability.BLOCKED,
                datetime(2026, 2, 1, 9, 30, tzinfo=UTC),
            ),
            (
                3,
                "telegram",
                "1003",
                None,
                models.Reachability.NEVER_STARTED,
                datetime(2026, 3, 1, 10, tzinfo=UTC),
            ),
        ]
        assert all(a.last_seen_at is None for a in accounts)
        persons = session.exec(select(models.Person).order_by(models.Person.id)).all()
        assert [(p.id, p.display_name, p.locale, p.notify_channel) for p in persons] == [
            (1, "Lan", "vi", None),
            (2, "Tám", None, None),
            (3, "Sáu", "en", None),
        ]
        members = session.exec(select(models.Member).order_by(models.Member.id)).all()
        assert [m.person_id for m in members] == [1, 2]
        updates = session.exec(select(models.ProcessedUpdate.update_id)).all()
        assert sorted(updates) == ["123456789012", "7"]
    with empty.session() as session:
        lan = people.get_person(session=session, channel="telegram", external_id="1001")
        assert lan is not None
        assert lan.id == 1
        assert people.address(session=session, person=lan).external_id == "1001"
    person_columns = {c["name"] for c in inspect(empty.engine).get_columns("person")}
    assert person_columns == {"id", "display_name", "locale", "notify_channel", "created_at"}
    foreign_keys_hold(empty)
    with empty.session() as session:
        # The copied accounts took ids the database chose: the next new person and account
        # get fresh ones.
        tam, account = people.ensure_account(
            session=session,
            channel="zalo",
            external_id="a1b2c3",
            display_name="Tám",
            username=None,
            now=datetime(2026, 4, 1, tzinfo=UTC),
        )
        assert (tam.id, account.id) == (4, 4)


def test_0003_downgrade_gives_each_person_their_oldest_account_back(
    empty: Database, now: datetime
) -> None:
    empty.upgrade()
    with empty.session() as session:
        lan, _ = people.ensure_account(
            session=session,
            channel="telegram",
            external_id="1001",
            display_name="Lan",
            username="lan",
            now=now,
        )
        _, zalo = people.ensure_account(
            session=session,
            channel="zalo",
            external_id="a1b2c3",
            display_name="Lan",
            username=None,
            now=now + timedelta(hours=1),
        )
        people.link_account(session=session, account=zalo, person=lan)
        session.add(models.ProcessedUpdate(channel="telegram", update_id="41", at=now))
        session.add(models.ProcessedUpdate(channel="zalo", update_id="9f8e7d", at=now))

    command.downgrade(alembic_config(empty.url), "0002")
    with empty.engine.connect() as connection:
        assert connection.execute(
            text("SELECT id, channel, external_id, username, reachability FROM person")
        ).all() == [(lan.id, "telegram", "1001", "lan", "unknown")]
        assert connection.execute(
            text("SELECT channel, update_id FROM processedupdate")
        ).all() == [("telegram", 41)]
    assert "account" not in inspect(empty.engine).get_table_names()
    empty.upgrade()
    with empty.session() as session:
        assert [
            (a.channel, a.external_id) for a in session.exec(select(models.Account)).all()
        ] == [("telegram", "1001")]


def test_0006_fills_the_roster_order_of_existing_members(empty: Database, now: datetime) -> None:
    at_revision(empty, "0005")
    with empty.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (id, name, timezone, locale, channel, created_at) "
                "VALUES (1, 'Chi bộ Một', 'Asia/Ho_Chi_Minh', 'vi', 'telegram', "
                "'2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO member (id, org_id, full_name, role, status, created_at) VALUES "
                "(1, 1, 'Trần Văn Ấn', 'member', 'full', '2026-01-05 08:00:00'), "
                "(2, 1, 'Lê Thị Ánh', 'member', 'full', '2026-01-05 08:00:00'), "
                "(3, 1, 'Đỗ Văn Bình', 'deputy', 'full', '2026-01-05 08:00:00'), "
                "(4, 1, 'Nguyễn Thị An', 'member', 'full', '2026-01-05 08:00:00'), "
                "(5, 1, 'Phạm Văn Ân', 'secretary', 'full', '2026-01-05 08:00:00'), "
                "(6, 1, 'Vũ Đức Âu', 'member', 'exempt', '2026-01-05 08:00:00')"
            )
        )
    follow_explicit_ids(empty, "organisation", "member")

    empty.upgrade()

    with empty.session() as session:
        stored = session.exec(select(models.Member).order_by(models.Member.id)).all()
        assert all(m.sort_key == roster_sort_key(m.role, m.full_name) for m in stored)
        # The stored order is the roster's: committee first, then a < ă < â, then tones.
        assert [m.full_name for m in members.active_members(session=session, org_id=1)] == [
            "Phạm Văn Ân",
            "Đỗ Văn Bình",
            "Nguyễn Thị An",
            "Lê Thị Ánh",
            "Trần Văn Ấn",
            "Vũ Đức Âu",
        ]
        # A later write keeps it up to date.
        members.add_members(
            session=session,
            org_id=1,
            names=["Hoàng Thị Ăn"],
            role=models.Role.MEMBER,
            status=models.MemberStatus.FULL,
            actor=None,
            now=now,
        )
        names = [m.full_name for m in members.active_members(session=session, org_id=1)]
        assert names.index("Hoàng Thị Ăn") == names.index("Lê Thị Ánh") + 1
    command.downgrade(alembic_config(empty.url), "0005")
    member_columns = {c["name"] for c in inspect(empty.engine).get_columns("member")}
    assert "sort_key" not in member_columns
