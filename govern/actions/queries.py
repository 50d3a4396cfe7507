"""What the pages show of actions (read-only): a subject's actions, an owner's, the dashboard's counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, raiseload

from govern.actions.models import ActionStatus, FollowUp, Review
from govern.actions.operations import Subject, may_add_actions
from govern.core import clock
from govern.extensions import db, read
from govern.pdeg.models import Recommendation
from govern.web import paging
from govern.web.paging import Page
from workflows.calendar import local_day


@dataclass(frozen=True)
class Panel:
    """A decision's or an outcome's actions, its review date, and whether the user may add to them."""

    kind: str
    subject_id: int
    actions: Page[FollowUp]
    review: Review | None
    may_add: bool

    @property
    def shown(self) -> bool:
        """Worth a section on the page."""
        return self.may_add or bool(self.actions.items) or self.review is not None


def _where(subject: Subject) -> Any:
    if isinstance(subject, Recommendation):
        return FollowUp.recommendation_id == subject.id, Review.recommendation_id == subject.id
    return FollowUp.dispute_id == subject.id, Review.dispute_id == subject.id


def panel(subject: Subject, user: Any) -> Panel:
    """The actions section of a decision's or a dispute's page (first page, soonest due first)."""
    action_filter, review_filter = _where(subject)
    actions = paging.keyset(
        select(FollowUp).where(action_filter).options(joinedload(FollowUp.owner), raiseload("*")),
        (FollowUp.due_date, FollowUp.id), lambda a: (a.due_date, a.id),
    )
    review = db.session.scalar(select(Review).where(review_filter))
    kind = "recommendation" if isinstance(subject, Recommendation) else "dispute"
    return Panel(kind, subject.id, actions, review, may_add_actions(subject, user))


@dataclass(frozen=True)
class Mine:
    """An owner's open actions: the soonest few, and how many in all."""

    actions: list[Any]  # rows of (id, description, due_date, status)
    total: int
    overdue: int


#: How many of a person's open actions the home page lists.
MINE_LISTED = 5


def _mine_statements() -> tuple[Any, Any]:
    """The two statements of :func:`open_actions_of`, with the owner and today as placeholders."""
    not_done = (FollowUp.owner_id == bindparam("owner"), FollowUp.status != ActionStatus.DONE)
    today = bindparam("today", type_=FollowUp.due_date.type)
    rows = (select(FollowUp.id, FollowUp.description, FollowUp.due_date, FollowUp.status)
            .where(*not_done).order_by(FollowUp.due_date, FollowUp.id).limit(MINE_LISTED))
    counts = select(func.count(FollowUp.id), func.count(FollowUp.id).filter(FollowUp.due_date < today)).where(*not_done)
    return rows, counts


#: Built once: every home page asks them.
_MINE_ROWS, _MINE_COUNTS = _mine_statements()


def open_actions_of(user_id: int) -> Mine:
    """The user's actions not yet done, soonest due first (the first :data:`MINE_LISTED`), with how many
    in all and overdue: two queries, as plain rows (the columns the home page shows)."""
    asked = {"owner": user_id, "today": local_day(clock.now())}
    rows = read(_MINE_ROWS, asked).all()
    total, overdue = read(_MINE_COUNTS, asked).one()
    return Mine(rows, int(total or 0), int(overdue or 0))


def dashboard_counts() -> dict[str, int]:
    """Open actions and overdue ones, across the partnership (one query)."""
    today = local_day(clock.now())
    row = db.session.execute(
        select(func.count(FollowUp.id), func.count(FollowUp.id).filter(FollowUp.due_date < today))
        .where(FollowUp.status != ActionStatus.DONE)
    ).one()
    return {"open": int(row[0] or 0), "overdue": int(row[1] or 0)}
