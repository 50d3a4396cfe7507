"""The queries that run every few minutes or on every page use their indexes (issue 14, item 2).

The reminder sweep, the dashboard and the calendar feed are run for real on a small partnership;
each statement that reads open deadlines is then explained by the database itself (EXPLAIN QUERY
PLAN on SQLite; EXPLAIN on PostgreSQL, with sequential scans discouraged so that the plan shows
whether the index *can* be used, which on a table this small the planner might otherwise skip).
And every foreign key has an index that starts with its columns, so a join or a delete on the
referred row never scans the referring table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import UniqueConstraint, event

from govern.auth.models import User
from govern.core import clock
from govern.deadlines.dashboard import build_dashboard
from govern.deadlines.feed import deadlines_for
from govern.deadlines.sweep import send_reminders
from govern.deadlines.todo import tasks_for
from govern.extensions import db
from tests.scale import NOW, build_partnership

OPEN_DUE_INDEX = "ix_case_deadline_open_due"


@contextmanager
def captured() -> Iterator[list[tuple[str, Any]]]:
    """The statements sent while the block runs, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def plan(statement: str, parameters: Any) -> str:
    """The database's plan for the statement, as text."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(row[0] for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


def open_deadline_statements(statements: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The SELECTs that read open steps of ``case_deadline``."""
    return [(s, p) for s, p in statements
            if s.lstrip().upper().startswith("SELECT") and "case_deadline.open" in s]


@pytest.fixture
def partnership(app: Flask) -> None:
    build_partnership(300, 20)
    clock.freeze(NOW)


@pytest.mark.parametrize("work", ["sweep", "dashboard", "feed", "to-do"])
def test_what_reads_open_deadlines_uses_the_partial_index(app: Flask, partnership: None, work: str) -> None:
    leader = db.session.get(User, db.session.scalar(db.select(User.id).where(User.email.like("stp.leader@%"))))
    run: dict[str, Callable[[], object]] = {
        "sweep": send_reminders, "dashboard": build_dashboard, "feed": lambda: deadlines_for(leader),
        "to-do": lambda: tasks_for(leader, NOW),
    }
    with captured() as statements:
        run[work]()
    reads = open_deadline_statements(statements)
    assert reads, f"{work} read no open deadlines"
    for statement, parameters in reads:
        explained = plan(statement, parameters)
        assert OPEN_DUE_INDEX in explained, statement
        if work == "to-do" and db.engine.dialect.name == "sqlite":
            # The home page's first 70 steps are read in the index's order, not by sorting every open step.
            assert "TEMP B-TREE" not in explained, explained
    db.session.rollback()


def test_every_foreign_key_has_an_index(app: Flask) -> None:
    unindexed = []
    for table in db.metadata.sorted_tables:
        leading = [tuple(c.name for c in table.primary_key.columns)]
        leading += [tuple(c.name for c in index.columns) for index in table.indexes]
        leading += [tuple(c.name for c in constraint.columns) for constraint in table.constraints
                    if isinstance(constraint, UniqueConstraint)]
        for key in table.foreign_key_constraints:
            columns = tuple(c.name for c in key.columns)
            if not any(found[:len(columns)] == columns for found in leading):
                unindexed.append(f"{table.name}.{', '.join(columns)}")
    assert unindexed == []


def test_a_calendar_poll_reads_index_ends_not_the_users_steps(app: Flask, partnership: None) -> None:
    """A poll that finds nothing changed costs the same whatever the size of the partnership: its ETag
    comes from the newest change and the newest step (the ends of two indexes), not from the user's rows."""
    from govern.deadlines.feed import reset_calendar_token, version_of

    leader = db.session.get(User, db.session.scalar(db.select(User.id).where(User.email.like("stp.leader@%"))))
    feed = reset_calendar_token(leader)
    with captured() as statements:
        version_of(feed, leader, NOW)
    reads = [(s, p) for s, p in statements if "case_deadline" in s]
    assert len(reads) == 1
    explained = plan(*reads[0])
    assert "ix_case_deadline_changed_at" in explained, explained
    if db.engine.dialect.name == "sqlite":
        assert "SCAN case_deadline" not in explained.replace("SCAN case_deadline USING COVERING INDEX", ""), explained
    db.session.rollback()


def test_a_boards_lists_read_their_order_from_indexes(app: Flask, partnership: None) -> None:
    """Awaiting our Board reads a page of the Board's undecided decisions oldest first, and its latest
    recorded and refused decisions newest first, each in the order of an index: not by sorting every
    ratification the Board has had (a Board of ten years holds thousands)."""
    from govern.pdeg.models import Ratification
    from govern.pdeg.queries import awaiting_board_items, recorded_by_board, refused_by_board

    board = db.session.scalar(db.select(Ratification.organisation_id).limit(1))
    assert board is not None
    with captured() as statements:
        awaiting_board_items(board, None)
        recorded_by_board(board)
        refused_by_board(board)
    reads = [(s, p) for s, p in statements if "FROM ratification JOIN recommendation" in s]
    assert len(reads) == 3
    expected = ["ix_ratification_org_created", "ix_ratification_org_state_updated", "ix_ratification_org_state_updated"]
    if db.engine.dialect.name == "postgresql":
        # A table this small is cheaper to sort than to read in order: show that an index *can* give the order.
        db.session.connection().exec_driver_sql("SET LOCAL enable_sort = off")
    for (statement, parameters), index in zip(reads, expected, strict=True):
        explained = plan(statement, parameters)
        assert index in explained, explained
    if db.engine.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in plan(*reads[0]), plan(*reads[0])
    db.session.rollback()


def test_the_registers_cells_are_read_from_an_index_alone(app: Flask, partnership: None) -> None:
    """A register page reads each Board's state of its 50 decisions (700 at 14 Boards) from the index
    (recommendation_id, version, organisation_id, state) alone on SQLite, not from each ratification's
    row. PostgreSQL reads the rows of a table this small (and not yet vacuumed) whichever index it
    takes: there the cells are held to an index scan, never a scan of every ratification."""
    from govern.pdeg import queries

    with captured() as statements:
        queries.register(queries.RegisterFilters(), shown_only=True)
    reads = [(s, p) for s, p in statements if s.lstrip().startswith("SELECT ratification.recommendation_id")]
    assert len(reads) == 1
    explained = plan(*reads[0])
    if db.engine.dialect.name == "sqlite":
        assert "USING COVERING INDEX ix_ratification_current" in explained, explained
    else:
        assert "Seq Scan on ratification" not in explained and "Index" in explained, explained
    db.session.rollback()
