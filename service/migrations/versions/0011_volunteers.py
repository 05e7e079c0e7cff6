"""Parents ressource: volunteers' sign-ups, a platform's words in the event kits, and the
counts noted at events.

Why: a parent offers to help from the ENT (``volunteer``: a first name, languages, when they
are free, what they are at ease with, a phone number only with consent — the check
constraint keeps the pair honest); approved, they point at their relay. A platform rewrites a
kit's section for its own events (``kit_override``). At an event a volunteer or an admin
counts the parents helped, per topic, and nothing else (``event_tally``: no name, no time,
nobody who tapped).

``relay_id`` and ``event_id`` are plain integers, as in 0005 and 0010: ``relay`` (0003) and
``event`` (0004) are siblings of this revision under 0002; the revision merging the heads can
add the foreign keys (volunteer → relay ON DELETE SET NULL, event_tally → event ON DELETE
CASCADE). Meanwhile the services look both up on the platform every time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=50), nullable=False),
        sa.Column("languages", sa.String(length=100), nullable=False),
        sa.Column("moments", sa.String(length=100), nullable=False),
        sa.Column("at_ease", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("relay_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'active', 'paused')",
                           name=op.f("ck_volunteer_status")),
        sa.CheckConstraint("phone IS NULL OR consent_at IS NOT NULL",
                           name=op.f("ck_volunteer_phone_consent")),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_volunteer_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer")),
        sa.UniqueConstraint("platform_id", "user_id", name="uq_volunteer_platform_user"),
    )
    op.create_index("ix_volunteer_platform_relay", "volunteer", ["platform_id", "relay_id"],
                    unique=False)

    op.create_table(
        "kit_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("kit", sa.String(length=40), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_kit_override_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_override")),
        sa.UniqueConstraint("platform_id", "kit", "section", name="uq_kit_override_section"),
    )

    op.create_table(
        "event_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_event_tally_count")),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_event_tally_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_tally")),
        sa.UniqueConstraint("platform_id", "event_id", "topic", name="uq_event_tally_topic"),
    )


def downgrade() -> None:
    op.drop_table("event_tally")
    op.drop_table("kit_override")
    op.drop_index("ix_volunteer_platform_relay", table_name="volunteer")
    op.drop_table("volunteer")
