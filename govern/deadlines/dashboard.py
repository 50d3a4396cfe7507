"""The STP Leader's dashboard: a fixed number of queries, whatever the amount of data.

What is overdue and due this week is read live, from the partial index on open steps. The figures
over all the cases (by scenario and step, ratifications outstanding, timeliness over the last 12
months) are kept in ``dashboard_figures`` and recomputed when older than ``FIGURES_MAX_AGE``, so
most views read one row instead of aggregating every case.

Open disputes by scenario and by the step they wait on; what is overdue and what falls due in the
next seven days; ratifications outstanding by party; timeliness against the MoU's own deadlines
(the share of steps done on time, by scenario and step, and the median days from notification to
outcome).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from govern.agreements import service
from govern.core import clock
from govern.deadlines.models import CaseDeadline, DashboardFigures, open_step
from govern.disputes.models import Dispute
from govern.extensions import db, read
from govern.partnership.models import Organisation
from govern.pdeg import states as pdeg_states
from govern.pdeg.models import Ratification, Recommendation

LIST_LIMIT = 50
OUTCOME_STEPS = ("decision", "proposal")  # Scenario 1's panel decision; the STP Leader's proposal (2-4)
#: The history figures (timeliness) cover this window, so they cost the same however long the
#: partnership has run (the index on ``done_at`` reads just the window).
HISTORY = timedelta(days=365)


def scenario_title(process_key: str) -> str:
    """The process's short name for a chart: the part of its title before a colon ('Scenario 2')."""
    agreement = service.current()
    definition = agreement.processes.get(process_key)
    if definition is None and process_key == service.BESPOKE and agreement.declaration.bespoke is not None:
        return agreement.declaration.bespoke.title
    return definition.title.split(":", 1)[0] if definition is not None else process_key


@dataclass(frozen=True)
class Bar:
    """One bar of a chart and one row of its table."""

    label: str
    value: float
    text: str = ""
    group: str = ""
    short: str = ""  # the figure beside the bar, when ``text`` is too long for it


#: How old the kept figures may be before a view recomputes them (the page says when they were made).
FIGURES_MAX_AGE = timedelta(minutes=10)
FIGURES = "dashboard"
FIGURE_LISTS = ("by_scenario", "by_step", "ratifications", "on_time", "median_days")


@dataclass
class Dashboard:
    """Everything the dashboard shows."""

    now: datetime
    by_scenario: list[Bar] = field(default_factory=list)
    by_step: list[Bar] = field(default_factory=list)
    overdue_count: int = 0
    due_soon_count: int = 0
    overdue: list[Any] = field(default_factory=list)  # rows: id, case_id, reference, title, clause, due_at
    due_soon: list[Any] = field(default_factory=list)
    ratifications: list[Bar] = field(default_factory=list)
    on_time: list[Bar] = field(default_factory=list)
    median_days: list[Bar] = field(default_factory=list)
    figures_at: datetime | None = None
    #: The kept figures were recomputed and written in this transaction (the view then commits).
    recomputed: bool = False


def build_dashboard(*, fresh: bool = False) -> Dashboard:
    """The dashboard: live deadlines (three queries) and the kept figures (one query; recomputed,
    five more and a write, when older than ``FIGURES_MAX_AGE`` or if ``fresh``)."""
    now = clock.now()
    week = now + timedelta(days=7)
    board = Dashboard(now=now)
    _live_deadlines(board, now, week)
    kept = None if fresh else db.session.get(DashboardFigures, FIGURES)
    if kept is not None and now - FIGURES_MAX_AGE <= kept.computed_at <= now:
        for name in FIGURE_LISTS:
            setattr(board, name, [Bar(**bar) for bar in kept.data.get(name, [])])
        board.figures_at = kept.computed_at
        return board
    _figures(board, now)
    _keep(board, now)
    return board


def _keep(board: Dashboard, now: datetime) -> None:
    """Store the figures just computed (insert, or replace what another server stored meanwhile).
    Never commits: the dashboard's view does, as soon as it has built the page's figures."""
    data = {name: [asdict(bar) for bar in getattr(board, name)] for name in FIGURE_LISTS}
    table = DashboardFigures.__table__
    values = {"name": FIGURES, "computed_at": now, "data": data}
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    db.session.execute(insert.values(values).on_conflict_do_update(
        index_elements=[table.c.name], set_={"computed_at": now, "data": data}))
    board.figures_at = now
    board.recomputed = True


def _live_statements() -> tuple[Any, Any, Any]:
    """The three statements of :func:`_live_deadlines`, with ``now`` and ``week`` as placeholders."""
    due = CaseDeadline.due_at
    now, week = bindparam("now", type_=due.type), bindparam("week", type_=due.type)
    # Two counts in one statement, each a range of the index (a count of index entries; a sum over a
    # CASE of due_at reads every row from the table).
    counts = select(
        select(func.count()).select_from(CaseDeadline).where(open_step(), due.is_not(None), due < now)
        .scalar_subquery(),
        select(func.count()).select_from(CaseDeadline).where(open_step(), due.is_not(None), due >= now, due <= week)
        .scalar_subquery(),
    )
    open_due = select(CaseDeadline.id, CaseDeadline.case_id, CaseDeadline.reference, CaseDeadline.title,
                      CaseDeadline.clause, due).where(open_step(), due.is_not(None))
    overdue = open_due.where(due < now).order_by(due, CaseDeadline.id).limit(LIST_LIMIT)
    soon = open_due.where(due >= now, due <= week).order_by(due, CaseDeadline.id).limit(LIST_LIMIT)
    return counts, overdue, soon


#: Built once: the dashboard asks them on every view.
_LIVE_COUNTS, _LIVE_OVERDUE, _LIVE_SOON = _live_statements()


def _live_deadlines(board: Dashboard, now: datetime, week: datetime) -> None:
    """What is overdue and due within seven days: counts and the first of each, soonest first, as plain
    rows (what the table shows), which the view's commit of the kept figures does not expire."""
    when = {"now": now, "week": week}
    counts = read(_LIVE_COUNTS, when).one()
    board.overdue_count, board.due_soon_count = int(counts[0]), int(counts[1])
    board.overdue = read(_LIVE_OVERDUE, when).all()
    board.due_soon = read(_LIVE_SOON, when).all()


def _figures(board: Dashboard, now: datetime) -> None:
    """The figures over all the cases (five GROUP BY queries)."""
    # 1. Open disputes by scenario.
    for process_key, count in db.session.execute(
        select(Dispute.process_key, func.count())
        .where(Dispute.closed_at.is_(None))
        .group_by(Dispute.process_key).order_by(Dispute.process_key)
    ):
        board.by_scenario.append(Bar(scenario_title(process_key), count, str(count)))
    # 2. Open disputes by the step they wait on (a dispute may wait on two steps at once).
    for process_key, _position, title, count in db.session.execute(
        select(CaseDeadline.process_key, CaseDeadline.position, CaseDeadline.title, func.count())
        .where(open_step())
        .group_by(CaseDeadline.process_key, CaseDeadline.position, CaseDeadline.title)
        .order_by(CaseDeadline.process_key, CaseDeadline.position)
    ):
        board.by_step.append(Bar(title, count, str(count), scenario_title(process_key)))
    # 6. Ratifications outstanding by party: the current version of a decision, not yet ratified.
    for name, count in db.session.execute(
        select(Organisation.name, func.count())
        .select_from(Ratification)
        .join(Recommendation, Recommendation.id == Ratification.recommendation_id)
        .join(Organisation, Organisation.id == Ratification.organisation_id)
        .where(Ratification.state.in_(pdeg_states.board_undecided()),
               Ratification.version == Recommendation.amendment_version)
        .group_by(Organisation.name).order_by(func.count().desc(), Organisation.name)
    ):
        board.ratifications.append(Bar(name, count, str(count)))
    # 7. Share of steps done on time in the last 12 months, by scenario and step (steps with a deadline).
    for process_key, _position, title, done, on_time in db.session.execute(
        select(CaseDeadline.process_key, CaseDeadline.position, CaseDeadline.title, func.count(),
               func.sum(case((CaseDeadline.done_on_time.is_(True), 1), else_=0)))
        .where(CaseDeadline.done_at >= now - HISTORY, CaseDeadline.done_on_time.is_not(None))
        .group_by(CaseDeadline.process_key, CaseDeadline.position, CaseDeadline.title)
        .order_by(CaseDeadline.process_key, CaseDeadline.position)
    ):
        share = 100 * int(on_time or 0) / done
        board.on_time.append(Bar(title, share, f"{share:.0f}% ({on_time} of {done})", scenario_title(process_key),
                                 f"{share:.0f}%"))
    # 8. Days from notification to outcome, per scenario, for outcomes in the last 12 months: the
    # median, computed here because SQLite has no percentile function (one row per finished dispute).
    notified, outcome = aliased(CaseDeadline), aliased(CaseDeadline)
    spans: dict[str, list[float]] = defaultdict(list)
    for process_key, started, ended in db.session.execute(
        select(notified.process_key, notified.done_at, outcome.done_at)
        .join(outcome, and_(outcome.case_kind == notified.case_kind, outcome.case_id == notified.case_id))
        .where(notified.step_key == "notification", notified.done_at.is_not(None),
               outcome.step_key.in_(OUTCOME_STEPS), outcome.done_at >= now - HISTORY)
    ):
        spans[process_key].append((ended - started).total_seconds() / 86400)
    for process_key in sorted(spans):
        median = statistics.median(spans[process_key])
        board.median_days.append(
            Bar(scenario_title(process_key), median, f"{median:.1f} days ({len(spans[process_key])} disputes)",
                short=f"{median:.1f}")
        )
