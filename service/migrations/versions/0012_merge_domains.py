"""One history again: the domains' revisions, written side by side on top of 0002, meet here.

Why: each domain (directory, events, help requests, wizard, teachers, admin and privacy,
stateless logins, relays and notifications, volunteers) was built in parallel; a single head
lets `alembic revision` work again and gives every database the same order from now on.

Revision ID: 0012
Revises: 0003, 0004, 0006, 0007, 0008, 0009, 0010, 0011
"""

revision = "0012"
down_revision = ("0003", "0004", "0006", "0007", "0008", "0009", "0010", "0011")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
