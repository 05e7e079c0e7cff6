"""Events (parents' café, digital stand, workshop, meeting) and their "J'y serai" counters.

Why: parents come to events they already attend; Relais lists them per platform, school or
class, and counts who says they will come, with nothing personal stored (a bare counter).
Times are UTC (DateTime with time zone; the model reads them back aware on SQLite too).
Revises: 0002 (alongside 0003 and 0005; the heads are merged later)
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=True),
        sa.Column('class_id', sa.String(length=255), nullable=True),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['platform_id'], ['platform.id'],
                                name=op.f('fk_event_platform_id_platform'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['school_id'], ['school.id'],
                                name=op.f('fk_event_school_id_school'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        # "Upcoming on this platform" is the hot query.
        batch_op.create_index('ix_event_platform_ends', ['platform_id', 'ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_school_id'), ['school_id'], unique=False)

    op.create_table(
        'event_attendance',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_event_attendance_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_attendance')),
    )


def downgrade() -> None:
    op.drop_table('event_attendance')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_school_id'))
        batch_op.drop_index('ix_event_platform_ends')
    op.drop_table('event')
