"""expiry: outbox rows carry the moment they stop being useful

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00.000000

`expires_at` replaces a fixed number of attempts: a row is retried through an outage for as
long as it is useful (a reminder until its meeting starts, a reply for an hour, a notice until
delivered) and ends as `expired` otherwise. Rows queued before this revision keep no expiry.
Two partial indexes on pending rows: by chat (how many replies a chat has queued) and by
expiry (the tick's sweep).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
EXPIRING = sa.text("status = 'pending' AND expires_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", bot.models.UTCDateTime(), nullable=True))
    op.create_index(
        "ix_outbox_pending_chat",
        "outboxmessage",
        ["chat_id", "priority"],
        unique=False,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_outbox_expiring",
        "outboxmessage",
        ["expires_at"],
        unique=False,
        sqlite_where=EXPIRING,
        postgresql_where=EXPIRING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_expiring", table_name="outboxmessage")
    op.drop_index("ix_outbox_pending_chat", table_name="outboxmessage")
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
