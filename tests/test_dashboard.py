"""The STP Leader's dashboard: open disputes, what is overdue and due this week, ratifications
outstanding by party, timeliness; charts each with a table; a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from govern.agreements import service
from govern.auth.models import User
from govern.core import clock
from govern.deadlines.dashboard import build_dashboard
from govern.extensions import db
from govern.partnership.models import Organisation
from tests.casework import Cast, Run, start_run
from tests.conftest import Page
from tests.test_records import agreed_decision, closed_scenario_2


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


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


def test_the_dashboard_shows_each_figure_with_its_table(
    run: Run, cast: Cast, org: Callable[[str], Organisation], client_for: Callable[[User], FlaskClient]
) -> None:
    closed = closed_scenario_2(run)
    run.dispute = None
    open_one = run.file("NDHT", "scenario_3")
    agreed_decision(cast, org, codes=("RDE", "PHNT"))
    clock.freeze(datetime(2023, 3, 9, 12, tzinfo=UTC))  # the open dispute's report was due on the 8th

    page = Page.of(client_for(cast.leader).get("/dashboard"))

    assert page.text("overdue-count") == "1"
    assert f"{open_one.reference}" in (page.text("overdue") or "")
    assert "Scenario 3" in (page.text("open-by-scenario") or "")
    assert "Written report to the STP Leader 1" in (page.text("open-by-step") or "")
    ratifications = page.text("ratifications") or ""
    assert "Royal Devon and Exeter NHS Foundation Trust 1" in ratifications
    assert "Plymouth Hospitals NHS Trust 1" in ratifications
    # The closed dispute's report was extended to 15 March and came in on 1 March: on time.
    assert "Written report to the STP Leader 100% (1 of 1)" in (page.text("on-time") or "")
    assert "days (1 disputes)" in (page.text("median-days") or "")
    assert closed.reference not in (page.text("overdue") or "")


def test_the_dashboard_runs_the_same_queries_whatever_the_data(
    run: Run, cast: Cast, org: Callable[[str], Organisation]
) -> None:
    closed_scenario_2(run)
    service.current()  # the agreement the partnership runs is read once per request, whatever the dashboard does
    with counting_queries() as small:
        build_dashboard()
    for by in ("NDHT", "PCC", "DCC"):
        run.dispute = None
        run.file(by, "scenario_3")
    agreed_decision(cast, org, codes=("RDE", "PHNT", "TC"))
    run.dispute = None
    closed_scenario_2(run)

    with counting_queries() as large:
        build_dashboard()

    # Three live queries, the kept figures, five GROUP BYs and the write of the figures.
    assert len(small) == len(large) == 10


def test_a_view_within_minutes_reads_the_kept_figures_and_a_later_one_recomputes_them(
    run: Run, cast: Cast, org: Callable[[str], Organisation]
) -> None:
    closed_scenario_2(run)
    first = build_dashboard()
    db.session.commit()
    run.dispute = None
    run.file("NDHT", "scenario_3")  # an hour on: the figures were made before it

    clock.freeze(run.clock.now - timedelta(minutes=55))  # five minutes after the first view
    with counting_queries() as kept:
        soon = build_dashboard()
    clock.freeze(run.clock.now)
    later = build_dashboard()

    assert len(kept) == 4
    assert (soon.by_scenario, soon.figures_at) == (first.by_scenario, first.figures_at)
    assert "Scenario 3" in [bar.label for bar in later.by_scenario]
    assert soon.overdue_count == later.overdue_count  # the live part is never kept


@pytest.mark.parametrize("role", ["partner_ceo", "board_secretary", "pdeg_secretariat"])
def test_only_the_stp_leader_and_administrators_see_the_dashboard(
    role: str, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient]
) -> None:
    from govern.auth.models import Role

    assert client_for(make_user(Role(role), "RDE")).get("/dashboard").status_code == 403


@pytest.mark.parametrize(("months_later", "counted"), [(11, True), (13, False)])
def test_the_timeliness_figures_are_for_the_last_12_months(
    run: Run, months_later: int, counted: bool
) -> None:
    """The history figures cover a window, so they stay quick however long the partnership runs."""
    closed_scenario_2(run)
    clock.freeze(run.clock.now + timedelta(days=months_later * 31 - 10))

    board = build_dashboard()

    assert bool(board.on_time) is counted
    assert bool(board.median_days) is counted
