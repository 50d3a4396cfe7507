"""A Board's meeting dates, the chasers sent to its secretary, and ratification certificates (10.6).

PDEG cannot bind a party (10.6): each party's Board (or Governing Body, Cabinet...) ratifies at its own
meetings, with its own deadline for papers. Knowing those dates is what lets the register forecast when
a decision will be ratified and chase the secretaries in time for the papers.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db
from govern.partnership.models import Organisation


class BoardMeeting(db.Model):
    """One meeting of a party's Board, and the day its papers are due."""

    __tablename__ = "board_meeting"
    __table_args__ = (
        UniqueConstraint("organisation_id", "meeting_date", name="uq_board_meeting_date"),
        Index("ix_board_meeting_papers_due", "organisation_id", "papers_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    meeting_date: Mapped[date] = mapped_column(Date)
    papers_due: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def can_manage(self, user: Any) -> bool:
        """Only the Board's own secretary keeps its meeting dates."""
        return may_keep_meetings(user, self.organisation_id)


def may_keep_meetings(user: Any, organisation_id: int | None = None) -> bool:
    """A Board secretary keeps the meeting dates of their own organisation's Board."""
    return bool(
        user is not None and user.is_authenticated and user.role.value == "board_secretary"
        and (organisation_id is None or user.organisation_id == organisation_id)
    )


class ChaserKind(StrEnum):
    """When a Board secretary is chased about a decision their Board has not yet decided."""

    PAPERS_DUE_SOON = "papers_due_soon"  # two working days before the papers are due
    PAPERS_DUE_PASSED = "papers_due_passed"  # the papers' deadline has passed


class BoardChaser(db.Model):
    """A chaser sent: the unique constraint makes each go once, however often ``tick`` runs."""

    __tablename__ = "board_chaser"
    __table_args__ = (
        UniqueConstraint("ratification_id", "board_meeting_id", "kind", "recipient_id", name="uq_board_chaser_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ratification_id: Mapped[int] = mapped_column(ForeignKey("ratification.id"))
    board_meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meeting.id"), index=True)
    kind: Mapped[ChaserKind] = mapped_column(enum_column_type(ChaserKind, "board_chaser_kind"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RatificationCertificate(db.Model):
    """Issued when every remaining party's Board has ratified a decision (10.6; 17.2 for a variation).

    It carries the audit event of the transition that completed the ratification: a printed copy is
    checked against the audit trail by that event's number and hash.
    """

    __tablename__ = "ratification_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), unique=True)
    version: Mapped[int]
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    audit_seq: Mapped[int]
    audit_hash: Mapped[str] = mapped_column(String(128))

