"""tasks assigned at a meeting can be marked done

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 13:15:00.000000

A task's owner (or the committee) marks it done from the private message that told them of
it: the digest stops listing it as overdue and the period report counts it as completed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetingtask") as batch:
        batch.add_column(sa.Column("done_at", bot.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("done_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_meetingtask_done_by_person"), "person", ["done_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("meetingtask") as batch:
        batch.drop_constraint(op.f("fk_meetingtask_done_by_person"), type_="foreignkey")
        batch.drop_column("done_by")
        batch.drop_column("done_at")
