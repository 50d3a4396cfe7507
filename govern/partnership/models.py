"""The partnership as data: the MoU, organisations, subordinate groups, Schedule 3 principles."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db


class OrganisationKind(StrEnum):
    """The four kinds of party (clause 1), plus the system's own office."""

    COMMISSIONER = "commissioner"
    LOCAL_AUTHORITY = "local_authority"
    PROVIDER = "provider"
    REGULATOR = "regulator"
    SYSTEM = "system"

    @property
    def title(self) -> str:
        """Plain-English name of the kind."""
        return {
            "commissioner": "Commissioner (CCG)",
            "local_authority": "Local authority",
            "provider": "Provider",
            "regulator": "Regulator",
            "system": "System leadership",
        }[self.value]


class MouStatus(StrEnum):
    """Where an organisation stands with the MoU.

    The signature block shows a party may sign "subject to Board ratification", so a signature
    has a status of its own; clause 15 lets any party withdraw at any time.
    """

    SIGNED = "signed"
    SIGNED_SUBJECT_TO_RATIFICATION = "signed_subject_to_ratification"
    ELIGIBLE_NOT_SIGNED = "eligible_not_signed"
    WITHDRAWN = "withdrawn"
    NOT_A_PARTY = "not_a_party"

    @property
    def title(self) -> str:
        """Plain-English name of the status."""
        return {
            "signed": "Signed",
            "signed_subject_to_ratification": "Signed, subject to Board ratification",
            "eligible_not_signed": "Eligible for PDEG, not a signatory",
            "withdrawn": "Withdrawn (clause 15)",
            "not_a_party": "Not a party",
        }[self.value]

    @property
    def is_party(self) -> bool:
        """A current party to the MoU: signed (with or without ratification) and not withdrawn."""
        return self in (MouStatus.SIGNED, MouStatus.SIGNED_SUBJECT_TO_RATIFICATION)


class Mou(db.Model):
    """The Memorandum of Understanding itself (one row per partnership)."""

    __tablename__ = "mou"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # An agreement file may not say (a published excerpt without its date): then they are unknown.
    made_on: Mapped[date | None] = mapped_column(Date)
    duration_from: Mapped[date | None] = mapped_column(Date)
    duration_to: Mapped[date | None] = mapped_column(Date)
    duration_clause: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")


class Organisation(db.Model):
    """An organisation: a party to the MoU, one eligible for PDEG, or the system's own office."""

    __tablename__ = "organisation"
    __table_args__ = (Index("ix_organisation_mou_status", "mou_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column_type(OrganisationKind, "organisation_kind"))
    mou_status: Mapped[MouStatus] = mapped_column(enum_column_type(MouStatus, "mou_status"))
    pdeg_eligible: Mapped[bool] = mapped_column(default=False)
    board_name: Mapped[str] = mapped_column(String(80), default="Board")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    withdrawal_notice: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_party(self) -> bool:
        """True while the organisation is a current party to the MoU (signed, not withdrawn)."""
        return self.mou_status.is_party

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"


class SubordinateGroup(db.Model):
    """A group reporting to PDEG (Schedule 4, "Subordinate Groups")."""

    __tablename__ = "subordinate_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    remit: Mapped[str] = mapped_column(Text, default="")


class PrincipleSection(StrEnum):
    """The three parts of Schedule 3's Partnership Working Agreement."""

    VALUES = "values"
    OUTCOMES = "outcomes"
    BEHAVIOURS = "behaviours"

    @property
    def title(self) -> str:
        """The MoU's heading for the section."""
        return {
            "values": "Partnership Values",
            "outcomes": "Partnership Outcomes",
            "behaviours": "Partnership Behaviours",
        }[self.value]


class Principle(db.Model):
    """One agreed principle of Schedule 3, with a stable code disputes cite it by."""

    __tablename__ = "principle"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    section: Mapped[PrincipleSection] = mapped_column(enum_column_type(PrincipleSection, "principle_section"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)

    @property
    def label(self) -> str:
        """Code and text, as shown in pickers."""
        return f"{self.code}: {self.text}"


__all__ = [
    "Mou",
    "MouStatus",
    "Organisation",
    "OrganisationKind",
    "Principle",
    "PrincipleSection",
    "SubordinateGroup",
]
