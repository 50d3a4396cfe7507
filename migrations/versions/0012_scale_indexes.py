"""Indexes for the dispute lists at scale (issue 14): (closed_at, next_due_at) counts open and overdue
disputes from the index alone; an organisation's disputes (as a party, on a panel) read from an index;
the partial index of open steps carries who acts, so one person's open steps are counted from it;
the register's order, newest decision first, read from an index

Revision ID: 0012_scale_indexes
Revises: 0011_pdegagenda
Create Date: 2026-12-01 11:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_scale_indexes'
down_revision = '0011_pdegagenda'
branch_labels = None
depends_on = None


def _open_due(batch_op, dialect, with_roles):
    """The partial index of open steps, as each database writes it (see ``CaseDeadline``)."""
    batch_op.drop_index('ix_case_deadline_open_due')
    if dialect == 'postgresql':
        batch_op.create_index('ix_case_deadline_open_due', ['due_at'], unique=False, postgresql_where=sa.text('open'),
                              postgresql_include=['roles'] if with_roles else [])
    else:
        batch_op.create_index('ix_case_deadline_open_due', ['due_at', 'id', 'roles'] if with_roles else ['due_at'],
                              unique=False, sqlite_where=sa.text('open = 1'))


def upgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        _open_due(batch_op, op.get_bind().dialect.name, True)
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_open_due', ['closed_at', 'next_due_at'], unique=False)
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.create_index('ix_recommendation_created', ['created_at', 'id'], unique=False)
    with op.batch_alter_table('dispute_party', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_party_org_filed_dispute', ['organisation_id', 'filed', 'dispute_id'],
                              unique=False)
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.create_index('ix_panel_member_org_active_dispute', ['organisation_id', 'active', 'dispute_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        _open_due(batch_op, op.get_bind().dialect.name, False)
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_index('ix_panel_member_org_active_dispute')
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendation_created')
    with op.batch_alter_table('dispute_party', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_party_org_filed_dispute')
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_open_due')
