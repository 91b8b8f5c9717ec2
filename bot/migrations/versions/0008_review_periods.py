"""review periods: a member writes a self-review at the sơ kết and another at the tổng kết

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

`selfreview.period` ("mid": sơ kết 6 tháng, "year": tổng kết năm); existing rows were the
year's. The unique constraint becomes (campaign_id, member_id, period).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERIOD = sa.Enum("mid", "year", name="reviewperiod", native_enum=False, length=32)


def upgrade() -> None:
    with op.batch_alter_table("selfreview") as batch:
        batch.add_column(sa.Column("period", PERIOD, nullable=False, server_default="year"))
        batch.drop_constraint("uq_selfreview_campaign_id", type_="unique")
        batch.create_unique_constraint(
            "uq_selfreview_campaign_id", ["campaign_id", "member_id", "period"]
        )
    with op.batch_alter_table("selfreview") as batch:
        batch.alter_column("period", server_default=None, existing_type=PERIOD)


def downgrade() -> None:
    op.execute("DELETE FROM selfreview WHERE period <> 'year'")
    with op.batch_alter_table("selfreview") as batch:
        batch.drop_constraint("uq_selfreview_campaign_id", type_="unique")
        batch.create_unique_constraint("uq_selfreview_campaign_id", ["campaign_id", "member_id"])
        batch.drop_column("period")
