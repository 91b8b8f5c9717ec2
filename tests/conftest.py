"""Shared fixtures: an isolated environment and a migrated database per test, on each backend.

A test that asks for `db` (or `database_url`, or the e2e runtime) runs twice: `[sqlite]` on a copy
of a migrated SQLite file and `[postgres]` on a copy (CREATE DATABASE … TEMPLATE) of a migrated
database in a throw-away PostgreSQL cluster started once per session (tests/pg.py). Mark a test
`@pytest.mark.sqlite_only` when it is about SQLite itself; `pytest --backend sqlite` runs one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.db import Database

if TYPE_CHECKING:
    from tests.pg import Cluster

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
BACKENDS = ("sqlite", "postgres")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="run the database tests on this backend only (repeatable; default: both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: a test about SQLite itself; not run on PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    chosen = metafunc.config.getoption("backend") or BACKENDS
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        chosen = [name for name in chosen if name == "sqlite"]
    metafunc.parametrize("backend", [name for name in BACKENDS if name in chosen], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this run of the test: "sqlite" or "postgres"."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keeps a developer's .env and CHIBOT_* variables out of every test."""
    import os

    for name in list(os.environ):
        if name.startswith("CHIBOT_") or name == "TELEGRAM_BOT_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs the real Alembic migrations once on SQLite; tests copy the result."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the session; fails (never skips) when unavailable."""
    try:
        from tests.pg import Cluster, PostgresUnavailable
    except ImportError as error:
        pytest.fail(
            f"PostgreSQL is required for the [postgres] tests: {error} "
            "(install the extra: pip install -e '.[dev,postgres]', as `make test` does)",
            pytrace=False,
        )
    problem = None
    try:
        cluster = Cluster.start()
    except PostgresUnavailable as error:
        problem = str(error)
    if problem is not None:
        pytest.fail(f"PostgreSQL is required for the [postgres] tests: {problem}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster) -> str:
    """A PostgreSQL database migrated once with the real Alembic migrations; tests copy it."""
    name = pg_cluster.create_database()
    db = Database(pg_cluster.url(name))
    db.upgrade()
    db.dispose()
    return name


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The URL of a new, empty database (no tables) on this test's backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    cluster = _cluster(request)
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh, migrated database for one test on this test's backend."""
    if backend == "sqlite":
        path = tmp_path / "chibot.db"
        shutil.copy(request.getfixturevalue("migrated_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster = _cluster(request)
    name = cluster.create_database(template=request.getfixturevalue("pg_template"))
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


def _cluster(request: pytest.FixtureRequest) -> Cluster:
    # Looked up on demand so that SQLite runs never start (or need) PostgreSQL.
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A fresh, migrated database for one test (SQLite file or PostgreSQL database)."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def now() -> datetime:
    """The fixed instant unit tests run at."""
    return NOW
