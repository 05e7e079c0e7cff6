"""OIDC logins write nothing: state and nonce are signed; only used nonces are stored.

Why: a login row per login (insert, then an update at launch) cost about half the CPU of a
login request and a third of a launch; a used-nonce row, inserted once, keeps the replay
protection atomic across instances.

Revision ID: 0009
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_nonce",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_lti_nonce")),
    )
    op.create_index(op.f("ix_lti_nonce_expires_at"), "lti_nonce", ["expires_at"])
    op.drop_table("lti_login")


def downgrade() -> None:
    op.create_table(
        "lti_login",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("login_params", sa.Text(), nullable=False),
        sa.Column("browser_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_lti_login")),
        sa.UniqueConstraint("nonce", name=op.f("uq_lti_login_nonce")),
    )
    op.drop_index(op.f("ix_lti_nonce_expires_at"), table_name="lti_nonce")
    op.drop_table("lti_nonce")
