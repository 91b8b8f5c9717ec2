"""The weekly digest at scale: every cell's digest for a province, as a ratio of reading the same
rows with plain SELECTs.

Builds 1,000 cells x 50 joined members (rows written in bulk: the writing journeys are not what
is measured) with six months of cell life: a regular meeting a month with everyone's attendance
(a few excused and unexcused), the next meeting, a "làm theo Bác" registration with each
member's commitment (most approved) and one item, five monthly check-in rounds answered by most,
a commendation, a task past its due date, and two announcements asking for "✅ Đã nắm" with
most confirmations. Then measures:

1. Computing every cell's digest (figures, the committee's exceptions, the group's and the
   committee's texts; no charts) in one pass, against the floor: plain Core SELECTs of the rows
   those digests read (the members, a year of attendance, the commitments, the check-ins of
   the latest rounds, the recent announcements' recipients), fetched whole. Target: <= 5.
2. SQL statements for one cell's digest at 10 and at 50 members: must be equal.
3. Drawing one cell's chart (matplotlib, PNG): seconds per cell, over 20 cells.
4. Peak memory of the digest pass (tracemalloc) and the process's peak RSS.

Run: .venv/bin/python bench/digests.py [--cells N] [--members N] [--quick]
(--quick: 100 cells; under a minute.)
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402
from sqlmodel import SQLModel, col, select  # noqa: E402

from bot.db import Database  # noqa: E402
from bot.i18n import translator  # noqa: E402
from bot.models import (  # noqa: E402
    Account,
    Announcement,
    AnnouncementRecipient,
    AnnouncementStatus,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingTask,
    Member,
    MemberStatus,
    Organisation,
    Person,
    Reachability,
    Role,
)
from bot.models.commitments import (  # noqa: E402
    Cadence,
    Campaign,
    CampaignKind,
    CheckIn,
    CheckInRound,
    Commendation,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    ItemStatus,
    RoundStatus,
)
from bot.render_digests import committee_digest, group_digest  # noqa: E402
from bot.services import campaigns, digest_charts, digests  # noqa: E402

TARGET = 5
NOW = datetime(2027, 7, 5, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
MONTHS = 6
ROUNDS = 5
CHUNK = 20_000


class Ids:
    """Hands out primary keys per table, so related rows can be written in bulk."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        self._next[table] = self._next.get(table, 0) + 1
        return self._next[table]


def _dump(rows: Iterable[SQLModel]) -> list[dict[str, Any]]:
    return [row.model_dump() for row in rows]


def _chunks(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def build(db: Database, cells: int, per_cell: int) -> None:
    """Writes the province in bulk (see the module's docstring)."""
    ids = Ids()
    out: dict[type[SQLModel], list[SQLModel]] = {}

    def add(row: SQLModel) -> None:
        out.setdefault(type(row), []).append(row)

    built = NOW - timedelta(days=200)
    for n in range(cells):
        org_id = ids("org")
        add(
            Organisation(
                id=org_id,
                name=f"Chi bộ Số {n:05d}",
                channel="telegram",
                group_chat_id=f"-100{n:07d}",
                created_at=built,
            )
        )
        members: list[int] = []
        for i in range(per_cell):
            person_id, member_id = ids("person"), ids("member")
            add(Person(id=person_id, display_name=f"Đảng viên {n} {i}", created_at=built))
            reach = Reachability.BLOCKED if i == per_cell - 1 else Reachability.OK
            add(
                Account(
                    id=ids("account"),
                    person_id=person_id,
                    channel="telegram",
                    external_id=str(person_id),
                    reachability=reach,
                    created_at=built,
                )
            )
            role = Role.SECRETARY if i == 0 else Role.DEPUTY if i == 1 else Role.MEMBER
            add(
                Member(
                    id=member_id,
                    org_id=org_id,
                    full_name=f"Nguyễn Văn {n} {i}",
                    role=role,
                    status=MemberStatus.FULL,
                    person_id=person_id,
                    created_at=built,
                    joined_at=built,
                )
            )
            members.append(member_id)
        meetings = []
        for month in range(MONTHS):
            meeting_id = ids("meeting")
            starts = NOW - timedelta(days=30 * (MONTHS - month)) + timedelta(hours=11)
            add(
                Meeting(
                    id=meeting_id,
                    org_id=org_id,
                    kind=MeetingKind.REGULAR,
                    starts_at=starts,
                    place="Hội trường",
                    created_at=built,
                    updated_at=built,
                    roll_call_closed_at=starts + timedelta(hours=2),
                )
            )
            meetings.append(meeting_id)
            for i, member_id in enumerate(members):
                status = (
                    AttendanceStatus.UNEXCUSED
                    if i == (month + n) % per_cell
                    else AttendanceStatus.EXCUSED
                    if i == (month + n + 3) % per_cell
                    else AttendanceStatus.PRESENT
                )
                add(
                    Attendance(
                        id=ids("attendance"),
                        meeting_id=meeting_id,
                        member_id=member_id,
                        status=status,
                        at=starts,
                    )
                )
        add(
            Meeting(
                id=ids("meeting"),
                org_id=org_id,
                kind=MeetingKind.REGULAR,
                starts_at=NOW + timedelta(days=10),
                place="Hội trường",
                created_at=built,
                updated_at=built,
            )
        )
        add(
            MeetingTask(
                id=ids("task"),
                meeting_id=meetings[-1],
                owner_member_id=members[2],
                description="Nộp báo cáo quý",
                created_at=built,
                due_on=NOW.date() - timedelta(days=3),
            )
        )
        campaign_id = ids("campaign")
        add(
            Campaign(
                id=campaign_id,
                org_id=org_id,
                kind=CampaignKind.FOLLOW,
                year=2027,
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 12, 31),
                deadline=date(2027, 1, 31),
                cadence=Cadence.MONTHLY,
                sections=campaigns.default_sections(CampaignKind.FOLLOW),
                created_at=built,
            )
        )
        items = []
        for i, member_id in enumerate(members):
            if i % 25 == 24:
                continue  # has not registered
            commitment_id, item_id = ids("commitment"), ids("item")
            status = CommitmentStatus.SUBMITTED if i % 10 == 9 else CommitmentStatus.APPROVED
            add(
                Commitment(
                    id=commitment_id,
                    campaign_id=campaign_id,
                    member_id=member_id,
                    status=status,
                    submitted_at=built,
                    created_at=built,
                    updated_at=built,
                )
            )
            add(
                CommitmentItem(
                    id=item_id,
                    commitment_id=commitment_id,
                    section_key="follow",
                    text="Giữ gìn nếp sống văn minh",
                )
            )
            if status == CommitmentStatus.APPROVED:
                items.append((member_id, item_id))
        for seq in range(1, ROUNDS + 1):
            round_id = ids("round")
            opens = datetime(2027, 1 + seq, 1, 1, 0, tzinfo=UTC)
            add(
                CheckInRound(
                    id=round_id,
                    campaign_id=campaign_id,
                    seq=seq,
                    period_start=date(2027, seq, 1),
                    opens_at=opens,
                    closes_at=opens + timedelta(days=20),
                    status=RoundStatus.CLOSED if seq < ROUNDS else RoundStatus.OPEN,
                )
            )
            for k, (member_id, item_id) in enumerate(items):
                if k % 12 != seq:  # most answer
                    add(
                        CheckIn(
                            id=ids("checkin"),
                            round_id=round_id,
                            item_id=item_id,
                            member_id=member_id,
                            status=ItemStatus.IN_PROGRESS,
                            updated_at=opens,
                        )
                    )
        add(
            Commendation(
                id=ids("commendation"),
                campaign_id=campaign_id,
                member_id=members[3],
                reason="Gương mẫu đi đầu",
                at=built,
            )
        )
        for a in range(2):
            announcement_id = ids("announcement")
            sent = NOW - timedelta(days=3 + 7 * a)
            add(
                Announcement(
                    id=announcement_id,
                    org_id=org_id,
                    text=f"Thông báo số {a + 1}",
                    status=AnnouncementStatus.SENT,
                    created_at=sent,
                    sent_at=sent,
                )
            )
            for i, member_id in enumerate(members):
                add(
                    AnnouncementRecipient(
                        id=ids("recipient"),
                        announcement_id=announcement_id,
                        member_id=member_id,
                        channel="telegram",
                        chat_id=str(member_id),
                        acked_at=None if i % 8 == a else sent,
                    )
                )
    order = [
        Organisation,
        Person,
        Account,
        Member,
        Meeting,
        Attendance,
        MeetingTask,
        Campaign,
        Commitment,
        CommitmentItem,
        CheckInRound,
        CheckIn,
        Commendation,
        Announcement,
        AnnouncementRecipient,
    ]
    with db.session() as session:
        for model in order:
            table = model.__table__  # type: ignore[attr-defined]
            for chunk in _chunks(_dump(out.get(model, []))):
                session.execute(insert(table), chunk)


def all_digests(db: Database) -> tuple[float, int, int]:
    """Computes every cell's digest and texts; returns seconds, cells and text characters."""
    t = translator("vi")
    started = time.perf_counter()
    characters = 0
    with db.session() as session:
        cells = session.exec(select(Organisation).order_by(col(Organisation.id))).all()
        for org in cells:
            figures = digests.digest_figures(session=session, org=org, now=NOW)
            found = digests.exceptions(session=session, figures=figures)
            characters += len(group_digest(t, figures))
            characters += len(committee_digest(t, figures, found, posted_in_group=True))
    return time.perf_counter() - started, len(cells), characters


def floor_seconds(db: Database) -> tuple[float, int]:
    """Reads the rows the digests read with plain Core SELECTs; returns seconds and rows."""
    year_ago = NOW - timedelta(days=365)
    queries = [
        select(Member.__table__),  # type: ignore[attr-defined]
        select(Account.__table__),  # type: ignore[attr-defined]
        select(Attendance.__table__).where(  # type: ignore[attr-defined]
            col(Attendance.at) >= year_ago
        ),
        select(Commitment.__table__),  # type: ignore[attr-defined]
        select(CheckIn.__table__).where(  # type: ignore[attr-defined]
            col(CheckIn.round_id).in_(
                select(CheckInRound.id).where(CheckInRound.status == RoundStatus.OPEN)
            )
        ),
        select(AnnouncementRecipient.__table__),  # type: ignore[attr-defined]
    ]
    started = time.perf_counter()
    rows = 0
    with db.engine.connect() as connection:
        for query in queries:
            rows += len(connection.execute(query).fetchall())
    return time.perf_counter() - started, rows


def statements_for(per_cell: int) -> int:
    """Statements of one cell's digest in a world of two cells of `per_cell` members."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/s.db")
        db.upgrade()
        build(db, 2, per_cell)
        seen: list[str] = []

        def hook(*args: Any) -> None:
            seen.append(args[2])

        with db.session() as session:
            org = session.exec(select(Organisation).order_by(col(Organisation.id))).first()
            assert org is not None
            event.listen(db.engine, "before_cursor_execute", hook)
            try:
                figures = digests.digest_figures(session=session, org=org, now=NOW)
                digests.exceptions(session=session, figures=figures)
            finally:
                event.remove(db.engine, "before_cursor_execute", hook)
        db.dispose()
        return len(seen)


def chart_seconds(db: Database, count: int = 20) -> float:
    """Seconds to draw one cell's chart, averaged over `count` cells."""
    from bot.reports.chart import digest_chart

    t = translator("vi")
    with db.session() as session:
        cells = session.exec(select(Organisation).order_by(col(Organisation.id))).all()[:count]
        series = [digest_charts.chart_series(session=session, org=org, now=NOW) for org in cells]
    digest_chart(t, series[0])  # the first draw loads fonts
    started = time.perf_counter()
    for found in series:
        assert digest_chart(t, found) is not None
    return (time.perf_counter() - started) / len(series)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cells = 100 if args.quick else args.cells
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/world.db")
        db.upgrade()
        started = time.perf_counter()
        build(db, cells, args.members)
        print(
            f"built {cells} cells x {args.members} members in "
            f"{time.perf_counter() - started:.0f} s"
        )
        floor_s, floor_rows = floor_seconds(db)
        digest_s, done, characters = all_digests(db)
        floor_again, _ = floor_seconds(db)
        tracemalloc.start()  # a pass of its own: tracing slows Python down several times
        all_digests(db)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        floor_s = min(floor_s, floor_again)
        chart_s = chart_seconds(db)
        db.dispose()
    small, large = statements_for(10), statements_for(args.members)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"digests computed:                {done}   ({characters:,} characters of text)")
    per_cell = digest_s / done * 1000
    print(f"all digests (text, no charts):   {digest_s:.2f} s   ({per_cell:.1f} ms a cell)")
    print(f"floor (plain SELECTs):           {floor_s:.2f} s   ({floor_rows:,} rows)")
    print(f"ratio digests/floor:             {digest_s / floor_s:.2f}   (target <= {TARGET})")
    print(f"statements per cell, 10 members: {small}")
    print(f"statements per cell, {args.members} members: {large}   (must equal the line above)")
    print(f"chart per cell:                  {chart_s * 1000:.0f} ms")
    print(f"peak memory of the digest pass:  {peak / 2**20:.1f} MB (tracemalloc)")
    print(f"peak RSS of the process:         {rss:.0f} MB")


if __name__ == "__main__":
    main()
