"""Each case's steps and due moments, kept in step with the case, and the ledger of reminders sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from govern.cases.models import CaseKind
from govern.core.types import UTCDateTime, enum_column_type
from govern.extensions import db


class CaseDeadline(db.Model):
    """One step of one case with its due moment, refreshed from ``workflows.deadlines.schedule`` in the
    same transaction as every change to the case, so the sweep finds what is due with one indexed query.

    ``open``: the step is running and not done, and the case is not finished. ``reminded_stage`` is how
    far the reminders for the current due moment have gone (0 none, 1 two working days before, 2 due
    day, 3 overdue); it only lets the sweep skip rows it has dealt with, the ``reminder`` ledger is what
    makes each reminder go once.
    """

    __tablename__ = "case_deadline"
    __table_args__ = (
        UniqueConstraint("case_kind", "case_id", "step_key", name="uq_case_deadline_step"),
        # The sweep's, the dashboard's and the feeds' index: open steps by due moment (partial, so it
        # stays small). A database uses a partial index only when the query's WHERE contains the
        # index's predicate as written: each predicate is what SQLAlchemy writes for ``open_step()``
        # on that database ("open" on PostgreSQL, "open = 1" on SQLite). Change both or neither.
        # It carries who acts (``roles``), so a count of one person's open steps (the STP Leader's
        # thousands, on the calendar page) is read from the index without the table: a key column on
        # SQLite (after the id, so "by due moment, then id" is still the index's order), an INCLUDE
        # column on PostgreSQL (whose btree has no operator class for JSON).
        Index("ix_case_deadline_open_due", "due_at", "id", "roles",
              sqlite_where=text("open = 1")).ddl_if(dialect="sqlite"),
        Index("ix_case_deadline_open_due", "due_at", postgresql_where=text("open"),
              postgresql_include=["roles"]).ddl_if(dialect="postgresql"),
        Index("ix_case_deadline_process_step", "process_key", "step_key"),
        # The dashboard's history figures read the steps done within a window.
        Index("ix_case_deadline_done_at", "done_at"),
        # A calendar's poll reads the newest change from the end of this index (its ETag).
        Index("ix_case_deadline_changed_at", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_kind: Mapped[CaseKind] = mapped_column(enum_column_type(CaseKind, "case_kind"))
    case_id: Mapped[int]
    reference: Mapped[str] = mapped_column(String(20))
    process_key: Mapped[str] = mapped_column(String(40))
    step_key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    clause: Mapped[str] = mapped_column(String(120), default="")
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    open: Mapped[bool] = mapped_column(default=False)
    done_on_time: Mapped[bool | None] = mapped_column(default=None)
    reminded_stage: Mapped[int] = mapped_column(default=0)
    # When the step last changed as its users see it (title, due or done): the calendar feeds'
    # Last-Modified.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


def open_step() -> ColumnElement[bool]:
    """The condition "the step is open", written so the partial index ``ix_case_deadline_open_due``
    applies: the bare column (``open IS true`` or ``open IS 1`` would make a full scan)."""
    return CaseDeadline.open.expression


class ReminderKind(StrEnum):
    """The reminders a deadline gets (DOMAIN.md timescales; the issue's "Deadlines that fire")."""

    TWO_DAYS_BEFORE = "two_days_before"
    DUE_DAY = "due_day"
    OVERDUE = "overdue"

    @property
    def stage(self) -> int:
        """Its place in ``CaseDeadline.reminded_stage``."""
        return {"two_days_before": 1, "due_day": 2, "overdue": 3}[self.value]


class Reminder(db.Model):
    """A reminder sent: at most one per deadline (as then due), kind and recipient, whatever the number
    of sweeps, because the unique constraint decides which of two concurrent inserts wins."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("case_deadline_id", "due_at", "kind", "recipient_id", name="uq_reminder_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_deadline_id: Mapped[int] = mapped_column(ForeignKey("case_deadline.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[ReminderKind] = mapped_column(enum_column_type(ReminderKind, "reminder_kind"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarFeed(db.Model):
    """A user's calendar feed: the secret in its address, which the user can reset."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DashboardFigures(db.Model):
    """The dashboard's figures over all the cases (open disputes by scenario and step, ratifications
    outstanding, timeliness), as last computed: read by every view of the dashboard, recomputed
    when older than a few minutes, so a view does not aggregate every case each time."""

    __tablename__ = "dashboard_figures"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
