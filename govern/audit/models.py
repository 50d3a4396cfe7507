"""Audit events and the head of their hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govern.core.types import UTCDateTime
from govern.extensions import db


class AuditEvent(db.Model):
    """One operation: who did what, when, to which object, and what changed.

    ``hash`` is an HMAC, keyed outside the database, over ``prev_hash`` and the event's own canonical
    content, so editing, deleting, reordering, inserting or recomputing events breaks the chain (see
    :mod:`govern.audit.chain`); signed checkpoints catch a chain cut short.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None, index=True)
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """The single row every append locks, so concurrent writers keep one chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    # Which audit key keyed the chain (its public id, govern.audit.keys.key_id): never the key itself.
    key_id: Mapped[str | None] = mapped_column(String(16), default=None)


GENESIS_HASH = "0" * 64
