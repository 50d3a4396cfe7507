"""Logging in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from govern.auth import operations
from govern.auth.forms import LoginForm
from govern.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login page cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """The login page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = operations.log_in(form.email.data or "", form.password.data or "", request.remote_addr or "")
        except operations.LoginRefused as refused:
            # The failed attempt is kept: it is what throttling counts.
            db.session.commit()
            error = refused.message
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if error is None and not form.errors else 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End the session on the server and in the browser."""
    operations.log_out(current_user)
    db.session.commit()
    logout_user()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))
