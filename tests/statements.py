"""Counts the SQL statements a piece of code runs (a cost that must not grow with the data)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import event

from bot.db import Database

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


class count_statements:
    """Counts statements sent to the database while the block runs (BEGIN/COMMIT excluded)."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.count = 0
        self.statements: list[str] = []

    def _seen(self, *args: Any) -> None:
        statement: str = args[2]
        if statement.split(None, 1)[0].upper() in TRANSACTION_CONTROL:
            return
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> count_statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)
