"""How long the reminder sweep and the STP Leader's dashboard take on a large partnership:
10,000 open disputes and 2,000 decisions agreed at PDEG awaiting ratification across 14 Boards.

Not part of the test run; run it on request (README, "Benchmarks"):

    .venv/bin/python -m pytest benchmarks/test_sweep_benchmark.py -q -s

The data is written in bulk by ``tests/scale.py`` (the builder the query-count tests share), as the
operations would leave it, not through the operations, which would take minutes. It times, each as
the median of several rounds rolled back after each:

* the sweep that finds nothing new (every few minutes, most of the day) - the target is under a second;
* the first sweep of a working day, which sends that day's reminders;
* the very first sweep over the whole backlog (every overdue step at once), for scale;
* the dashboard recomputing its figures, and counts its queries: the same nine whatever the data size.

It asserts the dashboard's query count, not times: machines differ, so read the numbers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from govern.auth.models import User
from govern.core import clock
from govern.deadlines.dashboard import build_dashboard
from govern.deadlines.sweep import send_reminders
from govern.extensions import db
from tests.scale import NOW, build_partnership, counting_queries

pytestmark = pytest.mark.benchmark

DISPUTES = 10_000
DECISIONS = 2_000
BOARDS = 14
ROUNDS = 5


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


def test_sweep_and_dashboard_at_scale(app: Flask, stp_leader: User) -> None:
    started = time.perf_counter()
    build_partnership(DISPUTES, DECISIONS, now=NOW)
    built = time.perf_counter() - started

    clock.freeze(NOW)
    backlog_s, backlog = timed(send_reminders, rounds=3)
    send_reminders()  # the backlog, sent once and kept
    db.session.commit()
    idle_s, idle = timed(send_reminders)
    clock.freeze(NOW + timedelta(days=1))  # Wednesday morning: the day's new reminders
    day_s, day = timed(send_reminders)
    with counting_queries() as queries:
        build_dashboard(fresh=True)
    dashboard_s, board = timed(lambda: build_dashboard(fresh=True))

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
    assert len(queries) == 9  # three live, five GROUP BYs, the figures written
    assert idle.reminders == 0 and day.reminders > 0
