"""Relays' access links and notes, the notification outbox, and the parent's SMS opt-in.

Why: a relay signs in to their inbox with a personal link, stored only as a SHA-256 hash, with
an expiry and a revocation date (``relay_access``); relays keep short private notes on a
request (``relay_note``, deleted with it); every notification is first written to
``outbox_message`` in the transaction of the change that causes it, then delivered by
``relais worker`` (unique ``key`` = idempotency key; ``lease_*`` is SQLite's claim, PostgreSQL
uses row locks). ``help_request.sms_updates`` records that the parent asked for news by SMS.

Revises 0005 (help_request), which this one alters and refers to, rather than 0002 like the
other features: a sibling of 0005 that ``depends_on`` it works once, but alembic then still
lists 0005 among the heads, and a merge revision naming it fails (KeyError in its head
bookkeeping); following 0005 keeps ``alembic heads`` and the final merge ordinary.
``relay_id`` is a plain integer here, as in 0005: the relay table comes in the sibling 0003;
the revision merging the heads can add the foreign keys (relay_access → relay ON DELETE
CASCADE, relay_note → relay ON DELETE SET NULL). Meanwhile a link of a relay that no longer
exists opens nothing (the relay is looked up on every page).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("relay_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('personal', 'notification')",
                           name=op.f("ck_relay_access_kind")),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_relay_access_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_access")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_relay_access_token_hash")),
    )
    op.create_index("ix_relay_access_platform_relay", "relay_access",
                    ["platform_id", "relay_id"], unique=False)

    op.create_table(
        "relay_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("relay_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_relay_note_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["help_request.id"],
                                name=op.f("fk_relay_note_request_id_help_request"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_note")),
    )
    op.create_index(op.f("ix_relay_note_request_id"), "relay_note", ["request_id"],
                    unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_outbox_message_channel")),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')",
                           name=op.f("ck_outbox_message_status")),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_outbox_message_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_message_key")),
    )
    op.create_index("ix_outbox_message_due", "outbox_message", ["status", "next_attempt_at"],
                    unique=False)
    op.create_index(op.f("ix_outbox_message_platform_id"), "outbox_message", ["platform_id"],
                    unique=False)
    op.create_index(op.f("ix_outbox_message_ref"), "outbox_message", ["ref"], unique=False)

    with op.batch_alter_table("help_request") as batch_op:
        batch_op.add_column(sa.Column("sms_updates", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("help_request") as batch_op:
        batch_op.drop_column("sms_updates")
    op.drop_index(op.f("ix_outbox_message_ref"), table_name="outbox_message")
    op.drop_index(op.f("ix_outbox_message_platform_id"), table_name="outbox_message")
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index(op.f("ix_relay_note_request_id"), table_name="relay_note")
    op.drop_table("relay_note")
    op.drop_index("ix_relay_access_platform_relay", table_name="relay_access")
    op.drop_table("relay_access")
