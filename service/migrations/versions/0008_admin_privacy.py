"""Platform admins: one-time dynamic registration links.

Why: an admin registers Relais by pasting one link; the link is stored hashed, with an expiry,
and consumed only when a platform has been stored.
Revises: 0002 (alongside the other features' revisions; the heads are merged later)
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'registration_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.Column('claimed_until', sa.Float(), nullable=True),
        sa.Column('used_at', sa.Float(), nullable=True),
        sa.Column('platform_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['platform_id'], ['platform.id'],
                                name=op.f('fk_registration_link_platform_id_platform'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_link')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_registration_link_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('registration_link')
