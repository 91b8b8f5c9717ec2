"""leases: several processes on one database

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 02:00:00.000000

`lease` holds the leader role (the one process that drains the outbox and runs the tick).
An outbox claim records its holder (`claimed_by`, a uuid per process) and `lease_until`; rows
claimed before this revision get a lease that has already expired, so the next leader queues
them again, as a starting process used to. `purged_at` marks sent rows whose payload the
retention purge emptied. A partial index on pending rows serves the dispatcher's pick, and
one on sent, unpurged rows the purge.

A monthly series has one meeting per start: `(series_id, starts_at)` becomes unique. Existing
duplicates (two processes extended a series at once) are resolved first: a duplicate nobody
touched (no RSVP, roll call, document, task or conclusion) is deleted with its reminders, any
other is detached from the series and stays a one-off meeting, so no answer is lost.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
UNPURGED = sa.text("purged_at IS NULL AND sent_at IS NOT NULL")

# A duplicate repeats an earlier meeting (lower id) of its series at the same start; it is
# removable when nobody touched it.
REMOVABLE = """
SELECT m.id FROM meeting m
WHERE m.series_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM meeting k
              WHERE k.series_id = m.series_id AND k.starts_at = m.starts_at AND k.id < m.id)
  AND m.conclusion IS NULL AND m.roll_call_closed_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM rsvp r WHERE r.meeting_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.meeting_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM meetingdocument d WHERE d.meeting_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM meetingtask t WHERE t.meeting_id = m.id)
"""
DETACH = """
UPDATE meeting SET series_id = NULL
WHERE id IN (
  SELECT m.id FROM meeting m
  WHERE m.series_id IS NOT NULL
    AND EXISTS (SELECT 1 FROM meeting k
                WHERE k.series_id = m.series_id AND k.starts_at = m.starts_at AND k.id < m.id)
)
"""


def _deduplicate_meetings() -> None:
    # Built from the constant above only.
    op.execute("DELETE FROM meetingreminder WHERE meeting_id IN (" + REMOVABLE + ")")  # noqa: S608
    op.execute("DELETE FROM meeting WHERE id IN (" + REMOVABLE + ")")  # noqa: S608
    # Whatever duplicate remains holds someone's answers: it stays, as a one-off meeting.
    op.execute(DETACH)


def upgrade() -> None:
    op.create_table(
        "lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("until", bot.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lease")),
    )
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("lease_until", bot.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("purged_at", bot.models.UTCDateTime(), nullable=True))
    op.execute("UPDATE outboxmessage SET lease_until = claimed_at WHERE status = 'sending'")
    op.create_index(
        "ix_outbox_pending",
        "outboxmessage",
        ["channel", "priority", "id", "next_attempt_at"],
        unique=False,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_outbox_unpurged",
        "outboxmessage",
        ["sent_at"],
        unique=False,
        sqlite_where=UNPURGED,
        postgresql_where=UNPURGED,
    )
    _deduplicate_meetings()
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_meeting_series_id"), ["series_id", "starts_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_meeting_series_id"), type_="unique")
    op.drop_index("ix_outbox_unpurged", table_name="outboxmessage")
    op.drop_index("ix_outbox_pending", table_name="outboxmessage")
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
    op.drop_table("lease")
