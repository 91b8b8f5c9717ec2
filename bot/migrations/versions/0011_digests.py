"""digests and cell settings: the weekly digest's day, time and next due instant, and the
default reminder offsets of new meetings, on each organisation

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 11:00:00.000000

Existing cells get the defaults (Monday 07:30, on); `digest_due_at` stays empty until the tick
computes it from the cell's zone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(
            sa.Column("digest_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("digest_weekday", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("digest_time", sa.String(length=5), nullable=False, server_default="07:30")
        )
        batch.add_column(sa.Column("digest_due_at", bot.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reminder_offsets", sa.JSON(), nullable=True))
        batch.create_index("ix_organisation_digest_due_at", ["digest_due_at"])
    with op.batch_alter_table("organisation") as batch:
        batch.alter_column("digest_enabled", server_default=None, existing_type=sa.Boolean())
        batch.alter_column("digest_weekday", server_default=None, existing_type=sa.Integer())
        batch.alter_column("digest_time", server_default=None, existing_type=sa.String(5))


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_index("ix_organisation_digest_due_at")
        batch.drop_column("reminder_offsets")
        batch.drop_column("digest_due_at")
        batch.drop_column("digest_time")
        batch.drop_column("digest_weekday")
        batch.drop_column("digest_enabled")
