"""Accounts: list, add, change, disable; and who is STP Leader."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from govern.admin.forms import AccountForm, StpLeaderForm
from govern.auth import mfa, operations
from govern.auth.models import Role, StpLeaderAssignment, User, current_stp_leader_assignment
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from govern.web import paging
from govern.web.access import requires
from govern.web.actions import run
from govern.web.urls import id_url_for

bp = Blueprint("admin", __name__, url_prefix="/admin")

is_admin = requires(lambda user: user.can_manage_accounts())


def _fill_choices(form: AccountForm) -> None:
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    groups = db.session.scalars(select(SubordinateGroup).order_by(SubordinateGroup.name)).all()
    form.organisation_id.choices = [("", "Choose an organisation")] + [(o.id, o.name) for o in organisations]
    form.group_id.choices = [("", "Not a chair")] + [(g.id, g.name) for g in groups]


def _get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@is_admin
def users() -> str:
    """Every account by name, a page at a time; filtered by organisation and role."""
    query = (select(User.id, User.name, User.email, Organisation.short_name, User.role, SubordinateGroup.code,
                    User.active)
             .join(Organisation, Organisation.id == User.organisation_id)
             .outerjoin(SubordinateGroup, SubordinateGroup.id == User.group_id))
    organisation = request.args.get("organisation", "")
    if organisation.isdigit():
        query = query.where(User.organisation_id == int(organisation))
    if request.args.get("role", "") in {r.value for r in Role}:
        query = query.where(User.role == Role(request.args["role"]))
    page = paging.keyset(query, (User.name, User.id), lambda u: (u.name, u.id), cursor=request.args.get("after"),
                         scalars=False)
    organisations = db.session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    return render_template("admin/users.html", page=page, users=_account_rows(page.items),
                           stp_leader=current_stp_leader_assignment(), organisations=organisations, roles=list(Role),
                           args=request.args)


def _account_rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    """What the accounts table shows for each row: (id, name, email, organisation, role as shown,
    active, the address to change it, the address to disable or enable it); each address built once."""
    change = id_url_for("admin.edit_user", "user_id")
    disable, enable = id_url_for("admin.disable_user", "user_id"), id_url_for("admin.enable_user", "user_id")
    return [(row.id, row.name, row.email, row.short_name, f"{row.role.title} ({row.code})" if row.code
             else row.role.title, row.active, change(row.id), (disable if row.active else enable)(row.id))
            for row in rows]


def _save(form: AccountForm, user: User | None) -> User:
    organisation = db.session.get(Organisation, form.organisation_id.data) if form.organisation_id.data else None
    group = db.session.get(SubordinateGroup, form.group_id.data) if form.group_id.data else None
    fields = {
        "email": form.email.data or "",
        "name": form.name.data or "",
        "job_title": form.job_title.data or "",
        "organisation": organisation,
        "role": Role(form.role.data),
        "group": group,
    }
    if user is None:
        return operations.create_user(actor=current_user, **fields)
    return operations.update_user(user, actor=current_user, **fields)


@bp.route("/users/new", methods=["GET", "POST"])
@is_admin
def new_user() -> str | Response | tuple[str, int]:
    """Add an account."""
    form = AccountForm()
    _fill_choices(form)
    if form.validate_on_submit():
        done = run(form, lambda: _save(form, None), stale_url=request.path)
        if done.ok and (user := done.value) is not None:
            flash(f"Account added for {user.name}. We have emailed them a link to choose their password.", "success")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@is_admin
def edit_user(user_id: int) -> str | Response | tuple[str, int]:
    """Change an account."""
    user = _get_user_or_404(user_id)
    form = AccountForm(obj=user)
    _fill_choices(form)
    if form.validate_on_submit() and run(form, lambda: _save(form, user), stale_url=request.path).ok:
        flash(f"Changes to {user.name}'s account saved.", "success")
        return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.post("/users/<int:user_id>/invitation")
@is_admin
def resend_invitation(user_id: int) -> Response:
    """Send a new invitation link to a person who has not chosen a password yet."""
    user = _get_user_or_404(user_id)
    if run(None, lambda: operations.resend_invitation(user, actor=current_user), stale_url=request.path).ok:
        flash(f"A new invitation has been emailed to {user.name}.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/authenticator/reset")
@is_admin
def reset_authenticator(user_id: int) -> Response:
    """Remove a person's authenticator app; they set up a new one at their next sign-in."""
    user = _get_user_or_404(user_id)
    if run(None, lambda: mfa.reset_mfa(user, actor=current_user), stale_url=request.path).ok:
        flash(f"{user.name}'s authenticator app has been removed. They set up a new one when they next sign in.",
              "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/disable")
@is_admin
def disable_user(user_id: int) -> Response:
    """Disable an account; its open sessions end at once."""
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/enable")
@is_admin
def enable_user(user_id: int) -> Response:
    """Re-enable an account."""
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool) -> Response:
    user = _get_user_or_404(user_id)
    if run(None, lambda: operations.set_user_active(user, active, actor=current_user), stale_url=request.path).ok:
        flash(f"{user.name}'s account is now {'enabled' if active else 'disabled'}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/stp-leader", methods=["GET", "POST"])
@is_admin
def stp_leader() -> str | Response | tuple[str, int]:
    """Who is STP Leader, the history of the role, and moving it (clause 6.3)."""
    form = StpLeaderForm()
    people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    form.user_id.choices = [("", "Choose a person")] + [
        (u.id, f"{u.name} ({u.organisation.short_name})") for u in people
    ]
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        if user is None:
            abort(404)
        if run(form, lambda: operations.assign_stp_leader(user, authority=form.authority.data or "",
                                                          actor=current_user), stale_url=request.path).ok:
            flash(f"{user.name} is now STP Leader.", "success")
            return redirect(url_for("admin.stp_leader"))
    history = db.session.scalars(
        select(StpLeaderAssignment).order_by(StpLeaderAssignment.started_at.desc())
    ).all()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/stp_leader.html", form=form, current=current_stp_leader_assignment(), history=history
    ), status
