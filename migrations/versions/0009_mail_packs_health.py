"""Board packs made in the background; the tick's heartbeat

Revision ID: 0009_mail_packs_health
Revises: 0005
Create Date: 2026-11-30 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_mail_packs_health"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('heartbeat',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeat'))
    )
    op.create_table('board_pack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=False),
    sa.Column('decision_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('preparing', 'ready', 'failed', name='pack_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_board_pack_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_board_pack_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_pack'))
    )
    with op.batch_alter_table('board_pack', schema=None) as batch_op:
        batch_op.create_index('ix_board_pack_org_meeting', ['organisation_id', 'meeting_date'], unique=False)
        batch_op.create_index('ix_board_pack_status', ['status', 'leased_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_pack_requested_by_id'), ['requested_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('board_pack', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_pack_requested_by_id'))
        batch_op.drop_index('ix_board_pack_status')
        batch_op.drop_index('ix_board_pack_org_meeting')
    op.drop_table('board_pack')
    op.drop_table('heartbeat')
