"""The home page: what the signed-in person has to do."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from govern.auth.models import User, current_stp_leader_id
from govern.extensions import db

bp = Blueprint("main", __name__)

#: How many of the open disputes, and of the decisions awaiting a Board, the home page lists.
HOME_LIST = 10

#: How many things to do the home page lists, soonest first; past that it links to the whole list
#: (the calendar page, and the disputes list for the STP Leader).
HOME_TASKS = 20

#: How many of the PDEG meetings coming up the home page lists.
HOME_MEETINGS = 5


@bp.get("/")
@login_required
def home() -> str:
    """Each person's starting page: a to-do list (what needs them now, with its due date), then their
    open disputes, the decisions awaiting their Board and the meetings coming up. A fixed number of
    queries however many cases there are (``tests/test_home_todo.py`` counts them)."""
    from govern.core import clock
    from govern.deadlines.todo import tasks_for
    from govern.disputes import listing
    from govern.pdeg import queries as pdeg_queries

    now = clock.now()
    user = current_user
    sees_disputes = user.role.acts_for_organisation or user.is_stp_leader or user.is_administrator
    # The first few of each list, with a link to the whole list.
    disputes = (listing.disputes_page(user, listing.DisputeFilters(), None, now, size=HOME_LIST)
                if sees_disputes else None)
    awaiting = (pdeg_queries.awaiting_board_page(user.organisation_id, None, size=HOME_LIST)
                if user.role.value == "board_secretary" else None)
    tasks = tasks_for(user, now, limit=HOME_TASKS + 1)
    return render_template(
        "home.html", user=user, stp_leader=_stp_leader(), tasks=tasks[:HOME_TASKS],
        more_tasks=len(tasks) > HOME_TASKS, disputes=disputes, awaiting=awaiting,
        meetings=pdeg_queries.upcoming_meetings(HOME_MEETINGS),
    )


def _stp_leader() -> User | None:
    """Who is STP Leader now (the signed-in STP Leader is already loaded: no query then)."""
    leader_id = current_stp_leader_id()
    return None if leader_id is None else db.session.get(User, leader_id)
