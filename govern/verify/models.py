"""The records the system has issued, and the checks made on ``/verify`` (to bound them per address)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govern.core.types import UTCDateTime
from govern.extensions import db


class IssuedRecord(db.Model):
    """One PDF record as it left the system: the SHA-256 of its bytes, the record reference printed on
    it, the audit event it reflects (number and hash, as printed), and the cases it is about.

    ``vouched_by_seq`` is the audit event that registered the issue (its changes carry the SHA-256), so
    the registration is as tamper-evident as the rest of the chain.
    """

    __tablename__ = "issued_record"
    __table_args__ = (Index("ix_issued_record_reference", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "dispute", "decision" or "pack": which kind of record (what the check says it reflects).
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: The audit event the record reflects (0 and "" when the case had none).
    audit_seq: Mapped[int] = mapped_column(default=0)
    audit_hash: Mapped[str] = mapped_column(String(64), default="")
    #: The audit objects the record reflects, ``[[object_type, object_id], ...]``: a later event on any
    #: of them means the case has moved on since the record was issued.
    subjects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The case the record is about (``dispute``/``recommendation`` and its id; a pack: ``organisation``).
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None, index=True)
    vouched_by_seq: Mapped[int | None] = mapped_column(default=None)


class VerifyCheck(db.Model):
    """One check made on ``/verify``, kept to bound how many checks one address makes."""

    __tablename__ = "verify_check"
    __table_args__ = (Index("ix_verify_check_source_at", "source", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
