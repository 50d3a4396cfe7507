"""Actions that follow a ratified decision (10.6) or an accepted dispute outcome, and their review date.

An action belongs to exactly one of the two (a CHECK constraint says so). Its owner keeps its status;
reminders go a week before and on the due date, each once (the ``action_reminder`` ledger).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db

if TYPE_CHECKING:
    from govern.auth.models import User


class ActionStatus(StrEnum):
    """Where an action stands, as its owner says."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"

    @property
    def title(self) -> str:
        """As the pages say it."""
        return {"not_started": "Not started", "in_progress": "In progress", "done": "Done",
                "blocked": "Blocked"}[self.value]

    @property
    def colour(self) -> str:
        """The NHS.UK tag colour."""
        return {"not_started": "nhsuk-tag--grey", "in_progress": "nhsuk-tag--blue", "done": "nhsuk-tag--green",
                "blocked": "nhsuk-tag--red"}[self.value]


class FollowUp(db.Model):
    """An action that follows a decision or a dispute's outcome."""

    __tablename__ = "follow_up_action"
    __table_args__ = (
        CheckConstraint("(recommendation_id IS NULL) <> (dispute_id IS NULL)", name="one_subject"),
        Index("ix_follow_up_action_owner_status", "owner_id", "status"),
        Index("ix_follow_up_action_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"), default=None, index=True)
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("dispute.id"), default=None, index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    description: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(enum_column_type(ActionStatus, "action_status"))
    status_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")

    def can_update(self, user: Any) -> bool:
        """The owner keeps the status."""
        return bool(user is not None and user.is_authenticated and user.id == self.owner_id)


class Review(db.Model):
    """When a decision's or an outcome's actions are to be reviewed."""

    __tablename__ = "follow_up_review"
    __table_args__ = (
        CheckConstraint("(recommendation_id IS NULL) <> (dispute_id IS NULL)", name="one_subject"),
        UniqueConstraint("recommendation_id", name="uq_follow_up_review_recommendation"),
        UniqueConstraint("dispute_id", name="uq_follow_up_review_dispute"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"), default=None)
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("dispute.id"), default=None)
    review_date: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ActionReminderKind(StrEnum):
    """A week before the due date, and on the day."""

    WEEK_BEFORE = "week_before"
    DUE_DAY = "due_day"


class ActionReminder(db.Model):
    """A reminder sent: the unique constraint makes each go once, however often ``tick`` runs."""

    __tablename__ = "action_reminder"
    __table_args__ = (
        UniqueConstraint("action_id", "due_date", "kind", "recipient_id", name="uq_action_reminder_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("follow_up_action.id"))
    due_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[ActionReminderKind] = mapped_column(enum_column_type(ActionReminderKind, "action_reminder_kind"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
