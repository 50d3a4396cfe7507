"""Open records: issued records and checks on /verify; the search documents, with PostgreSQL's
GIN-indexed tsvector or SQLite's FTS5 table (and its triggers), per dialect. After upgrading, fill
the search with `flask --app govern search rebuild`.

Revision ID: 0010_records
Revises: 0008_list_indexes
Create Date: 2026-12-01 00:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# The FTS5 table over search_document and the triggers that keep it (as govern/search/index.py has them,
# copied so that this migration stays as it is when the application changes).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, content='search_document', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
)


# revision identifiers, used by Alembic.
revision = "0010_records"
down_revision = "0010_api"
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


    op.create_table(
        "search_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_document")),
        sa.UniqueConstraint("source", "source_id", name="uq_search_document_source"),
    )
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index("ix_search_document_dispute", ["dispute_id"], unique=False)
        batch_op.create_index("ix_search_document_kind_year", ["kind", "year"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_document_recommendation_id"), ["recommendation_id"], unique=False)
        batch_op.create_index("ix_search_document_vector", ["search_vector"], unique=False, postgresql_using="gin")
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_index("ix_search_document_vector", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_search_document_recommendation_id"))
        batch_op.drop_index("ix_search_document_kind_year")
        batch_op.drop_index("ix_search_document_dispute")
    op.drop_table("search_document")
    with op.batch_alter_table("verify_check", schema=None) as batch_op:
        batch_op.drop_index("ix_verify_check_source_at")
    op.drop_table("verify_check")
    with op.batch_alter_table("issued_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_record_issued_to_id"))
        batch_op.drop_index("ix_issued_record_reference")
    op.drop_table("issued_record")
