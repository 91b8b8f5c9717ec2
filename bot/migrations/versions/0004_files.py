"""files: bytes the bot sends are stored once, with the id each channel gave them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:20:00.000000

Outbox rows used to carry a generated file's bytes (base64) in their payload; they now refer
to `storedfile`, and `filecopy` remembers the provider's file id per channel after the first
upload.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "storedfile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("mime_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", bot.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storedfile")),
        sa.UniqueConstraint("sha256", name=op.f("uq_storedfile_sha256")),
    )
    op.create_table(
        "filecopy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "provider_file_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False
        ),
        sa.Column("created_at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["storedfile.id"], name=op.f("fk_filecopy_file_id_storedfile")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filecopy")),
        sa.UniqueConstraint("file_id", "channel", name=op.f("uq_filecopy_file_id")),
    )
    with op.batch_alter_table("filecopy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_filecopy_file_id"), ["file_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("filecopy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filecopy_file_id"))
    op.drop_table("filecopy")
    op.drop_table("storedfile")
