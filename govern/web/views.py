"""The home page: what the signed-in person has to do."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from govern.auth.models import current_stp_leader_assignment

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home() -> str:
    """Each person's starting page."""
    return render_template(
        "home.html", user=current_user, stp_leader=current_stp_leader_assignment()
    )
