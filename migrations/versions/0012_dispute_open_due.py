"""Indexes for the dispute lists at scale (issue 14): (closed_at, next_due_at) counts open and overdue
disputes from the index alone; an organisation's disputes (as a party, on a panel) read from an index

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
    with op.batch_alter_table('dispute_party', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_party_org_filed_dispute', ['organisation_id', 'filed', 'dispute_id'],
                              unique=False)
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.create_index('ix_panel_member_org_active_dispute', ['organisation_id', 'active', 'dispute_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_index('ix_panel_member_org_active_dispute')
    with op.batch_alter_table('dispute_party', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_party_org_filed_dispute')
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_open_due')
