"""Board packs made in the background: a job with a lease, and the finished PDF kept in its row.

A pack too large to render within a request (``BOARD_PACK_INLINE_MAX`` decisions) is asked for by the
Board secretary and made by ``flask --app govern tick``; the PDF is kept in the database (not on one
server's disk) so any server can hand it over.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db
from govern.partnership.models import Organisation


class PackStatus(StrEnum):
    """Where a Board pack stands."""

    PREPARING = "preparing"
    READY = "ready"
    FAILED = "failed"


class BoardPack(db.Model):
    """The pack of decisions awaiting one Board for one meeting, made by ``tick``.

    ``leased_until``: a maker claims a pack by setting it (one UPDATE), so two ticks never make the same
    pack at once, and a pack whose maker died is made again once the lease has run out.
    """

    __tablename__ = "board_pack"
    __table_args__ = (
        Index("ix_board_pack_org_meeting", "organisation_id", "meeting_date"),
        Index("ix_board_pack_status", "status", "leased_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    meeting_date: Mapped[date] = mapped_column(Date)
    decision_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[PackStatus] = mapped_column(enum_column_type(PackStatus, "pack_status"),
                                               default=PackStatus.PREPARING)
    attempts: Mapped[int] = mapped_column(default=0)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    filename: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, default=None))
    last_error: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def can_download(self, user: object) -> bool:
        """The pack is for its Board's secretary: only they (any secretary of that Board) may have it."""
        return bool(
            getattr(user, "is_authenticated", False) and user.role.value == "board_secretary"  # type: ignore[attr-defined]
            and user.organisation_id == self.organisation_id  # type: ignore[attr-defined]
        )
