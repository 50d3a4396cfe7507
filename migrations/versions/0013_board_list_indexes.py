"""Indexes for a Board's lists at scale (issue 14): the decisions awaiting it, oldest first, read in
order from (organisation_id, created_at, id, state) instead of sorting every one; its latest recorded and
refused decisions from (organisation_id, state, updated_at, id), which also serves what
ix_ratification_org_state (organisation_id, state) did, and replaces it

Revision ID: 0013_board_list_indexes
Revises: 0012_scale_indexes
Create Date: 2026-12-02 00:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_board_list_indexes'
down_revision = '0012_scale_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ratification', schema=None) as batch_op:
        batch_op.drop_index('ix_ratification_org_state')
        batch_op.create_index('ix_ratification_org_state_updated', ['organisation_id', 'state', 'updated_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_ratification_org_created', ['organisation_id', 'created_at', 'id', 'state'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('ratification', schema=None) as batch_op:
        batch_op.drop_index('ix_ratification_org_created')
        batch_op.drop_index('ix_ratification_org_state_updated')
        batch_op.create_index('ix_ratification_org_state', ['organisation_id', 'state'], unique=False)
