"""PDEG's meeting record: meetings cancelled (with the reason), attendance per member party (its
representative or deputy, 10.3) for the quorum, declarations of interest at the start and per item,
and minutes per item.

Revision ID: 0010_pdeg
Revises: 0008_list_indexes
Create Date: 2026-12-01 00:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0010_pdeg"
down_revision = "0010_wfexplicit"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pdeg_meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("attendance_recorded_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minutes", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "pdeg_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attendee", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["pdeg_meeting.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "organisation_id", name="uq_pdeg_attendance_party"),
    )
    with op.batch_alter_table("pdeg_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pdeg_attendance_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pdeg_attendance_organisation_id"), ["organisation_id"], unique=False)
    op.create_table(
        "pdeg_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("interest", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["pdeg_meeting.id"]),
        sa.ForeignKeyConstraint(["agenda_item_id"], ["agenda_item.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pdeg_declaration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pdeg_declaration_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pdeg_declaration_agenda_item_id"), ["agenda_item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pdeg_declaration_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pdeg_declaration_recorded_by_id"), ["recorded_by_id"], unique=False)


def downgrade():
    op.drop_table("pdeg_declaration")
    op.drop_table("pdeg_attendance")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_column("minutes")
    with op.batch_alter_table("pdeg_meeting", schema=None) as batch_op:
        batch_op.drop_column("attendance_recorded_at")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_at")
