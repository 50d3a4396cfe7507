"""The calendar feed and its page; the STP Leader's dashboard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response as BaseResponse

from govern.actions.queries import dashboard_counts as action_counts
from govern.core import clock
from govern.deadlines import feed as feeds
from govern.deadlines.dashboard import FIGURE_LISTS, Bar, build_dashboard
from govern.deadlines.models import CaseDeadline
from govern.extensions import db
from govern.web import paging
from govern.web.access import requires
from govern.web.template_helpers import local_date
from govern.web.urls import id_url_for, public_url_for

bp = Blueprint("deadlines", __name__)

#: The longest label a chart draws beside its bars (the table beside it gives every label in full).
CHART_LABEL = 38

leader_or_admin = requires(lambda user: bool(user.is_stp_leader or user.is_administrator))


#: What a table of deadlines reads of each (plain rows, not objects).
DEADLINE_COLUMNS = (CaseDeadline.id, CaseDeadline.case_id, CaseDeadline.reference, CaseDeadline.title,
                    CaseDeadline.clause, CaseDeadline.due_at)


def deadline_rows(rows: Iterable[Any]) -> list[tuple[str, str, str, str, str]]:
    """What a table of deadlines shows for each row (due_at, case_id, reference, title, clause): the
    due date as text, the dispute's address, the reference, the step and its clause. Each distinct day
    is written once and the address is built once (a list of 50 asks for 50 that differ by an id)."""
    days: dict[Any, str] = {}
    address = id_url_for("disputes.show", "dispute_id")
    shown = []
    for row in rows:
        day = days.get(row.due_at)
        if day is None:
            day = days[row.due_at] = local_date(row.due_at)
        shown.append((day, address(row.case_id), row.reference, row.title, row.clause))
    return shown


@bp.get("/calendar")
@login_required
def calendar() -> str:
    """The user's calendar feed address, a button to make or reset it, and their deadlines a page at a time."""
    feed = feeds.feed_of(current_user)
    # On PUBLIC_BASE_URL, not the request's Host header (which the client chooses).
    address = public_url_for("deadlines.calendar_feed", token=feed.token) if feed else None
    query = feeds.open_deadlines_query(current_user, *DEADLINE_COLUMNS)
    page = paging.keyset(query.order_by(None), (CaseDeadline.due_at, CaseDeadline.id), lambda d: (d.due_at, d.id),
                         cursor=request.args.get("after"), scalars=False) if query is not None \
        else paging.Page([], 0, None, True)
    return render_template("deadlines/calendar.html", address=address, page=page, deadlines=deadline_rows(page.items))


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
    """The feed itself: no login (calendar programs cannot log in), the token is the secret.

    Calendar programs poll: each answer carries an ETag and Last-Modified, and a poll that sends
    them back gets 304 Not Modified, without the feed being written, when nothing has changed."""
    user = feeds.user_for_token(token)
    feed = feeds.feed_of(user) if user is not None else None
    if user is None or feed is None:
        abort(404)
    now = clock.now()
    version = feeds.version_of(feed, user, now)
    if is_resource_modified(request.environ, etag=version.etag, last_modified=version.last_modified):
        response = Response(feeds.ics_for(user, feeds.feed_rows(user, now), version.last_modified),
                            mimetype="text/calendar")
        response.headers["Content-Disposition"] = 'inline; filename="govern-deadlines.ics"'
    else:
        response = Response(status=304)
    response.set_etag(version.etag)
    response.last_modified = version.last_modified
    # Kept by the user's calendar program only, and checked with it on every poll.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/dashboard")
@leader_or_admin
def dashboard() -> str:
    """The STP Leader's dashboard."""
    board = build_dashboard()
    if board.recomputed:
        db.session.commit()  # the figures recomputed, kept for the next views (no state changes)
    charts = {name: chart_rows(getattr(board, name), grouped=name in ("by_step", "on_time"),
                               maximum=100 if name == "on_time" else None) for name in FIGURE_LISTS}
    return render_template("deadlines/dashboard.html", board=board, action_counts=action_counts(), charts=charts,
                           overdue=deadline_rows(board.overdue), due_soon=deadline_rows(board.due_soon))


def chart_rows(bars: list[Bar], *, maximum: float | None = None, grouped: bool = False) -> list[tuple[Any, ...]]:
    """Each bar of a chart (``deadlines/_chart.html``) as its SVG and its table show it: (the label drawn,
    the group's name before it if ``grouped``, cut to 38 characters; the bar's top; its text's baseline;
    its width; where the figure beside it starts; that figure; the group; the label; the full figure).
    A full bar is ``maximum``, or the largest value."""
    top = max((bar.value for bar in bars), default=0) if maximum is None else maximum
    rows = []
    for n, bar in enumerate(bars):
        y = 26 * n + 4
        width = 180 * bar.value / top if top else 0
        drawn = f"{bar.group}: {bar.label}" if bar.group and grouped else bar.label
        if len(drawn) > CHART_LABEL:
            drawn = drawn[:CHART_LABEL - 1] + "\N{HORIZONTAL ELLIPSIS}"
        rows.append((drawn, y, y + 15, f"{width:.1f}", f"{254 + width:.1f}", bar.short or bar.text, bar.group,
                     bar.label, bar.text))
    return rows
