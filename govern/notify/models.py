"""A notice a user sees in the app, and the outbox every email goes through."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.cases.models import CaseKind
from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db


class Notice(db.Model):
    """Something a user was told: a transition that is theirs to act on, or a deadline reminder."""

    __tablename__ = "notice"
    __table_args__ = (
        Index("ix_notice_user_read", "user_id", "read_at"),
        Index("ix_notice_user_created", "user_id", "created_at", "id"),  # a user's notices, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    case_kind: Mapped[CaseKind | None] = mapped_column(enum_column_type(CaseKind, "case_kind"), default=None)
    case_id: Mapped[int | None] = mapped_column(default=None)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class OutboxStatus(StrEnum):
    """Where an email stands: waiting (perhaps retrying), sent, or given up on (administrators see it)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """One email, written in the same transaction as whatever caused it and sent later by the sender.

    ``next_attempt_at`` is when a sender may next try it; a sender claims a message by moving it on
    (a lease), so two senders never send the same message at once and a crashed sender's message is
    tried again once the lease runs out.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column_type(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
