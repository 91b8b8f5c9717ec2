"""series notices: when each meeting's notice was queued, so that the tick announces each
occurrence of a repeating meeting once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 13:30:00.000000

Meetings scheduled through the form were announced when they were made; occurrences the tick
made (no author) never were: they keep NULL and the next tick announces those still ahead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("announced_at", bot.models.UTCDateTime(), nullable=True))
    op.execute("UPDATE meeting SET announced_at = created_at WHERE created_by IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("announced_at")
