"""Every list a person uses daily stays one page of 50 rows with the same few queries, at 1,000 disputes
and at 10,000 (issue 14: "a constant number of queries per page whatever the data size").

The partnership is built once for the module in bulk (``tests/scale.py``, shared with the benchmarks)
on a database of its own, measured at 1,000 disputes and 200 decisions, grown to 10,000 and 2,000,
and measured again. Each page's SQL statements are counted (``before_cursor_execute``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from govern import create_app
from govern.auth.models import User
from govern.core import clock
from govern.deadlines.feed import reset_calendar_token
from govern.extensions import db
from govern.testing import create_schema, derived_database_url, use_fast_password_hashing
from tests.conftest import TEST_CONFIG, Auth, RequestIsolatingClient
from tests.scale import NOW, PASSWORD, Partnership, build_partnership, counting_queries

#: Rows a list shows at most on one page.
PAGE = 50


@dataclass(frozen=True)
class Seen:
    """One page as fetched: status, statements sent, table rows shown, size."""

    status: int
    queries: int
    rows: int
    size: int


#: (name, who looks, address): the lists of issue 14, item 1. ``{ceo}`` etc. are filled in below.
PAGES: list[tuple[str, str, str]] = [
    ("disputes, STP Leader", "leader", "/disputes"),
    ("disputes, STP Leader, overdue", "leader", "/disputes?overdue=1"),
    ("disputes, STP Leader, by scenario and state", "leader", "/disputes?scenario=scenario_3&state=notified"),
    ("disputes, STP Leader, one party", "leader", "/disputes?party={party}"),
    ("disputes, STP Leader, newest first", "leader", "/disputes?sort=newest"),
    ("disputes, partner CEO", "ceo", "/disputes"),
    ("register", "leader", "/register"),
    ("register, one party awaiting its Board", "leader", "/register?status=board:awaiting_board&party={party}"),
    ("Boards awaiting", "secretary", "/boards/awaiting"),
    ("notices", "leader", "/notices"),
    ("calendar, STP Leader", "leader", "/calendar"),
    ("calendar, partner CEO", "ceo", "/calendar"),
    ("calendar feed, STP Leader", "leader", "/calendar/{token}.ics"),  # every step to do: not a page
    ("dashboard", "leader", "/dashboard"),  # two lists of 50, and charts; its figures recomputed
    ("dashboard, figures kept", "leader", "/dashboard"),  # within ten minutes: the kept figures
    ("accounts", "admin", "/admin/users"),
    ("outbox", "admin", "/admin/outbox"),
    ("PDEG meetings", "secretariat", "/pdeg/meetings"),
    ("home, STP Leader", "leader", "/"),  # the to-do list (issue 11): what needs you now, open disputes...
    ("home, partner CEO", "ceo", "/"),
    ("home, Board secretary", "secretary", "/"),
]

pytestmark = pytest.mark.xdist_group("scale")  # one worker builds the partnership, once

ROW = re.compile(r'<tr class="nhsuk-table__row"|<li><a href="/pdeg/meetings/|<li class="nhsuk-card"|BEGIN:VEVENT')


@pytest.fixture(scope="module")
def scale_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a database of its own, so the other tests' clean-up leaves the built data alone."""
    root = tmp_path_factory.mktemp("scale")
    previous = os.environ.get("GOVERN_INSTANCE_PATH")
    os.environ["GOVERN_INSTANCE_PATH"] = str(root / "instance")
    use_fast_password_hashing()
    url = (derived_database_url(os.environ["DATABASE_URL"], "pytest_scale") if os.environ.get("DATABASE_URL")
           else f"sqlite:///{root / 'scale.sqlite3'}")
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    application.test_client_class = RequestIsolatingClient
    with application.app_context():
        create_schema()
        from govern.partnership.seed import seed_partnership

        seed_partnership()
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if previous is not None:
        os.environ["GOVERN_INSTANCE_PATH"] = previous


def _visit(application: Flask, built: Partnership, clients: dict[str, FlaskClient]) -> dict[str, Seen]:
    ceo = built.ceos["RDE"]
    people = {"leader": built.leader, "ceo": ceo, "secretary": built.secretaries["RDE"], "admin": built.admin,
              "secretariat": built.secretariat}
    with application.app_context():
        token = reset_calendar_token(db.session.get(User, built.leader.id)).token
        db.session.commit()
    fill = {"party": ceo.organisation_id, "token": token}
    for signed_in in clients.values():
        signed_in.get("/")  # the session's "last seen" moves on once in a while: not the list's doing
    seen = {}
    for name, who, address in PAGES:
        if who not in clients:
            clients[who] = application.test_client()
            with application.app_context():
                response = Auth(clients[who]).login(people[who].email, PASSWORD)
            assert response.status_code == 302, who
        with application.app_context(), counting_queries() as statements:
            response = clients[who].get(address.format(**fill))
        body = response.get_data(as_text=True)
        seen[name] = Seen(response.status_code, len(statements), len(ROW.findall(body)), len(body))
    return seen


@pytest.fixture(scope="module")
def measured(scale_app: Flask) -> dict[str, tuple[Seen, Seen]]:
    """Each page at 1,000 disputes and 200 decisions, then at 10,000 and 2,000."""
    clock.freeze(NOW)
    try:
        clients: dict[str, FlaskClient] = {}
        with scale_app.app_context():
            built = build_partnership(1_000, 200)
        small = _visit(scale_app, built, clients)
        with scale_app.app_context():
            built = build_partnership(9_000, 1_800, seed=2017)
        clock.freeze(NOW + timedelta(minutes=11))  # the dashboard's kept figures are out of date: recomputed
        large = _visit(scale_app, built, clients)
    finally:
        clock.freeze(None)
    return {name: (small[name], large[name]) for name in small}


@pytest.mark.parametrize("page", [name for name, _, _ in PAGES])
def test_a_list_sends_the_same_queries_at_1k_and_10k(measured: dict[str, tuple[Seen, Seen]], page: str) -> None:
    small, large = measured[page]
    assert (small.status, large.status) == (200, 200)
    assert large.queries == small.queries, f"{page}: {small.queries} queries at 1k, {large.queries} at 10k"
    assert large.queries <= QUERIES_AT_MOST.get(page, 12)


#: Statements a page sends at most (the session and the header's own included).
# Recomputing its kept figures (five GROUP BYs and a write), the tick status (last sweep, mail waiting) and
# the agreement the partnership runs.
# The register's forecast reads the Boards' next meetings (one query for the page); the dashboard counts the
# actions that follow decisions and outcomes (one query); the home page is a to-do list (issue 11) with the
# person's follow-up actions.
QUERIES_AT_MOST = {"dashboard": 19, "dashboard, figures kept": 13, "register": 13,
                   "register, one party awaiting its Board": 13,
                   "home, STP Leader": 17, "home, partner CEO": 17, "home, Board secretary": 17}
NOT_ONE_PAGE = {"calendar feed, STP Leader"}
#: Table rows a page shows at most: one page of a list, or the dashboard's two lists and its charts' tables.
ROWS_AT_MOST = {"dashboard": 2 * PAGE + 40, "dashboard, figures kept": 2 * PAGE + 40}


@pytest.mark.parametrize("page", [name for name, _, _ in PAGES if name not in NOT_ONE_PAGE])
def test_a_list_shows_one_page_whatever_the_data_size(measured: dict[str, tuple[Seen, Seen]], page: str) -> None:
    small, large = measured[page]
    assert large.rows <= ROWS_AT_MOST.get(page, PAGE + 1), f"{page}: {large.rows} rows at 10k"
    # The page does not grow with the data: 10 times the cases, about the same bytes.
    assert large.size < small.size * 1.5 + 20_000, f"{page}: {small.size} bytes at 1k, {large.size} at 10k"


NEXT_PAGES = [
    # (list, who looks, address, what links to each row)
    ("disputes, soonest step first", "stp.leader", "/disputes", r'href="/disputes/(\d+)"'),
    ("disputes, newest first", "stp.leader", "/disputes?sort=newest", r'href="/disputes/(\d+)"'),
    ("disputes of one scenario", "stp.leader", "/disputes?scenario=scenario_2&state=any", r'href="/disputes/(\d+)"'),
    ("register", "stp.leader", "/register", r'id="row-(R\d+-\d+)"'),
    ("Boards awaiting", "secretary.rde", "/boards/awaiting", r'href="/ratifications/(\d+)">Record'),
    ("notices", "stp.leader", "/notices", r'href="/disputes/(\d+)"'),
    ("calendar", "stp.leader", "/calendar", r'href="/disputes/(\d+)"'),
    ("outbox", "admin", "/admin/outbox", r'action="/admin/outbox/(\d+)/retry"'),
]


@pytest.mark.parametrize(("name", "who", "address", "row"), NEXT_PAGES)
def test_the_next_page_starts_where_the_last_ended(measured: dict[str, tuple[Seen, Seen]], scale_app: Flask,
                                                   name: str, who: str, address: str, row: str) -> None:
    """'Next page' carries where the page ended (keyset): the next page shows the rows after it."""
    with scale_app.app_context():
        client = scale_app.test_client()
        Auth(client).login(f"{who}@scale.govern.test", PASSWORD)  # the second factor's device remembered
        clock.freeze(NOW + timedelta(minutes=11))
        try:
            first = client.get(address).get_data(as_text=True)
            after = re.search(r'href="([^"]*after=[^"]+)"', first)
            assert after is not None, "no link to the next page"
            second = client.get(after.group(1).replace("&amp;", "&")).get_data(as_text=True)
        finally:
            clock.freeze(None)
    one, two = re.findall(row, first), re.findall(row, second)
    assert len(set(one)) == PAGE and len(set(two)) == PAGE, (len(set(one)), len(set(two)))
    assert not set(one) & set(two)
    assert "First page" in second


def test_report(measured: dict[str, tuple[Seen, Seen]]) -> None:
    """Prints the figures (``-s``): statements and kilobytes per page at 1k and 10k."""
    for page, (small, large) in measured.items():
        print(f"{page:50} {small.queries:5} {large.queries:5} {small.size // 1024:6} KB {large.size // 1024:6} KB "
              f"{large.rows:6} rows")
