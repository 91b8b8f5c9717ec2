"""Cost of one reminder tick against the floor of inserting its outbox rows in one statement.

Builds 500 cells × 40 joined members through the real services (orgs, members, invites,
meetings), each with a monthly meeting reminding 3 days, 1 day and 2 hours before, all at the
same start. At the moment the 3-day reminders fall due, one `reminders.send_due` call (in one
transaction, committed) finds the 500 due reminders and enqueues a private row per member.
Prints its time as a ratio of the floor: the same rows (rebuilt with outbox.message_rows)
inserted with ONE executemany INSERT into a copy of the world taken just before the tick (a copy,
not an empty database, because outbox rows reference their people and cells); the target is at
most 3: finding the recipients (one light query, no ORM objects) and rendering (once per
language and meeting, shaped once per language and channel) cost less than writing the rows
twice. Also counts the SQL statements of a tick at 5 and at 40 members per cell: the count must
not grow with members.

Run: .venv/bin/python bench/reminders.py [--cells N] [--members N]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from bot.db import Database  # noqa: E402
from bot.models import MeetingKind, MemberStatus, OutboxMessage, Person, Recurrence, Role  # noqa: E402
from bot.services import invites, meetings, members, orgs, outbox, people, reminders  # noqa: E402
from bot.ui import keyboard_from_json  # noqa: E402

OFFSETS = [3 * 24 * 60, 24 * 60, 120]
BUILT_AT = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
STARTS_AT = datetime(2025, 3, 20, 12, 30, tzinfo=UTC)  # 19:30 in Hà Nội
TICK_AT = STARTS_AT - timedelta(minutes=OFFSETS[0]) + timedelta(seconds=30)
TARGET = 3  # the tick's time as a multiple of its bulk-INSERT floor, at most


def _person(session: Session, external: int, name: str) -> Person:
    return people.ensure_person(
        session=session,
        channel="telegram",
        external_id=str(external),
        display_name=name,
        username=None,
        now=BUILT_AT,
    )


def build_world(db: Database, cells: int, per_cell: int) -> None:
    """Creates the cells, their joined members and monthly meetings (one transaction a cell)."""
    external = 10_000
    for n in range(cells):
        with db.session() as session:
            name = f"Chi bộ Bench {n:04d}"
            org, code = orgs.create_org(
                session=session,
                name=name,
                parent_name=None,
                timezone="Asia/Ho_Chi_Minh",
                locale="vi",
                now=BUILT_AT,
            )
            external += 1
            secretary = _person(session, external, f"Bí thư {n}")
            org, _ = orgs.link_group(
                session=session,
                code=code,
                channel="telegram",
                chat_id=f"-100{n:06d}",
                chat_title=name,
                admin=secretary,
                now=BUILT_AT,
            )
            assert org.id is not None
            added = members.add_members(
                session=session,
                org_id=org.id,
                names=[f"Đảng viên Số {n} {i}" for i in range(per_cell - 1)],
                role=Role.MEMBER,
                status=MemberStatus.FULL,
                actor=secretary,
                now=BUILT_AT,
            )
            for member in added:
                assert member.id is not None
                token = invites.create_personal_invite(
                    session=session,
                    org_id=org.id,
                    member_id=member.id,
                    actor=secretary,
                    now=BUILT_AT,
                )
                external += 1
                person = _person(session, external, member.full_name)
                invites.accept_personal_invite(
                    session=session, token=token, person=person, now=BUILT_AT
                )
            draft = meetings.MeetingDraft(
                kind=MeetingKind.REGULAR,
                starts_at=STARTS_AT,
                topic="Sinh hoạt chi bộ thường kỳ",
                place="Phòng họp tầng 2",
                reminder_offsets=list(OFFSETS),
                recurrence=Recurrence.MONTHLY_DAY,
            )
            meetings.create_meeting(
                session=session, org_id=org.id, draft=draft, actor=secretary, now=BUILT_AT
            )


def tick(db: Database) -> tuple[reminders.ReminderReport, float, list[str], str]:
    """Runs one send_due at the 3-day moment; returns its report, seconds, statements, error."""
    seen: list[str] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", hook)
    started = time.perf_counter()
    try:
        with db.session() as session:
            report = reminders.send_due(session=session, now=TICK_AT)
        elapsed = time.perf_counter() - started
    except OperationalError as exc:
        return reminders.ReminderReport(0, 0, 0, 0), 0.0, seen, str(exc.orig)
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)
    return report, elapsed, seen, ""


def scaling() -> tuple[int, int, list[str], list[str]]:
    """Statements per tick at 5 and at 40 members per cell (50 cells each, fresh databases)."""
    out: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for per_cell in (5, 40):
            db = Database(f"sqlite:///{tmp}/small-{per_cell}.db")
            db.upgrade()
            build_world(db, 50, per_cell)
            out.append(tick(db)[2])
            db.dispose()
    return len(out[0]), len(out[1]), out[0], out[1]


def floor_seconds(world: Database, floor: Database) -> float:
    """Rebuilds the tick's rows with message_rows and times one executemany INSERT of them."""
    with world.session() as session:
        enqueued = list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
    rows: list[dict[str, Any]] = []
    for row in enqueued:
        rows.extend(
            outbox.message_rows(
                dedupe_key=row.dedupe_key,
                chat_id=row.chat_id,
                text=row.payload["text"],
                keyboard=keyboard_from_json(row.payload.get("keyboard")),
                priority=row.priority,
                person_id=row.person_id,
                org_id=row.org_id,
                is_group=row.is_group,
                now=TICK_AT,
            )
        )
    started = time.perf_counter()
    with floor.session() as session:
        session.execute(insert(OutboxMessage.__table__), rows)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def copy(source: str, target: str) -> None:
    """Copies a SQLite database (the world before the tick: the floor's parent rows)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()


def top_statements(seen: list[str], n: int = 8) -> list[tuple[str, int]]:
    """Groups statements by their first 60 characters, most frequent first."""
    return Counter(" ".join(s.split())[:60] for s in seen).most_common(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=500)
    parser.add_argument("--members", type=int, default=40)
    args = parser.parse_args()
    expected = args.cells * args.members
    # The small worlds are built on the other core while this one builds the big world.
    with ProcessPoolExecutor(max_workers=1) as pool, tempfile.TemporaryDirectory() as tmp:
        small = pool.submit(scaling)
        world = Database(f"sqlite:///{tmp}/world.db")
        world.upgrade()
        started = time.perf_counter()
        build_world(world, args.cells, args.members)
        built = time.perf_counter() - started
        world.dispose()
        copy(f"{tmp}/world.db", f"{tmp}/floor.db")
        few, many, few_seen, many_seen = small.result()
        report, tick_s, seen, failure = tick(world)
        floor = Database(f"sqlite:///{tmp}/floor.db")
        floor_s = floor_seconds(world, floor) if not failure else 0.0
        floor.dispose()
        world.dispose()

    # Every member is FULL and joined (the secretary too): all receive the 3-day reminder; the
    # group copy goes out only with the last (2-hour) reminder, so none now.
    grows = few != many
    print(f"cells:                           {args.cells}")
    print(f"members per cell:                {args.members}   (all joined, status full)")
    print(f"world built in:                  {built:.1f} s   (real join path, 1 core)")
    due = "n/a (the tick failed)" if failure else report.sent + report.late + report.skipped
    print(f"due reminders found:             {due}   (expected {args.cells})")
    print(f"rows enqueued:                   {report.rows}   (expected {expected}: 0 group rows)")
    if failure:
        print(f"tick FAILED:                     {failure}   (nothing enqueued, rolled back)")
    else:
        print(f"statements in the tick:          {len(seen)}   (incl. BEGIN)")
        print(f"tick time:                       {tick_s:.3f} s")
        print(f"bulk-insert floor:               {floor_s:.3f} s   (one executemany INSERT)")
        print(
            f"ratio tick/floor:                {tick_s / floor_s:.2f}   (lower is better; 1.0 ="
            f" the tick costs no more than writing its rows; target <= {TARGET})"
        )
    print(f"statements per tick, 5/cell:     {few}   (50 cells)")
    print(f"statements per tick, 40/cell:    {many}   (50 cells)")
    print(f"statements grow with members:    {'yes' if grows else 'no'}   (target no)")
    if grows or failure or report.rows != expected or tick_s > TARGET * floor_s:
        for label, stmts in (("world", seen), ("5/cell", few_seen), ("40/cell", many_seen)):
            print(f"most frequent statements ({label}):")
            for text, count in top_statements(stmts):
                print(f"  {count:6d}  {text}")


if __name__ == "__main__":
    main()
