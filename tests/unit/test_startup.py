"""Start-up loads what running the bot needs, no more: CLI-only libraries load in their command,
Alembic only for a database that needs migrating, aiohttp only for Zalo or /metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.db import Database
from chibot import schema

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("openpyxl", "alembic", "aiohttp", "matplotlib")


def loaded_after(code: str) -> dict[str, bool]:
    """Which of HEAVY a fresh interpreter has loaded after running `code`."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_and_the_runtime_loads_no_command_library() -> None:
    assert loaded_after("import chibot.cli, chibot.runtime") == dict.fromkeys(HEAVY, False)


@pytest.mark.sqlite_only
def test_a_database_at_head_starts_without_alembic(database_url: str) -> None:
    # The `database_url` fixture is migrated to head; `chibot run` checks it, then builds the
    # runtime (Telegram only, no /metrics).
    code = f"""
from bot.config import Settings
from bot.db import Database
from chibot import schema
from chibot.runtime import Runtime
db = Database({database_url!r})
done = schema.upgrade(db)
assert done.before == done.after, done
settings = Settings(
    _env_file=None, TELEGRAM_BOT_TOKEN="1:probe-token", CHIBOT_DATABASE_URL={database_url!r}
)
Runtime(settings, db=db)
"""
    assert loaded_after(code) == dict.fromkeys(HEAVY, False)


def test_the_heads_read_from_the_files_are_alembics(database_url: str) -> None:
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config(database_url))
    heads = tuple(sorted(script.get_heads()))
    assert schema._heads_from_files() == heads
    db = Database(database_url)
    try:
        assert schema.at_head(db) == heads
        with db.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        assert schema.at_head(db) is None  # behind: Alembic decides (and upgrades)
        assert schema.schema(db).state == schema.SchemaState.OLDER
    finally:
        db.dispose()


def test_an_empty_database_is_not_at_head(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        assert schema.at_head(db) is None
    finally:
        db.dispose()
