"""announcements: what the committee tells its members, and who acknowledged it

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

Thông báo of a cell's committee (to the whole cell, the chi ủy or chosen members; sent at once
or at a set time; optionally asking "✅ Đã nắm"), and one row per member it went to, with their
acknowledgement, a note that they were told in person, and the last reminder.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("author_person_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column(
            "audience",
            sa.Enum(
                "cell", "committee", "chosen", name="audiencekind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("chosen_member_ids", sa.JSON(), nullable=False),
        sa.Column("ack_required", sa.Boolean(), nullable=False),
        sa.Column("post_to_group", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "scheduled",
                "sent",
                "cancelled",
                name="announcementstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("last_nudged_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("nudge_due_at", bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_person_id"],
            ["person.id"],
            name=op.f("fk_announcement_author_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_announcement_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
    )
    op.create_index("ix_announcement_due", "announcement", ["status", "due_at"], unique=False)
    op.create_index("ix_announcement_nudge", "announcement", ["nudge_due_at"], unique=False)
    op.create_index(
        "ix_announcement_org_created", "announcement", ["org_id", "created_at"], unique=False
    )
    op.create_table(
        "announcementrecipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("acked_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("told_in_person_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("told_by_person_id", sa.Integer(), nullable=True),
        sa.Column("last_nudged_at", bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcement.id"],
            name=op.f("fk_announcementrecipient_announcement_id_announcement"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_announcementrecipient_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_announcementrecipient_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["told_by_person_id"],
            ["person.id"],
            name=op.f("fk_announcementrecipient_told_by_person_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcementrecipient")),
        sa.UniqueConstraint(
            "announcement_id",
            "member_id",
            name=op.f("uq_announcementrecipient_announcement_id"),
        ),
    )
    op.create_index(
        op.f("ix_announcementrecipient_member_id"),
        "announcementrecipient",
        ["member_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_announcementrecipient_member_id"), table_name="announcementrecipient")
    op.drop_table("announcementrecipient")
    op.drop_index("ix_announcement_org_created", table_name="announcement")
    op.drop_index("ix_announcement_nudge", table_name="announcement")
    op.drop_index("ix_announcement_due", table_name="announcement")
    op.drop_table("announcement")
