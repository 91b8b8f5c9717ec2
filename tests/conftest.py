"""Shared fixtures: an isolated environment and a migrated SQLite database per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db import Database

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


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
    """Runs the real Alembic migrations once; tests copy the result."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture
def db(migrated_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database file for one test."""
    path = tmp_path / "chibot.db"
    shutil.copy(migrated_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def now() -> datetime:
    """The fixed instant unit tests run at."""
    return NOW
