"""Lists read a page at a time by keyset from statements built once (``paging.prebuilt`` and
``paging.keyset_of``) give what building the statements on every visit (``paging.keyset``) gives: the
same rows, the same count, the same next page. The ratification register reads this way, for every
shape of its filters."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest
from flask import Flask
from sqlalchemy import bindparam, select

from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from govern.pdeg import queries
from govern.pdeg.models import Recommendation
from govern.web import paging
from tests.scale import build_partnership

KEYS = (Recommendation.created_at, Recommendation.id)


def _key(row: object) -> tuple[object, ...]:
    return row.created_at, row.id  # type: ignore[attr-defined]


@pytest.fixture
def decisions(app: Flask) -> None:
    build_partnership(0, 120)  # 120 decisions: three pages of 50


def _both(cursor: str | None) -> tuple[paging.Page[object], paging.Page[object]]:
    columns = (Recommendation.id, Recommendation.created_at)
    built_each_time = paging.keyset(select(*columns).where(Recommendation.state != "draft"), KEYS, _key,
                                    descending=True, cursor=cursor, scalars=False)
    statements = paging.prebuilt(select(*columns).where(Recommendation.state != bindparam("draft")), KEYS,
                                 descending=True)
    built_once = paging.keyset_of(statements, {"draft": "draft"}, _key, cursor)
    return built_each_time, built_once


def test_a_list_read_from_statements_built_once_pages_as_keyset_does(decisions: None) -> None:
    cursor = None
    pages = 0
    while True:
        expected, found = _both(cursor)
        assert [r.id for r in found.items] == [r.id for r in expected.items]
        assert (found.total, found.next_cursor, found.is_first) == (
            expected.total, expected.next_cursor, expected.is_first)
        pages += 1
        if found.next_cursor is None:
            break
        cursor = found.next_cursor
    assert pages == 3 and found.total >= 120


def test_a_cursor_that_does_not_read_gives_the_first_page_either_way(decisions: None) -> None:
    expected, found = _both("not-a-cursor")
    assert [r.id for r in found.items] == [r.id for r in expected.items]
    assert found.is_first and expected.is_first


def test_the_register_reads_every_shape_of_its_filters(decisions: None) -> None:
    """Each combination of the register's filters builds and runs its statements, and the page and its
    count agree: with no next page, the count is the rows shown."""
    party = db.session.scalar(select(Organisation.id).where(Organisation.code == "RDE"))
    group = db.session.scalar(select(SubordinateGroup.id).limit(1))
    statuses = ["", "awaiting_ratification", "board:awaiting_board"]
    for with_group, from_day, to_day, with_party, status in product((False, True), (False, True), (False, True),
                                                                   (False, True), statuses):
        filters = queries.RegisterFilters(
            status=status, party_id=party if with_party else None, group_id=group if with_group else None,
            date_from=date(2000, 1, 1) if from_day else None, date_to=date(2100, 1, 1) if to_day else None,
        )
        _parties, page = queries.register(filters, shown_only=True)
        if page.next_cursor is None:
            assert page.total == len(page.items), filters
        else:
            assert len(page.items) == paging.PAGE_SIZE and page.total > paging.PAGE_SIZE, filters
    everything = queries.register(queries.RegisterFilters())[1]
    assert everything.total >= 120
