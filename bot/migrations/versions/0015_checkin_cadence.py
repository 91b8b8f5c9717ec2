"""the cell's default check-in cadence for new registrations

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 13:40:00.000000

/caidat sets how often new registrations check in on progress (monthly, quarterly or not at
all); the registration form offers it first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(
            sa.Column(
                "checkin_cadence", sa.String(length=16), nullable=False, server_default="monthly"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("checkin_cadence")
