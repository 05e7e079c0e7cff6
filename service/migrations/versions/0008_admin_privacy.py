"""Platform admins: dynamic registration links, platform settings, the audit log, API tokens.

Why: an admin registers Relais by pasting one link (stored hashed, with an expiry, consumed
only when a platform has been stored); then sets the platform up (settings: retention,
languages, the families' tools' addresses, how launches say who is who); every change and
every view of personal data is written to an audit log; the automatic purge runs at most once
a day across instances (maintenance_run); the platforms' own systems call the JSON API with
per-platform tokens, stored as their SHA-256 (api_token).
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
    op.create_table(
        'platform_settings',
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('retention_days', sa.Integer(), nullable=True),
        sa.Column('languages', sa.String(length=100), nullable=False),
        sa.Column('ent_url', sa.String(length=1000), nullable=False),
        sa.Column('pronote_url', sa.String(length=1000), nullable=False),
        sa.Column('ent_app_url', sa.String(length=1000), nullable=False),
        sa.Column('educonnect_url', sa.String(length=1000), nullable=False),
        sa.Column('audience', sa.JSON(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['platform_id'], ['platform.id'],
                                name=op.f('fk_platform_settings_platform_id_platform'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('platform_id', name=op.f('pk_platform_settings')),
    )
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_kind', sa.String(length=12), nullable=False),
        sa.Column('actor_id', sa.String(length=255), nullable=True),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target', sa.String(length=100), nullable=False),
        sa.Column('detail', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['platform_id'], ['platform.id'],
                                name=op.f('fk_audit_entry_platform_id_platform'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    )
    # The log page reads one platform's entries, newest first.
    op.create_index('ix_audit_entry_platform_at', 'audit_entry', ['platform_id', 'at'],
                    unique=False)
    op.create_table(
        'maintenance_run',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_maintenance_run')),
    )
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['platform_id'], ['platform.id'],
                                name=op.f('fk_api_token_platform_id_platform'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )
    op.create_index(op.f('ix_api_token_platform_id'), 'api_token', ['platform_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_token_platform_id'), table_name='api_token')
    op.drop_table('api_token')
    op.drop_table('maintenance_run')
    op.drop_index('ix_audit_entry_platform_at', table_name='audit_entry')
    op.drop_table('audit_entry')
    op.drop_table('platform_settings')
    op.drop_table('registration_link')
