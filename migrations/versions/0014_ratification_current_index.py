"""An index for the register's cells (issue 14): a page of decisions' current ratifications, each
Board's state read from (recommendation_id, version, organisation_id, state) alone, without reading
each ratification's row

Revision ID: 0014_ratification_current_index
Revises: 0013_board_list_indexes
Create Date: 2026-12-02 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_ratification_current_index'
down_revision = '0013_board_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ratification', schema=None) as batch_op:
        batch_op.create_index('ix_ratification_current', ['recommendation_id', 'version', 'organisation_id', 'state'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('ratification', schema=None) as batch_op:
        batch_op.drop_index('ix_ratification_current')
