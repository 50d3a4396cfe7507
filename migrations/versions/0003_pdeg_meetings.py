"""PDEG meetings and their agenda items (Part One, Part Two), with each item's outcome

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:23:52.150852

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pdeg_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_pdeg_meeting_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pdeg_meeting'))
    )
    with op.batch_alter_table('pdeg_meeting', schema=None) as batch_op:
        batch_op.create_index('ix_pdeg_meeting_date', ['meeting_date'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.Enum('one', 'two', name='agenda_part', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('agreed', 'amended_and_agreed', 'not_agreed', 'deferred', name='agenda_outcome', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('minute_reference', sa.String(length=120), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('amendment', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['pdeg_meeting.id'], name=op.f('fk_agenda_item_meeting_id_pdeg_meeting')),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendation.id'], name=op.f('fk_agenda_item_recommendation_id_recommendation')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_agenda_item_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item')),
    sa.UniqueConstraint('meeting_id', 'recommendation_id', name='uq_agenda_item_recommendation')
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_item_recommendation', ['recommendation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index('ix_agenda_item_recommendation')

    op.drop_table('agenda_item')
    with op.batch_alter_table('pdeg_meeting', schema=None) as batch_op:
        batch_op.drop_index('ix_pdeg_meeting_date')

    op.drop_table('pdeg_meeting')
