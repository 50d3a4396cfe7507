"""Recorded events and deadline extensions, for every kind of case."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db


class CaseKind(StrEnum):
    """The kinds of case the workflows run."""

    DISPUTE = "dispute"
    RECOMMENDATION = "recommendation"
    RATIFICATION = "ratification"


class CaseEvent(db.Model):
    """Something that happened in a case, at a moment that deadlines are counted from.

    ``occurred_at`` may be corrected later (the original is kept in ``corrected_from``); the due
    dates that follow move with it because they are computed, never stored.
    """

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case", "case_kind", "case_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_kind: Mapped[CaseKind] = mapped_column(enum_column_type(CaseKind, "case_kind"))
    case_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    corrected_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    correction_reason: Mapped[str] = mapped_column(Text, default="")


class DeadlineExtension(db.Model):
    """The STP Leader moved a step's due date, giving a reason (DOMAIN.md, timescales)."""

    __tablename__ = "deadline_extension"
    __table_args__ = (Index("ix_deadline_extension_case", "case_kind", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_kind: Mapped[CaseKind] = mapped_column(enum_column_type(CaseKind, "case_kind"))
    case_id: Mapped[int]
    step_key: Mapped[str] = mapped_column(String(80))
    due_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
