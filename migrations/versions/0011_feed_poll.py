"""An index on when each deadline last changed: a calendar's poll reads the newest change from its end (issue 14)

Revision ID: 0011_feed_poll
Revises: 0010_boards
Create Date: 2026-12-01 04:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_feed_poll'
down_revision = '0010_boards'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.create_index('ix_case_deadline_changed_at', ['changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_case_deadline_changed_at')
