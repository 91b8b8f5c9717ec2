"""accounts: a person has channel accounts; string update ids, pending choices, join codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 03:36:50.572856

`person` was one channel account; it becomes the human and `account` holds the channel
accounts (Telegram, Zalo), each person's old (channel, external_id, username, reachability,
created_at) copied into one account. `processedupdate.update_id` becomes text because Zalo's
message ids are hex strings (Telegram's numbers become their decimal strings). `pendingchoice`
keeps the numbered options a text channel last listed in a chat. `invite.join_code_hash` is the
hash of a short code typed to a bot that has no deep links.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REACHABILITY = sa.Enum(
    "unknown", "ok", "blocked", "never_started", name="reachability", native_enum=False, length=32
)


def upgrade() -> None:
    op.create_table(
        "pendingchoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("updated_at", bot.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pendingchoice")),
        sa.UniqueConstraint("channel", "chat_id", name=op.f("uq_pendingchoice_channel")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("reachability", REACHABILITY, nullable=False),
        sa.Column("created_at", bot.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", bot.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_account_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_account_channel")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_person_id"), ["person_id"], unique=False)

    # Every person so far was one channel account: it becomes that person's only account
    # (except the placeholder a downgrade gives a person who had none).
    op.execute(
        "INSERT INTO account (person_id, channel, external_id, username, reachability, "
        "created_at, last_seen_at) "
        "SELECT id, channel, external_id, username, reachability, created_at, NULL "
        "FROM person WHERE channel <> 'none' ORDER BY id"
    )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify_channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.drop_constraint(batch_op.f("uq_person_channel"), type_="unique")
        batch_op.drop_column("reachability")
        batch_op.drop_column("channel")
        batch_op.drop_column("username")
        batch_op.drop_column("external_id")

    with op.batch_alter_table("processedupdate", schema=None) as batch_op:
        # SQLite copies with CAST(update_id AS VARCHAR): 42 becomes '42'.
        batch_op.alter_column(
            "update_id",
            existing_type=sa.BigInteger(),
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=False,
            postgresql_using="update_id::text",
        )

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("join_code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_invite_join_code_hash"), ["join_code_hash"]
        )


def downgrade() -> None:
    """Back to one account per person: each keeps its oldest account; later ones are lost."""
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invite_join_code_hash"), type_="unique")
        batch_op.drop_column("join_code_hash")

    # Only Telegram's update ids are numbers; the others mean nothing to the older version.
    op.execute("DELETE FROM processedupdate WHERE channel <> 'telegram'")
    with op.batch_alter_table("processedupdate", schema=None) as batch_op:
        batch_op.alter_column(
            "update_id",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            type_=sa.BigInteger(),
            existing_nullable=False,
            postgresql_using="update_id::bigint",
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("reachability", REACHABILITY, nullable=True))

    oldest = "FROM account WHERE account.person_id = person.id ORDER BY created_at, id LIMIT 1"
    op.execute(
        f"UPDATE person SET channel = (SELECT channel {oldest}), "  # noqa: S608 - constant SQL
        f"external_id = (SELECT external_id {oldest}), "
        f"username = (SELECT username {oldest}), "
        f"reachability = (SELECT reachability {oldest})"
    )
    # A person without any account cannot be written to; it keeps a placeholder identity.
    op.execute(
        "UPDATE person SET channel = 'none', external_id = 'person:' || CAST(id AS VARCHAR(20)), "
        "reachability = 'unknown' WHERE channel IS NULL"
    )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column(
            "channel",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
        )
        batch_op.alter_column(
            "external_id",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
        )
        batch_op.alter_column("reachability", existing_type=REACHABILITY, nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_person_channel"), ["channel", "external_id"]
        )
        batch_op.drop_column("notify_channel")

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_person_id"))
    op.drop_table("account")
    op.drop_table("pendingchoice")
