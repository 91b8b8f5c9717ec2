"""commitments: campaigns, versioned commitments and items, check-ins, self-reviews, commendations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00.000000

Cam kết tu dưỡng, rèn luyện, phấn đấu; đăng ký học tập và làm theo Bác; phong trào thi đua and
giao ước thi đua: what a cell opens, what each member registers (one row per version), the
check-in rounds and answers, the self-reviews of a closed period, the examples commended.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "pledge",
                "follow",
                "emulation",
                "pact",
                name="campaignkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("criteria", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "form",
            sa.Enum("regular", "thematic", name="emulationform", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column(
            "cadence",
            sa.Enum("none", "monthly", "quarterly", name="cadence", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="campaignstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column("closed_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["person.id"], name=op.f("fk_campaign_created_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_campaign_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    op.create_index("ix_campaign_org_status", "campaign", ["org_id", "status"], unique=False)
    op.create_table(
        "checkinround",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("opens_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column("closes_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="roundstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("nudges", sa.Integer(), nullable=False),
        sa.Column("nudged_at", bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_checkinround_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkinround")),
        sa.UniqueConstraint("campaign_id", "seq", name=op.f("uq_checkinround_campaign_id")),
    )
    op.create_index(
        op.f("ix_checkinround_campaign_id"), "checkinround", ["campaign_id"], unique=False
    )
    op.create_table(
        "commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "returned",
                "superseded",
                name="commitmentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column(
            "rating_goal",
            sa.Enum(
                "excellent",
                "good",
                "done",
                "fail",
                name="ratinglevel",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "title_goal",
            sa.Enum(
                "advanced_worker",
                "grassroots_soldier",
                name="emulationtitle",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("review_comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_commitment_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_commitment_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["person.id"], name=op.f("fk_commitment_reviewed_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment")),
        sa.UniqueConstraint(
            "campaign_id", "member_id", "version", name=op.f("uq_commitment_campaign_id")
        ),
    )
    op.create_index(
        "ix_commitment_campaign_status", "commitment", ["campaign_id", "status"], unique=False
    )
    op.create_index(op.f("ix_commitment_member_id"), "commitment", ["member_id"], unique=False)
    op.create_table(
        "selfreview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
        sa.Column(
            "proposed_level",
            sa.Enum(
                "excellent",
                "good",
                "done",
                "fail",
                name="ratinglevel",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum("draft", "submitted", name="selfreviewstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("submitted_at", bot.models.UTCDateTime(), nullable=True),
        sa.Column("updated_at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_selfreview_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_selfreview_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfreview")),
        sa.UniqueConstraint("campaign_id", "member_id", name=op.f("uq_selfreview_campaign_id")),
    )
    op.create_table(
        "checkinleave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum("leave", "trip", "sick", name="leavereason", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_checkinleave_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["checkinround.id"], name=op.f("fk_checkinleave_round_id_checkinround")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkinleave")),
        sa.UniqueConstraint("round_id", "member_id", name=op.f("uq_checkinleave_round_id")),
    )
    op.create_table(
        "commitmentitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("section_key", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("origin_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_commitmentitem_commitment_id_commitment"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_id"],
            ["commitmentitem.id"],
            name=op.f("fk_commitmentitem_origin_id_commitmentitem"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitmentitem")),
    )
    op.create_index(
        "ix_commitmentitem_commitment",
        "commitmentitem",
        ["commitment_id", "position"],
        unique=False,
    )
    op.create_table(
        "checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "done",
                "blocked",
                name="itemstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["storedfile.id"], name=op.f("fk_checkin_file_id_storedfile")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["commitmentitem.id"], name=op.f("fk_checkin_item_id_commitmentitem")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_checkin_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["checkinround.id"], name=op.f("fk_checkin_round_id_checkinround")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin")),
        sa.UniqueConstraint("round_id", "item_id", name=op.f("uq_checkin_round_id")),
    )
    op.create_index(op.f("ix_checkin_item_id"), "checkin", ["item_id"], unique=False)
    op.create_index("ix_checkin_round_member", "checkin", ["round_id", "member_id"], unique=False)
    op.create_table(
        "commendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.Column("at", bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by"], ["person.id"], name=op.f("fk_commendation_by_person")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_commendation_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["commitmentitem.id"], name=op.f("fk_commendation_item_id_commitmentitem")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_commendation_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commendation")),
    )
    op.create_index(
        op.f("ix_commendation_campaign_id"), "commendation", ["campaign_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_commendation_campaign_id"), table_name="commendation")
    op.drop_table("commendation")
    op.drop_index("ix_checkin_round_member", table_name="checkin")
    op.drop_index(op.f("ix_checkin_item_id"), table_name="checkin")
    op.drop_table("checkin")
    op.drop_index("ix_commitmentitem_commitment", table_name="commitmentitem")
    op.drop_table("commitmentitem")
    op.drop_table("checkinleave")
    op.drop_table("selfreview")
    op.drop_index(op.f("ix_commitment_member_id"), table_name="commitment")
    op.drop_index("ix_commitment_campaign_status", table_name="commitment")
    op.drop_table("commitment")
    op.drop_index(op.f("ix_checkinround_campaign_id"), table_name="checkinround")
    op.drop_table("checkinround")
    op.drop_index("ix_campaign_org_status", table_name="campaign")
    op.drop_table("campaign")
