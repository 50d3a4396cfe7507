"""Pages for actions: add one to a decision or an outcome, set the review date, the owner's status.

Views load (404 if the subject is not the user's to see), check, call one operation, commit, redirect.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from govern.actions import operations
from govern.actions.forms import ActionForm, ReviewForm, StatusForm
from govern.actions.models import ActionStatus, FollowUp
from govern.boards.dates import day_words
from govern.core.errors import OperationError, StaleCase
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.pdeg.models import Recommendation
from govern.web.actions import show_refusal

bp = Blueprint("actions", __name__)


@bp.app_context_processor
def _my_actions() -> dict[str, Any]:
    # The home page's small "Your actions" section asks for the signed-in person's open actions.
    def my_open_actions() -> Any:
        from govern.actions.queries import open_actions_of

        return open_actions_of(current_user.id)

    return {"my_open_actions": my_open_actions}

KINDS: dict[str, Any] = {"recommendation": Recommendation, "dispute": Dispute}


def _subject_or_404(kind: str, subject_id: int) -> Any:
    model = KINDS.get(kind)
    subject = db.session.get(model, subject_id) if model else None
    if subject is None or not subject.can_view(current_user):
        abort(404)
    return subject


def subject_url(kind: str, subject_id: int) -> str:
    """The page of the decision or the dispute."""
    if kind == "recommendation":
        return url_for("pdeg.recommendation", recommendation_id=subject_id)
    return url_for("disputes.show", dispute_id=subject_id)


@bp.route("/<any(recommendation, dispute):kind>s/<int:subject_id>/follow-up/new", methods=["GET", "POST"])
@login_required
def new_action(kind: str, subject_id: int) -> str | Response | tuple[str, int]:
    """Add an action to a ratified decision or an accepted outcome."""
    subject = _subject_or_404(kind, subject_id)
    if not operations.may_add_actions(subject, current_user):
        abort(403)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            action = operations.add_action(subject, current_user, owner_email=form.owner_email.data or "",
                                           description=form.description.data or "", due_date=form.due_date.data)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
            subject = _subject_or_404(kind, subject_id)
        else:
            db.session.commit()
            flash(f"Action added for {action.owner.name}, due {day_words(action.due_date)}. They have been told.",
                  "success")
            return redirect(subject_url(kind, subject_id) + "#actions-follow-up")
    status = 400 if form.is_submitted() else 200
    return render_template("actions/new.html", form=form, subject=subject, back=subject_url(kind, subject_id),
                           page_has_errors=status == 400), status


@bp.route("/<any(recommendation, dispute):kind>s/<int:subject_id>/follow-up/review", methods=["GET", "POST"])
@login_required
def review(kind: str, subject_id: int) -> str | Response | tuple[str, int]:
    """Set when the actions are to be reviewed."""
    subject = _subject_or_404(kind, subject_id)
    if not operations.may_add_actions(subject, current_user):
        abort(403)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            found = operations.set_review_date(subject, current_user, review_date=form.review_date.data)
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
            subject = _subject_or_404(kind, subject_id)
        else:
            db.session.commit()
            flash(f"Review date set: {day_words(found.review_date)}.", "success")
            return redirect(subject_url(kind, subject_id) + "#actions-follow-up")
    status = 400 if form.is_submitted() else 200
    return render_template("actions/review.html", form=form, subject=subject, back=subject_url(kind, subject_id),
                           page_has_errors=status == 400), status


def _action_or_404(action_id: int) -> tuple[FollowUp, Any]:
    action = db.session.get(FollowUp, action_id)
    if action is None:
        abort(404)
    kind = "recommendation" if action.recommendation_id else "dispute"
    subject = db.session.get(KINDS[kind], action.recommendation_id or action.dispute_id)
    if not (action.can_update(current_user) or (subject is not None and subject.can_view(current_user))):
        abort(404)
    return action, subject


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@login_required
def action(action_id: int) -> str | Response | tuple[str, int]:
    """An action; its owner says where it stands."""
    found, subject = _action_or_404(action_id)
    kind = "recommendation" if found.recommendation_id else "dispute"
    form = StatusForm()
    if not form.is_submitted():
        form.status.data, form.note.data, form.expected_version.data = (found.status.value, found.status_note,
                                                                         found.lock_version)
    if form.is_submitted() and not found.can_update(current_user):
        abort(403)
    if form.validate_on_submit():
        try:
            operations.update_status(found, current_user, status=ActionStatus(form.status.data) if form.status.data
                                     else None, note=form.note.data or "", expected_version=form.expected_version.data)
        except StaleCase as stale:
            flash(stale.message, "error")
            return redirect(url_for("actions.action", action_id=action_id))
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
            found, subject = _action_or_404(action_id)
        else:
            db.session.commit()
            flash(f"Status saved: {found.status.title.lower()}.", "success")
            return redirect(url_for("actions.action", action_id=action_id))
    status = 400 if form.is_submitted() else 200
    sees_subject = subject is not None and subject.can_view(current_user)
    return render_template("actions/action.html", action=found, form=form, subject=subject if sees_subject else None,
                           subject_href=subject_url(kind, subject.id) if sees_subject else None,
                           may_update=found.can_update(current_user), page_has_errors=status == 400), status
