"""How long the reminder sweep and the STP Leader's dashboard take on a large partnership:
10,000 open disputes and 2,000 decisions agreed at PDEG awaiting ratification across 14 Boards.

Not part of the test run; run it on request (README, "Benchmarks"):

    .venv/bin/python -m pytest benchmarks/test_sweep_benchmark.py -q -s

The data is written in bulk (as the operations would leave it: disputes, parties, their
``case_deadline`` rows, recommendations and ratifications), not through the operations, which would
take minutes. It times, each as the median of several rounds rolled back after each:

* the sweep that finds nothing new (every few minutes, most of the day) - the target is under a second;
* the first sweep of a working day, which sends that day's reminders;
* the very first sweep over the whole backlog (every overdue step at once), for scale;
* the dashboard's queries, and counts them: the same eight whatever the data size.

It asserts the dashboard's query count, not times: machines differ, so read the numbers.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, insert, select

from govern.auth.models import Role, User
from govern.cases.models import CaseKind
from govern.core import clock
from govern.deadlines.dashboard import build_dashboard
from govern.deadlines.models import CaseDeadline
from govern.deadlines.sweep import send_reminders
from govern.disputes.models import Dispute, DisputeParty
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg.models import RaisedBy, Ratification, RatificationState, Recommendation, RecommendationState
from workflows import registry
from workflows.calendar import end_of_day, local_day, week_after, working_days_after

pytestmark = pytest.mark.benchmark

DISPUTES = 10_000
DECISIONS = 2_000
BOARDS = 14
ROUNDS = 5
NOW = datetime(2025, 11, 25, 7, 0, tzinfo=UTC)  # a Tuesday morning


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _bulk(model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[start:start + 5000])


def build_partnership(make_user: Callable[..., User], stp_leader: User) -> None:
    """10,000 open disputes among 14 organisations, 2,000 decisions awaiting their Boards."""
    rng = random.Random(2016)  # noqa: S311 - the MoU's year: the same data every run
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.code != "STP").order_by(Organisation.id).limit(BOARDS)
    ).all()
    assert len(organisations) == BOARDS
    ceos = {}
    for organisation in organisations:
        ceos[organisation.id] = make_user(Role.PARTNER_CEO, organisation.code)
        make_user(Role.DEPUTY, organisation.code)
        make_user(Role.BOARD_SECRETARY, organisation.code)
    titles = {key: {s.key: s for s in registry.get(key).steps} for key in ("scenario_2", "scenario_3")}
    disputes, parties, deadlines = [], [], []
    for n in range(1, DISPUTES + 1):
        process_key = "scenario_2" if n % 2 else "scenario_3"
        organisation = organisations[n % BOARDS]
        filed = NOW - timedelta(days=rng.uniform(0, 25), hours=rng.uniform(0, 9))
        closed = n % 10 == 0  # some have run their course, for the timeliness figures
        disputes.append({
            "id": n, "reference": f"D2025-{n:05d}", "process_key": process_key, "title": f"Dispute {n}",
            "state": "closed" if closed else "notified", "version": 1, "closed_at": filed if closed else None,
            "filed_by_id": ceos[organisation.id].id, "created_at": filed, "updated_at": filed,
        })
        parties.append({"dispute_id": n, "organisation_id": organisation.id, "filed": True})
        report_due = end_of_day(week_after(local_day(filed)))
        row = _deadline_row(titles[process_key], process_key, n)
        deadlines.append(row("notification", 0, done_at=filed))
        if closed:
            received = filed + timedelta(days=rng.uniform(2, 9))
            deadlines.append(row("report", 1, due_at=report_due, done_at=received,
                                 done_on_time=received <= report_due))
            deadlines.append(row("proposal", 6, due_at=received + timedelta(days=7),
                                 done_at=received + timedelta(days=rng.uniform(3, 12))))
        elif n % 3 == 0:  # the report is in; the STP Lead must nominate the panel
            received = filed + timedelta(hours=6)
            deadlines.append(row("report", 1, due_at=report_due, done_at=received, done_on_time=True))
            deadlines.append(row("panel_nomination", 2, open=True,
                                 due_at=end_of_day(working_days_after(local_day(received), 3))))
        else:
            deadlines.append(row("report", 1, due_at=report_due, open=True))
    _bulk(Dispute, disputes)
    _bulk(DisputeParty, parties)
    _bulk(CaseDeadline, deadlines)
    recommendations, ratifications = [], []
    for n in range(1, DECISIONS + 1):
        agreed = NOW - timedelta(days=rng.uniform(0, 120))
        recommendations.append({
            "id": n, "reference": f"R2025-{n:05d}", "title": f"Decision {n}", "raised_by_kind": RaisedBy.STP_LEADER,
            "raised_by_user_id": stp_leader.id, "state": RecommendationState.AWAITING_RATIFICATION,
            "amendment_version": 1, "created_at": agreed, "updated_at": agreed,
        })
        for organisation in rng.sample(organisations, rng.randint(2, BOARDS)):
            ratifications.append({
                "recommendation_id": n, "organisation_id": organisation.id, "version": 1,
                "state": rng.choice([RatificationState.AWAITING_BOARD, RatificationState.RATIFIED,
                                     RatificationState.DEFERRED]),
                "created_at": agreed, "updated_at": agreed,
            })
    _bulk(Recommendation, recommendations)
    _bulk(Ratification, ratifications)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _deadline_row(steps: dict[str, Any], process_key: str, n: int) -> Callable[..., dict[str, Any]]:
    """Makes the ``case_deadline`` rows of dispute ``n``."""

    def row(step: str, position: int, **values: Any) -> dict[str, Any]:
        spec = steps[step]
        return {"case_kind": CaseKind.DISPUTE, "case_id": n, "reference": f"D2025-{n:05d}",
                "process_key": process_key, "step_key": step, "position": position, "title": spec.title,
                "clause": spec.clause, "roles": [str(r) for r in spec.roles], "due_at": None, "done_at": None,
                "open": False, "done_on_time": None, "reminded_stage": 0} | values

    return row


def timed(work: Callable[[], Any], rounds: int = ROUNDS) -> tuple[float, Any]:
    """Median seconds of ``work`` over ``rounds``, each rolled back so every round does the same."""
    times, result = [], None
    for _ in range(rounds):
        db.session.expire_all()
        started = time.perf_counter()
        result = work()
        db.session.flush()
        times.append(time.perf_counter() - started)
        db.session.rollback()
    return statistics.median(times), result


def test_sweep_and_dashboard_at_scale(app: Flask, make_user: Callable[..., User], stp_leader: User) -> None:
    started = time.perf_counter()
    build_partnership(make_user, stp_leader)
    built = time.perf_counter() - started

    clock.freeze(NOW)
    backlog_s, backlog = timed(send_reminders, rounds=3)
    send_reminders()  # the backlog, sent once and kept
    db.session.commit()
    idle_s, idle = timed(send_reminders)
    clock.freeze(NOW + timedelta(days=1))  # Wednesday morning: the day's new reminders
    day_s, day = timed(send_reminders)
    with counting_queries() as queries:
        build_dashboard()
    dashboard_s, board = timed(build_dashboard)

    print(
        f"\nBuilt {DISPUTES} disputes and {DECISIONS} decisions across {BOARDS} Boards in {built:.1f} s "
        f"({db.engine.dialect.name}).\n"
        f"  Sweep, nothing new to send (every few minutes): {idle_s * 1000:.0f} ms "
        f"({idle.deadlines} deadlines, {idle.reminders} reminders). Target: under 1 s.\n"
        f"  Sweep, first of a working day: {day_s * 1000:.0f} ms "
        f"({day.deadlines} deadlines, {day.reminders} reminders).\n"
        f"  Sweep over the whole backlog at once: {backlog_s * 1000:.0f} ms "
        f"({backlog.deadlines} deadlines, {backlog.reminders} reminders).\n"
        f"  Dashboard: {len(queries)} queries, {dashboard_s * 1000:.0f} ms "
        f"({board.overdue_count} overdue, {board.due_soon_count} due within 7 days, "
        f"{sum(b.value for b in board.ratifications):.0f} ratifications outstanding)."
    )
    assert len(queries) == 8
    assert idle.reminders == 0 and day.reminders > 0
