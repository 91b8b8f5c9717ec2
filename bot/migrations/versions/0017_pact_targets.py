"""the collective targets of a cell's giao ước thi đua

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 13:20:00.000000

A pact is the cell's, not each member's: its targets (a line, a unit, a plan value) live with
the campaign, and the committee records what has been achieved against each.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pacttarget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("plan", sa.Float(), nullable=False),
        sa.Column("achieved", sa.Float(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_pacttarget_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["person.id"], name=op.f("fk_pacttarget_updated_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pacttarget")),
    )
    op.create_index(
        "ix_pacttarget_campaign", "pacttarget", ["campaign_id", "position"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pacttarget_campaign", table_name="pacttarget")
    op.drop_table("pacttarget")
