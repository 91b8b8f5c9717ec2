"""check-in evidence and parked forms: a photo or file kept with a check-in answer; the form a
person set aside to fill in a shorter one

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:00:00.000000

A check-in answer keeps the id the channel gave the evidence, the channel and the file's name.
A parked form is a copy of an open form (flow, step, answers) kept apart, one per person and
chat, until it is taken up again or expires.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkin") as batch:
        batch.add_column(
            sa.Column("evidence_ref", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "evidence_channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
            )
        )
        batch.add_column(
            sa.Column("evidence_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
    op.create_table(
        "parkedflow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("flow", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("started_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parkedflow")),
        sa.UniqueConstraint("channel", "chat_id", "user_id", name=op.f("uq_parkedflow_channel")),
    )
    op.create_index(op.f("ix_parkedflow_updated_at"), "parkedflow", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_parkedflow_updated_at"), table_name="parkedflow")
    op.drop_table("parkedflow")
    with op.batch_alter_table("checkin") as batch:
        batch.drop_column("evidence_name")
        batch.drop_column("evidence_channel")
        batch.drop_column("evidence_ref")
