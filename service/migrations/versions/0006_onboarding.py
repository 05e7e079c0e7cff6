"""The onboarding wizard: each parent's progress, and the tools each platform uses.

Why: a parent follows the wizard at their own pace and resumes it tomorrow, often from a
browser that keeps no cookie in the platform's iframe, so progress lives on the server, one row
per person of a platform (platform + LTI sub, unique). It holds answers and step names only:
the device, whether they have an email address (never the address), the steps done or skipped.
``wizard_tools`` says what a platform uses (Pronote, the ENT's app, EduConnect), set from the
command line until the admin pages exist.

Revises: 0002 (alongside 0003, 0004 and 0005; the heads are merged later)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wizard_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("current_step", sa.String(length=40), nullable=False),
        sa.Column("device", sa.String(length=20), nullable=True),
        sa.Column("email_choice", sa.String(length=10), nullable=True),
        sa.Column("done_steps", sa.String(length=200), nullable=False),
        sa.Column("skipped_steps", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "device IS NULL OR device IN ('android', 'iphone', 'computer', 'none')",
            name=op.f("ck_wizard_progress_device"),
        ),
        sa.CheckConstraint(
            "email_choice IS NULL OR email_choice IN ('has', 'create', 'without')",
            name=op.f("ck_wizard_progress_email_choice"),
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platform.id"],
            name=op.f("fk_wizard_progress_platform_id_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wizard_progress")),
        # Also the index of every query: each one names the platform and the person.
        sa.UniqueConstraint("platform_id", "user_id", name="uq_wizard_progress_platform_user"),
    )
    op.create_table(
        "wizard_tools",
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("tools", sa.String(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platform.id"],
            name=op.f("fk_wizard_tools_platform_id_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("platform_id", name=op.f("pk_wizard_tools")),
    )


def downgrade() -> None:
    op.drop_table("wizard_tools")
    op.drop_table("wizard_progress")
