"""sort keys: the roster's order is stored, not recomputed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12 02:00:00.000000

`member.sort_key` holds where a member stands in the roster (committee first, then by given
name, then by full name, in Vietnamese dictionary order) as bytes that compare byte by byte,
whatever the database's collation: `bot.models.members.roster_sort_key`, which the application
keeps up to date on every write of a member. Existing rows are filled here. The index on
(org_id, removed_at, sort_key) gives a page of a cell's current roster in order without sorting
the cell; it replaces the index on (org_id, removed_at), its prefix.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.models.members import roster_sort_key

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _backfill() -> None:
    bind = op.get_bind()
    member = sa.table(
        "member",
        sa.column("id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("full_name", sa.String),
        sa.column("sort_key", sa.LargeBinary),
    )
    rows = bind.execute(sa.select(member.c.id, member.c.role, member.c.full_name)).all()
    fill = (
        member.update()
        .where(member.c.id == sa.bindparam("member_id"))
        .values(sort_key=sa.bindparam("key"))
    )
    for start in range(0, len(rows), BATCH):
        bind.execute(
            fill,
            [
                {"member_id": row.id, "key": roster_sort_key(row.role, row.full_name)}
                for row in rows[start : start + BATCH]
            ],
        )


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sort_key", sa.LargeBinary(), nullable=True))
    _backfill()
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.alter_column("sort_key", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_index("ix_member_org_active")
        batch_op.create_index(
            "ix_member_org_roster", ["org_id", "removed_at", "sort_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index("ix_member_org_roster")
        batch_op.create_index("ix_member_org_active", ["org_id", "removed_at"], unique=False)
        batch_op.drop_column("sort_key")
