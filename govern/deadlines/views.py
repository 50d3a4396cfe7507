"""The calendar feed and its page; the STP Leader's dashboard."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from govern.deadlines import feed as feeds
from govern.deadlines.dashboard import build_dashboard
from govern.extensions import db
from govern.web.access import requires

bp = Blueprint("deadlines", __name__)

SHOWN = 100  # on the page; the feed has them all

leader_or_admin = requires(lambda user: bool(user.is_stp_leader or user.is_administrator))


@bp.get("/calendar")
@login_required
def calendar() -> str:
    """The user's calendar feed address, and a button to make or reset it."""
    feed = feeds.feed_of(current_user)
    address = url_for("deadlines.calendar_feed", token=feed.token, _external=True) if feed else None
    deadlines = feeds.deadlines_for(current_user)
    return render_template("deadlines/calendar.html", address=address, deadlines=deadlines[:SHOWN],
                           total=len(deadlines))


@bp.post("/calendar/reset")
@login_required
def reset_calendar() -> BaseResponse:
    """Make the secret address, or replace it (the old one stops working)."""
    existed = feeds.feed_of(current_user) is not None
    feeds.reset_calendar_token(current_user)
    db.session.commit()
    flash("Your calendar has a new address: the old one no longer works." if existed
          else "Your calendar address is ready.", "success")
    return redirect(url_for("deadlines.calendar"))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str) -> Response:
    """The feed itself: no login (calendar programs cannot log in), the token is the secret."""
    user = feeds.user_for_token(token)
    if user is None:
        abort(404)
    response = Response(feeds.ics_for(user), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="govern-deadlines.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the address is the secret (kept by security.py)
    return response


@bp.get("/dashboard")
@leader_or_admin
def dashboard() -> str:
    """The STP Leader's dashboard."""
    return render_template("deadlines/dashboard.html", board=build_dashboard())
