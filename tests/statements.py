"""Counts the SQL statements a piece of code runs, and the rows they load (costs that must not
grow with the data).

Statements are counted with SQLAlchemy's `before_cursor_execute` engine event (BEGIN, COMMIT,
ROLLBACK and savepoint control excluded).

Rows are counted at the DBAPI cursor, below SQLAlchemy, so that every way of reading is
covered: ORM entities (`session.exec(select(Member))`, `session.get`, lazy loads), Core and
column selects (`session.execute(select(Member.id))`), and rows an INSERT … RETURNING hands
back. While the block runs, the engine's dialect makes its cursors through a subclass of its
execution context whose cursors are wrapped: each `fetchone` / `fetchmany` / `fetchall` adds the
rows it returned. A statement that produces rows counts `max(rows fetched, cursor.rowcount)`:
psycopg (PostgreSQL) reads a whole result into memory at execute and reports its size in
`rowcount`, so there a `.first()` of a query matching a thousand rows counts a thousand; sqlite3
produces rows lazily (its `rowcount` is -1 for a SELECT), so there what was fetched is what was
loaded. Rows of the statements that only write (no result description) are not counted.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import event

from bot.db import Database

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


class _Executed:
    """One execute of a cursor: its statement, rows fetched and the rows the driver reported."""

    __slots__ = ("fetched", "reported", "statement")

    def __init__(self, statement: str) -> None:
        self.statement = statement
        self.fetched = 0
        self.reported = 0

    @property
    def rows(self) -> int:
        return max(self.fetched, self.reported)


class _CountingCursor:
    """A DBAPI cursor that records the rows each of its executes produced."""

    def __init__(self, cursor: Any, counter: count_statements) -> None:
        object.__setattr__(self, "_cursor", cursor)
        object.__setattr__(self, "_counter", counter)
        object.__setattr__(self, "_current", None)

    def _started(self, statement: Any) -> None:
        current = _Executed(str(statement))
        object.__setattr__(self, "_current", current)
        self._counter.executed.append(current)
        cursor = self._cursor
        if cursor.description is not None and isinstance(cursor.rowcount, int):
            current.reported = max(cursor.rowcount, 0)

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = self._cursor.execute(statement, *args, **kwargs)
        self._started(statement)
        return result

    def executemany(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = self._cursor.executemany(statement, *args, **kwargs)
        self._started(statement)
        return result

    def _add(self, rows: int) -> None:
        current = self._current
        if current is not None:
            current.fetched += rows

    def fetchone(self) -> Any:
        row = self._cursor.fetchone()
        if row is not None:
            self._add(1)
        return row

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        rows = self._cursor.fetchmany(*args, **kwargs)
        self._add(len(rows))
        return rows

    def fetchall(self) -> Any:
        rows = self._cursor.fetchall()
        self._add(len(rows))
        return rows

    def __iter__(self) -> Any:
        for row in self._cursor:
            self._add(1)
            yield row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._cursor, name, value)


class count_statements:
    """Counts statements sent to the database while the block runs (BEGIN/COMMIT excluded),
    and the rows they loaded (`rows`; see the module's docstring)."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.count = 0
        self.statements: list[str] = []
        self.executed: list[_Executed] = []
        self._had_own_context: bool = False
        self._own_context: Any = None

    @property
    def rows(self) -> int:
        """Rows loaded by the statements run in the block."""
        return sum(e.rows for e in self.executed)

    def rows_by_statement(self) -> list[tuple[int, str]]:
        """(rows, statement) of every statement that loaded rows, most rows first."""
        found = [(e.rows, " ".join(e.statement.split())) for e in self.executed if e.rows]
        return sorted(found, key=lambda pair: -pair[0])

    def _seen(self, *args: Any) -> None:
        statement: str = args[2]
        if statement.split(None, 1)[0].upper() in TRANSACTION_CONTROL:
            return
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> count_statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        dialect = self.engine.dialect
        self._had_own_context = "execution_ctx_cls" in vars(dialect)
        self._own_context = vars(dialect).get("execution_ctx_cls")
        base = dialect.execution_ctx_cls
        counter = self

        class CountingContext(base):  # type: ignore[misc, valid-type]
            def create_cursor(self) -> Any:
                return _CountingCursor(super().create_cursor(), counter)

        dialect.execution_ctx_cls = CountingContext
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)
        dialect = self.engine.dialect
        if self._had_own_context:
            dialect.execution_ctx_cls = self._own_context
        else:
            del dialect.execution_ctx_cls
