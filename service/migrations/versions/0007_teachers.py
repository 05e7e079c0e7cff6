"""Teachers: class settings, parents' visits per class, pending deep-linking requests.

Why: a teacher switches Relais on or off for a class and picks what its parents see; the reach
dashboard counts the families who opened Relais from the class (one row per parent and class,
written at their first launch); a deep-linking request waits on the server for the teacher's
choice (the platform's ``data`` can be longer than a cookie holds).
Revises: 0002 (alongside 0003 to 0006 and 0008; the heads are merged later)
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "class_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=True),
        sa.Column("hidden_stages", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(length=500), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("flyer_languages", sa.JSON(), nullable=True),
        sa.Column("memberships_url", sa.String(length=1000), nullable=True),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_class_settings_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"],
                                name=op.f("fk_class_settings_school_id_school"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_settings")),
        sa.UniqueConstraint("platform_id", "class_id", name="uq_class_settings_platform_class"),
    )
    op.create_table(
        "class_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("children_ids", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_class_visit_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_visit")),
        # Also the index of "the visits of this class" (its leading columns).
        sa.UniqueConstraint("platform_id", "class_id", "user_id",
                            name="uq_class_visit_platform_class_user"),
    )
    op.create_table(
        "deep_link_request",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("class_id", sa.String(length=255), nullable=True),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("return_url", sa.String(length=2000), nullable=False),
        sa.Column("accept_types", sa.JSON(), nullable=False),
        sa.Column("accept_multiple", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platform.id"],
                                name=op.f("fk_deep_link_request_platform_id_platform"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deep_link_request")),
    )
    with op.batch_alter_table("deep_link_request", schema=None) as batch_op:
        batch_op.create_index("ix_deep_link_request_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deep_link_request", schema=None) as batch_op:
        batch_op.drop_index("ix_deep_link_request_expires_at")
    op.drop_table("deep_link_request")
    op.drop_table("class_visit")
    op.drop_table("class_settings")
