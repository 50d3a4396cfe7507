"""audit chain keyed with HMAC-SHA256: audit_head.key_id, and the existing chain re-keyed

Revision ID: 0007_audit_key_uploads
Revises: 0006_auth_mfa_sso
Create Date: 2026-11-30 20:40:00

The existing chain was hashed with plain SHA-256. Upgrading checks it as it stands, then hashes every
event again with the audit key (AUDIT_KEY, or instance/audit_key, generated on first use), so an
existing database still verifies after the upgrade. A chain that does not verify is not re-keyed
(that would launder whatever was done to it): the upgrade stops and says where it broke. The
downgrade does the reverse, after checking the keyed chain.
"""
import sqlalchemy as sa
from alembic import op

from govern.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0007_audit_key_uploads"
down_revision = "0006_auth_mfa_sso"
branch_labels = None
depends_on = None

EVENTS = sa.table(
    "audit_event",
    sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("occurred_at", UTCDateTime()),
    sa.column("actor_id", sa.Integer), sa.column("actor_label", sa.String), sa.column("action", sa.String),
    sa.column("object_type", sa.String), sa.column("object_id", sa.String), sa.column("changes", sa.JSON),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)
HEAD = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
                sa.column("last_hash", sa.String), sa.column("key_id", sa.String))


def _rechain(old_hash, new_hash, new_key_id):
    from govern.audit.chain import rechain

    connection = op.get_bind()
    rows = connection.execute(sa.select(EVENTS).order_by(EVENTS.c.seq)).all()
    rewritten = rechain(rows, old_hash, new_hash)
    for event_id, prev_hash, digest in rewritten:
        connection.execute(EVENTS.update().where(EVENTS.c.id == event_id).values(prev_hash=prev_hash, hash=digest))
    last = rewritten[-1][2] if rewritten else "0" * 64
    values = {"last_hash": last}
    if new_key_id is not False:
        values["key_id"] = new_key_id
    connection.execute(HEAD.update().where(HEAD.c.id == 1).values(**values))


def upgrade():
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))

    from govern.audit.chain import chain_hash, unkeyed_chain_hash
    from govern.audit.keys import audit_key, key_id

    key = audit_key()
    _rechain(unkeyed_chain_hash, lambda prev, content: chain_hash(prev, content, key), key_id(key))


def downgrade():
    from govern.audit.chain import chain_hash, unkeyed_chain_hash
    from govern.audit.keys import audit_key

    key = audit_key()
    _rechain(lambda prev, content: chain_hash(prev, content, key), unkeyed_chain_hash, False)
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("key_id")
