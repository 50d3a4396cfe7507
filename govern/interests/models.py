"""Declarations of interest, per person and per organisation, kept as a standing register.

Panels must be neutral and each member declares any conflict (Schedule 8); PDEG members declare
interests at a meeting. Whatever is declared there goes into the register too, with where it was made.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db
from govern.partnership.models import Organisation

if TYPE_CHECKING:
    from govern.auth.models import User


class DeclaredAt(StrEnum):
    """Where a declaration was made."""

    REGISTER = "register"
    DISPUTE_PANEL = "dispute_panel"
    PDEG_MEETING = "pdeg_meeting"

    @property
    def title(self) -> str:
        """As the register says it."""
        return {"register": "The register", "dispute_panel": "On a dispute panel",
                "pdeg_meeting": "At a PDEG meeting"}[self.value]


class RegisteredInterest(db.Model):
    """One declared interest: by a person (``user_id``, or ``person_name`` from a PDEG meeting's record) or by
    an organisation as a whole (neither)."""

    __tablename__ = "interest_declaration"
    __table_args__ = (
        Index("ix_interest_declaration_org", "organisation_id", "since", "id"),
        Index("ix_interest_declaration_user", "user_id", "since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organisation (None only for a declaration at a PDEG meeting whose record names none).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    #: Who declared it, as a PDEG meeting's record names them, when they have no account to point at.
    person_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date, default=None)
    declared_at: Mapped[DeclaredAt] = mapped_column(enum_column_type(DeclaredAt, "interest_declared_at"))
    #: The PDEG item (a recommendation) it concerns, if declared on one: keeps Part Two papers from the member.
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"), default=None, index=True)
    dispute_id: Mapped[int | None] = mapped_column(Integer, default=None)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    person: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")

    def is_current(self, on: date) -> bool:
        """Declared as held on ``on``."""
        return self.since <= on and (self.until is None or self.until >= on)

    def can_change(self, user: Any) -> bool:
        """A person keeps their own declarations; their organisation's chief executive or deputy keeps the
        organisation's."""
        if user is None or not user.is_authenticated:
            return False
        if self.user_id is not None:
            return user.id == self.user_id
        if self.person_name:
            return False  # as the PDEG secretariat recorded it at a meeting
        return bool(user.role.acts_for_organisation and user.organisation_id == self.organisation_id)


class InterestReminder(db.Model):
    """The annual reminder to review one's declarations: once a person a year (unique), however often tick runs."""

    __tablename__ = "interest_reminder"
    __table_args__ = (UniqueConstraint("user_id", "year", name="uq_interest_reminder_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    year: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


