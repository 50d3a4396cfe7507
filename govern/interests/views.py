"""The register of interests: one's own declarations, the whole register, and ending an interest."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from govern.boards.dates import day_words
from govern.core.errors import OperationError, StaleCase
from govern.extensions import db
from govern.interests import operations, queries
from govern.interests.forms import DeclarationForm, EndForm, RegisterFilterForm
from govern.interests.models import RegisteredInterest
from govern.partnership.models import Organisation
from govern.web.actions import show_refusal

bp = Blueprint("interests", __name__)


@bp.route("/interests", methods=["GET", "POST"])
@login_required
def mine() -> str | Response | tuple[str, int]:
    """My declarations (and my organisation's), and a form to declare one."""
    form = DeclarationForm()
    if form.validate_on_submit():
        try:
            found = operations.declare_interest(current_user, description=form.description.data or "",
                                                since=form.since.data, until=form.until.data,
                                                for_organisation=bool(form.for_organisation.data))
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(f"Declared: {found.description[:80]} (since {day_words(found.since)}).", "success")
            return redirect(url_for("interests.mine"))
    status = 400 if form.is_submitted() else 200
    page = queries.mine_page(current_user, request.args.get("after"))
    return render_template("interests/mine.html", form=form, page=page,
                           may_declare_for_organisation=bool(current_user.role.acts_for_organisation),
                           page_has_errors=status == 400), status


@bp.get("/interests/register")
@login_required
def register() -> str | tuple[str, int]:
    """The standing register of interests, per organisation and its people, newest first."""
    form = RegisterFilterForm(request.args)
    form.organisation.choices = [("", "Every organisation")] + [
        (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))]
    valid = form.validate() if request.args.get("organisation") else True
    organisation_id = form.organisation.data if valid else None
    return render_template("interests/register.html", form=form,
                           page=queries.register_page(organisation_id, request.args.get("after"), current_user),
                           filtered=bool(organisation_id)), (200 if valid else 400)


@bp.route("/interests/<int:declaration_id>/end", methods=["GET", "POST"])
@login_required
def end(declaration_id: int) -> str | Response | tuple[str, int]:
    """Say when an interest ended."""
    found = db.session.get(RegisteredInterest, declaration_id)
    if found is None or not found.can_change(current_user):
        abort(404)
    form = EndForm()
    if request.method == "GET":
        form.expected_version.data = found.lock_version
    if form.validate_on_submit():
        try:
            operations.end_interest(found, current_user, until=form.until.data,
                                    expected_version=form.expected_version.data)
        except StaleCase as stale:
            flash(stale.message, "error")
            return redirect(url_for("interests.mine"))
        except OperationError as error:
            db.session.rollback()
            show_refusal(form, error)
            found = db.session.get(RegisteredInterest, declaration_id)
        else:
            db.session.commit()
            flash(f"Recorded: the interest ended on {day_words(found.until)}.", "success")
            return redirect(url_for("interests.mine"))
    status = 400 if form.is_submitted() else 200
    return render_template("interests/end.html", form=form, declaration=found, page_has_errors=status == 400), status
