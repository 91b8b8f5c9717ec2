"""study campaigns and officers' announcements: study material with a deadline and the
members' reflections; one announcement sent by an officer of a đảng bộ to several cells

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:00:00.000000

An announcement gets a kind (thông báo or tài liệu học tập), a deadline and what it asks back
(nothing, a bài thu hoạch of a least length, or an answer to a question); each member's bài thu
hoạch is a row that can be changed until the deadline.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcementbatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("author_person_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("notice", "study", name="announcementkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_person_id"],
            ["person.id"],
            name=op.f("fk_announcementbatch_author_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_announcementbatch_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcementbatch")),
    )
    op.create_index(
        op.f("ix_announcementbatch_org_id"), "announcementbatch", ["org_id"], unique=False
    )
    with op.batch_alter_table("announcement") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_announcement_batch_id"), ["batch_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_announcement_batch_id_announcementbatch"),
            "announcementbatch",
            ["batch_id"],
            ["id"],
        )
        batch.add_column(
            sa.Column(
                "kind",
                sa.Enum("notice", "study", name="announcementkind", native_enum=False, length=32),
                nullable=False,
                server_default="notice",
            )
        )
        batch.add_column(
            sa.Column("documents", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("deadline", bot.models.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "reflection",
                sa.Enum(
                    "none", "text", "answer", name="reflectionkind", native_enum=False, length=32
                ),
                nullable=False,
                server_default="none",
            )
        )
        batch.add_column(sa.Column("min_length", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("question", sa.Text(), nullable=True))
    op.create_table(
        "studysubmission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("submitted_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcement.id"],
            name=op.f("fk_studysubmission_announcement_id_announcement"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_studysubmission_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_studysubmission_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studysubmission")),
        sa.UniqueConstraint(
            "announcement_id", "member_id", name=op.f("uq_studysubmission_announcement_id")
        ),
    )
    op.create_index(
        op.f("ix_studysubmission_member_id"), "studysubmission", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_studysubmission_member_id"), table_name="studysubmission")
    op.drop_table("studysubmission")
    with op.batch_alter_table("announcement") as batch:
        batch.drop_column("question")
        batch.drop_column("min_length")
        batch.drop_column("reflection")
        batch.drop_column("deadline")
        batch.drop_column("documents")
        batch.drop_column("kind")
        batch.drop_constraint(
            batch.f("fk_announcement_batch_id_announcementbatch"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_announcement_batch_id"))
        batch.drop_column("batch_id")
    op.drop_index(op.f("ix_announcementbatch_org_id"), table_name="announcementbatch")
    op.drop_table("announcementbatch")
