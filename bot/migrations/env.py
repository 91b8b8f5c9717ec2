"""Alembic environment: runs migrations against the URL set by bot.db.alembic_config."""

from typing import Any

from alembic import context
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from bot import models  # noqa: F401 - registers the tables on the metadata
from bot.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    # Batch mode rebuilds a table by copy, drop and rename; with foreign keys on, dropping a
    # table other tables reference fails (and deferring the check does not help: the rows came
    # back under another table name). SQLite ignores this pragma inside a transaction, so it
    # goes to the driver before SQLAlchemy begins one.
    driver: Any = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _check_foreign_keys(connection: Connection) -> None:
    # With the pragma off nothing checked the references: refuse to commit a dangling one.
    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"migration left broken foreign keys: {broken[:10]}")


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)
    engine.dispose()


run_migrations()
