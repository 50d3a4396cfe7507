"""Open records: issued records and checks on /verify.

Revision ID: 0010_records
Revises: 0008_list_indexes
Create Date: 2026-12-01 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_records"
down_revision = "0008_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "issued_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_hash", sa.String(length=64), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_to_id", sa.Integer(), nullable=True),
        sa.Column("vouched_by_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["issued_to_id"], ["user_account.id"], name=op.f("fk_issued_record_issued_to_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_record")),
        sa.UniqueConstraint("sha256", name=op.f("uq_issued_record_sha256")),
    )
    with op.batch_alter_table("issued_record", schema=None) as batch_op:
        batch_op.create_index("ix_issued_record_reference", ["reference"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_record_issued_to_id"), ["issued_to_id"], unique=False)

    op.create_table(
        "verify_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verify_check")),
    )
    with op.batch_alter_table("verify_check", schema=None) as batch_op:
        batch_op.create_index("ix_verify_check_source_at", ["source", "checked_at"], unique=False)


def downgrade():
    with op.batch_alter_table("verify_check", schema=None) as batch_op:
        batch_op.drop_index("ix_verify_check_source_at")
    op.drop_table("verify_check")
    with op.batch_alter_table("issued_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_record_issued_to_id"))
        batch_op.drop_index("ix_issued_record_reference")
    op.drop_table("issued_record")
