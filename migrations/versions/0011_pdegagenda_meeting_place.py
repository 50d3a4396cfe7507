"""Where a PDEG meeting meets, as its printed agenda says (issue 12)

Revision ID: 0011_pdegagenda
Revises: 0011_feed_poll
Create Date: 2026-12-01 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_pdegagenda"
down_revision = "0011_feed_poll"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pdeg_meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.String(length=200), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("pdeg_meeting", schema=None) as batch_op:
        batch_op.drop_column("place")
