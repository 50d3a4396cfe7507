"""Recommendations to PDEG and the Board ratifications that follow an agreement (10.6).

PDEG "does not have any authority to make binding decisions on behalf of the Parties" (10.6):
a recommendation agreed at PDEG becomes a decision only when every affected party's Board has
ratified it; each Board's ratification is a case of its own.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup

if TYPE_CHECKING:
    from govern.auth.models import User


class RecommendationState(StrEnum):
    """States of the recommendation process (workflows ``recommendation``)."""

    DRAFT = "draft"
    RAISED = "raised"
    RECORDED_UNDER_DELEGATION = "recorded_under_delegation"
    ON_AGENDA = "on_agenda"
    NOT_AGREED = "not_agreed"
    AWAITING_RATIFICATION = "awaiting_ratification"
    RATIFIED = "ratified"


class RaisedBy(StrEnum):
    """Who raised a recommendation (Schedule 4)."""

    SUBORDINATE_GROUP = "subordinate_group"
    MEMBER_ORGANISATION = "member_organisation"
    STP_LEADER = "stp_leader"


class RatificationState(StrEnum):
    """States of one Board's ratification (workflows ``ratification``)."""

    AWAITING_BOARD = "awaiting_board"
    DEFERRED = "deferred"
    NOT_RATIFIED = "not_ratified"
    RATIFIED = "ratified"
    LAPSED = "lapsed"
    SUPERSEDED = "superseded"


class Recommendation(db.Model):
    """A recommendation to PDEG, or a variation of the MoU (17.2)."""

    __tablename__ = "recommendation"
    __table_args__ = (Index("ix_recommendation_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    decision_sought: Mapped[str] = mapped_column(Text, default="")
    raised_by_kind: Mapped[RaisedBy] = mapped_column(enum_column_type(RaisedBy, "raised_by"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("subordinate_group.id"), default=None, index=True)
    raising_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), default=None)
    raised_by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    is_variation: Mapped[bool] = mapped_column(default=False)
    state: Mapped[RecommendationState] = mapped_column(enum_column_type(RecommendationState, "recommendation_state"))
    amendment_version: Mapped[int] = mapped_column(default=1)
    amendment: Mapped[str] = mapped_column(Text, default="")
    agenda_meeting_date: Mapped[date | None] = mapped_column(Date, default=None)
    linked_dispute_id: Mapped[int | None] = mapped_column(ForeignKey("dispute.id", use_alter=True), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    group: Mapped[SubordinateGroup | None] = relationship(lazy="joined")
    raising_organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    raised_by_user: Mapped[User] = relationship()
    affected: Mapped[list[Organisation]] = relationship(
        secondary="recommendation_party", order_by="Organisation.name"
    )
    ratifications: Mapped[list[Ratification]] = relationship(
        back_populates="recommendation", order_by="Ratification.id"
    )

    def can_view(self, user: Any) -> bool:
        """PDEG decisions are shared across the partnership: every signed-in person may see them."""
        return bool(user is not None and user.is_authenticated)


class RecommendationParty(db.Model):
    """A party whose Board must ratify the recommendation once PDEG agrees it."""

    __tablename__ = "recommendation_party"

    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)


class Ratification(db.Model):
    """One party's Board considering one version of a recommendation agreed at PDEG."""

    __tablename__ = "ratification"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "organisation_id", "version", name="uq_ratification_version"),
        Index("ix_ratification_org_state", "organisation_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    version: Mapped[int] = mapped_column(default=1)
    state: Mapped[RatificationState] = mapped_column(enum_column_type(RatificationState, "ratification_state"))
    meeting_date: Mapped[date | None] = mapped_column(Date, default=None)
    minute_reference: Mapped[str] = mapped_column(String(120), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    recommendation: Mapped[Recommendation] = relationship(back_populates="ratifications")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
