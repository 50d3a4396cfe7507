"""An index on (closed_at, next_due_at): the dispute lists count open and overdue disputes from it (issue 14)

Revision ID: 0012_dispute_open_due
Revises: 0011_pdegagenda
Create Date: 2026-12-01 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_dispute_open_due'
down_revision = '0011_pdegagenda'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_open_due', ['closed_at', 'next_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_open_due')
