"""Each person's to-do list for the home page: what needs them now, with its due date, then their open
disputes, the decisions awaiting their Board and the meetings coming up.

Built from the deadlines table (``case_deadline``: every open step with who acts and when it is due,
kept in step with each case by :mod:`govern.deadlines.tracking`) with a fixed number of queries however
many cases there are: no case's schedule is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from govern.cases.models import CaseKind
from govern.deadlines.feed import my_steps
from govern.deadlines.models import CaseDeadline, open_step
from govern.disputes.models import Declaration, Dispute, PanelMember, PartyResponse
from govern.extensions import db
from govern.notify.queue import case_link

#: How many things to do the home page lists (the rest are on the disputes list and the calendar).
LIMIT = 50

#: Steps every organisation in a role does once on its own (each panel member declares, each party
#: responds): done for this user's organisation once it has, though the step stays open for the others.
PER_ORGANISATION = frozenset({"declarations", "responses"})


@dataclass(frozen=True)
class Task:
    """One thing the user must do: the step, the case it belongs to, and by when."""

    title: str
    clause: str
    reference: str
    case_title: str
    link: str
    due_at: datetime | None
    overdue: bool


def tasks_for(user: Any, now: datetime, limit: int = LIMIT) -> list[Task]:
    """The open steps on which ``user`` must act, overdue and soonest first, those without a due date last."""
    mine = my_steps(user)
    if mine is None:
        return []
    wanted = limit + 20  # room for steps the user's organisation has already done its part of
    # Dated steps soonest first, read in the order of the partial index on open steps (it stops at the
    # limit), then undated steps: two queries whatever the data.
    # The columns a task shows, as plain rows (no deadline objects to build).
    query = (select(CaseDeadline.title, CaseDeadline.clause, CaseDeadline.reference, CaseDeadline.case_kind,
                    CaseDeadline.case_id, CaseDeadline.step_key, CaseDeadline.due_at, Dispute.title.label("case_title"))
             .outerjoin(Dispute, and_(CaseDeadline.case_kind == CaseKind.DISPUTE, Dispute.id == CaseDeadline.case_id))
             .where(open_step(), mine))
    rows = db.session.execute(query.where(CaseDeadline.due_at.is_not(None))
                              .order_by(CaseDeadline.due_at, CaseDeadline.id).limit(wanted)).all()
    rows += db.session.execute(query.where(CaseDeadline.due_at.is_(None))
                               .order_by(CaseDeadline.id).limit(wanted)).all()
    done = _done_by_my_organisation(user, [d.case_id for d in rows if d.step_key in PER_ORGANISATION])
    tasks = [
        Task(d.title, d.clause, d.reference, d.case_title or "", case_link(d.case_kind, d.case_id), d.due_at,
             d.due_at is not None and d.due_at < now)
        for d in rows
        if (d.case_id, d.step_key) not in done
    ]
    return tasks[:limit]


def _done_by_my_organisation(user: Any, dispute_ids: list[int]) -> set[tuple[int, str]]:
    """(dispute, step) the user's organisation has done its own part of: declared, or responded."""
    if not dispute_ids or user.organisation_id is None:
        return set()
    declared = db.session.scalars(
        select(PanelMember.dispute_id).where(
            PanelMember.dispute_id.in_(dispute_ids), PanelMember.organisation_id == user.organisation_id,
            PanelMember.active.is_(True), PanelMember.declaration != Declaration.PENDING)
    ).all()
    responded = db.session.scalars(
        select(PartyResponse.dispute_id).where(
            PartyResponse.dispute_id.in_(dispute_ids), PartyResponse.organisation_id == user.organisation_id)
    ).all()
    return {(i, "declarations") for i in declared} | {(i, "responses") for i in responded}
