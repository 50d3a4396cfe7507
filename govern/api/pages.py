"""Pages under "Your account" where a person makes and revokes their personal access tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from govern.api import operations
from govern.api.forms import TokenForm
from govern.api.models import ApiToken, TokenScope
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _token_or_404(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or not token.can_manage(current_user):
        abort(404)
    return token


@bp.get("")
@login_required
def index() -> str:
    """The person's tokens: name, scope, expiry, last use and whether each still works."""
    page = operations.tokens_page(current_user, request.args.get("after"))
    return render_template("api/tokens.html", page=page, tokens=page.items, now=clock.now())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> str | tuple[str, int]:
    """Make a token; its secret is on the confirmation page, once."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            made = operations.create_token(current_user, name=form.name.data or "",
                                           scope=TokenScope(form.scope.data), expires_on=form.expires_on.data)
        except OperationError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            return render_template("api/token_created.html", token=made.token, secret=made.secret)
    status = 400 if form.is_submitted() else 200
    return render_template("api/new_token.html", form=form,
                           latest=operations.latest_expiry(clock.now().astimezone(operations.LOCAL).date())), status


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(token_id: int) -> str | Response:
    """Check, then revoke: the token stops working at once, for good."""
    token = _token_or_404(token_id)
    if request.method == "POST":
        try:
            operations.revoke_token(token, current_user)
        except OperationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"The token '{token.name}' is revoked: it no longer works.", "success")
        return redirect(url_for("api_tokens.index"))
    if token.revoked_at is not None:
        flash("This token is already revoked.", "info")
        return redirect(url_for("api_tokens.index"))
    return render_template("api/revoke_token.html", token=token)
