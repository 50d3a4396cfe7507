"""Actions after a decision or an outcome: add, update status, set the review date. None commits.

Who adds them: for a ratified decision (10.6), the STP Leader or the PDEG secretariat; for a dispute
whose outcome every party accepted, the STP Leader. The owner alone keeps an action's status.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from govern.actions.models import ActionStatus, FollowUp, Review
from govern.audit import chain
from govern.auth.models import User
from govern.boards.dates import day_words
from govern.cases import runner
from govern.core import clock
from govern.core.errors import OperationError
from govern.disputes.models import Dispute, Response
from govern.extensions import db
from govern.pdeg import states
from govern.pdeg.models import Recommendation, is_pdeg_secretariat
from workflows.calendar import local_day

Subject = Recommendation | Dispute


def outcome_accepted(dispute: Dispute) -> bool:
    """The dispute is closed and every party accepted its outcome (none gave notice of withdrawal)."""
    accepted = {r.organisation_id for r in dispute.responses if r.response is Response.ACCEPTED}
    return dispute.closed_at is not None and bool(dispute.party_ids) and dispute.party_ids <= accepted


def may_add_actions(subject: Subject, user: Any) -> bool:
    """Actions follow a ratified decision (the STP Leader or the PDEG secretariat adds them) or an
    accepted dispute outcome (the STP Leader)."""
    if user is None or not user.is_authenticated:
        return False
    if isinstance(subject, Recommendation):
        return subject.state in states.ratified_by_all() and (bool(user.is_stp_leader) or is_pdeg_secretariat(user))
    return outcome_accepted(subject) and bool(user.is_stp_leader)


def _check_may_add(subject: Subject, user: Any) -> None:
    if may_add_actions(subject, user):
        return
    if isinstance(subject, Recommendation):
        if subject.state not in states.ratified_by_all():
            raise OperationError("Actions follow a decision once every Board has ratified it", clause="10.6")
        raise OperationError("Only the STP Leader or the PDEG secretariat adds actions to a decision", clause="10.6")
    if not outcome_accepted(subject):
        raise OperationError("Actions follow a dispute once every party has accepted its outcome", clause="15")
    raise OperationError("Only the STP Leader adds actions to a dispute's outcome")


def _subject_keys(subject: Subject) -> dict[str, int | None]:
    if isinstance(subject, Recommendation):
        return {"recommendation_id": subject.id, "dispute_id": None}
    return {"recommendation_id": None, "dispute_id": subject.id}


def owner_by_email(email: str) -> User | None:
    """The active account with this address, if any."""
    wanted = (email or "").strip().lower()
    if not wanted:
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == wanted, User.active.is_(True)))


def _future(day: date | None, field: str, what: str) -> date:
    if day is None:
        raise OperationError(f"Enter the {what}", field=field)
    if day < local_day(clock.now()):
        raise OperationError(f"The {what} must be today or later: {day_words(day)} has passed", field=field)
    return day


def add_action(subject: Subject, user: Any, *, owner_email: str, description: str, due_date: date | None) -> FollowUp:
    """Add an action, with its owner and due date, to a ratified decision or an accepted outcome."""
    _check_may_add(subject, user)
    description = (description or "").strip()
    if not description:
        raise OperationError("Say what is to be done", field="description")
    owner = owner_by_email(owner_email)
    if owner is None:
        raise OperationError("Enter the email address of a person with an account", field="owner_email")
    due_date = _future(due_date, "due_date", "due date")
    now = clock.now()
    action = FollowUp(**_subject_keys(subject), owner_id=owner.id, description=description, due_date=due_date,
                      status=ActionStatus.NOT_STARTED, status_note="", created_by_id=user.id, created_at=now,
                      updated_at=now)
    db.session.add(action)
    db.session.flush()
    chain.record("add_action", "follow_up_action", action.id, {
        **{k: [None, v] for k, v in _subject_keys(subject).items() if v is not None},
        "owner_id": [None, owner.id], "description": [None, description], "due_date": [None, due_date.isoformat()],
    }, actor=user)
    _tell_owner(action, subject, owner)
    return action


def _tell_owner(action: FollowUp, subject: Subject, owner: User) -> None:
    from govern.notify.queue import Message, queue

    queue([Message(owner.id, f"An action for you: {subject.reference}, due {day_words(action.due_date)}",
                   f"You own an action following {subject.reference}: \"{action.description}\". It is due by "
                   f"{day_words(action.due_date)}. Keep its status up to date.", f"/actions/{action.id}")],
          {owner.id: owner.email})


def update_status(action: FollowUp, user: Any, *, status: ActionStatus | None, note: str,
                  expected_version: int | None = None) -> FollowUp:
    """The owner says where the action stands; a blocked action needs a note saying why."""
    if not action.can_update(user):
        raise OperationError("Only the action's owner keeps its status")
    runner.check_version(action, expected_version, "lock_version")
    if status is None:
        raise OperationError("Choose where the action stands", field="status")
    note = (note or "").strip()
    if status is ActionStatus.BLOCKED and not note:
        raise OperationError("Say what is blocking it", field="note")
    before = chain.snapshot(action, ("status", "status_note"))
    action.status, action.status_note, action.updated_at = status, note, clock.now()
    runner.flush_or_stale()
    chain.record("update_action_status", "follow_up_action", action.id,
                 chain.diff(before, chain.snapshot(action, ("status", "status_note"))), actor=user)
    return action


def set_review_date(subject: Subject, user: Any, *, review_date: date | None) -> Review:
    """When the actions following a decision or an outcome are to be reviewed."""
    _check_may_add(subject, user)
    review_date = _future(review_date, "review_date", "review date")
    keys = _subject_keys(subject)
    column = Review.recommendation_id if keys["recommendation_id"] else Review.dispute_id
    review = db.session.scalar(select(Review).where(column == subject.id))
    before = review.review_date.isoformat() if review else None
    if review is None:
        review = Review(**keys, review_date=review_date, set_by_id=user.id, set_at=clock.now())
        db.session.add(review)
    else:
        review.review_date, review.set_by_id, review.set_at = review_date, user.id, clock.now()
    db.session.flush()
    chain.record("set_review_date", "follow_up_review", review.id, {
        **{k: [None, v] for k, v in keys.items() if v is not None}, "review_date": [before, review_date.isoformat()],
    }, actor=user)
    return review
