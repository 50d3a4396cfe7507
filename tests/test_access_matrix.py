"""Who may open what: every route of the app, for anonymous visitors and every role.

``MATRIX`` is the table: one row per endpoint. Every new route must get a row, or
``test_every_route_is_in_the_matrix`` fails and names it. A row says, for each kind of visitor,
what status they get:

* ``anonymous`` (not logged in), each :class:`Role` by its value, and ``stp_leader`` (a system
  leadership account holding the STP Leader assignment, clause 6);
* a plain status (``200``, ``302``, ``403``...), or ``OwnOther(own=200, other=404)`` where the answer
  depends on whether the object belongs to the visitor's own organisation or another one: the
  route's ``url`` is then called with that organisation, ``url(targets, organisation)``.

Build rows with ``expect(...)``: ``anonymous`` defaults to 302 (to the login page), every other
visitor gets ``everyone_else`` unless named. Requests with side effects act on a throwaway
account made for the test (``targets.throwaway``), never on the visitor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from govern.auth.models import Role, User
from govern.partnership.models import Organisation

ANONYMOUS = "anonymous"
STP_LEADER = "stp_leader"
VISITORS: tuple[str, ...] = (ANONYMOUS, *(role.value for role in Role), STP_LEADER)


@dataclass(frozen=True)
class OwnOther:
    """The status depends on whose organisation the object belongs to."""

    own: int
    other: int


Status = int | OwnOther


@dataclass
class Targets:
    """Objects routes with ids point at, made for each test."""

    make_user: Callable[..., User]
    _throwaway: User | None = None

    @property
    def throwaway(self) -> User:
        """An account nobody logs in as, safe to change or disable."""
        if self._throwaway is None:
            self._throwaway = self.make_user(Role.PARTNER_CEO, "PHNT", name="Throwaway Account")
        return self._throwaway

    def user_in(self, organisation: Organisation) -> User:
        """An account at ``organisation`` (for rows where the organisation matters)."""
        return self.make_user(Role.BOARD_SECRETARY, organisation.code)


@dataclass(frozen=True)
class Route:
    """One endpoint: how to build its URL, the method to use, and each visitor's status."""

    url: str | Callable[..., str]
    method: str = "GET"
    expect: dict[str, Status] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)


def expect(*, everyone_else: Status, anonymous: Status = 302, **by_visitor: Status) -> dict[str, Status]:
    """Each visitor's status: ``anonymous``, anyone named, and ``everyone_else`` for the rest."""
    unknown = set(by_visitor) - set(VISITORS)
    assert not unknown, f"no such visitor: {unknown}"
    return {visitor: by_visitor.get(visitor, everyone_else) for visitor in VISITORS} | {ANONYMOUS: anonymous}


ADMINISTRATORS_ONLY = expect(everyone_else=403, administrator=200)
SIGNED_IN = expect(everyone_else=200)

# fmt: off
MATRIX: dict[str, Route] = {
    # endpoint               route
    "main.home":             Route("/", expect=SIGNED_IN),
    "auth.login":            Route("/login", expect=expect(anonymous=200, everyone_else=302)),
    "auth.logout":           Route("/logout", "POST", expect=expect(everyone_else=302)),
    "admin.users":           Route("/admin/users", expect=ADMINISTRATORS_ONLY),
    "admin.new_user":        Route("/admin/users/new", expect=ADMINISTRATORS_ONLY),
    "admin.edit_user":       Route(lambda t: f"/admin/users/{t.throwaway.id}", expect=ADMINISTRATORS_ONLY),
    "admin.disable_user":    Route(lambda t: f"/admin/users/{t.throwaway.id}/disable", "POST",
                                   expect=expect(everyone_else=403, administrator=302)),
    "admin.enable_user":     Route(lambda t: f"/admin/users/{t.throwaway.id}/enable", "POST",
                                   expect=expect(everyone_else=403, administrator=302)),
    "admin.stp_leader":      Route("/admin/stp-leader", expect=ADMINISTRATORS_ONLY),
}
# fmt: on

IGNORED_ENDPOINTS = {"static"}


def _cases(matrix: dict[str, Route]) -> list[Any]:
    """One case per (endpoint, visitor), two (own and other organisation) where the row says OwnOther."""
    cases = []
    for endpoint, route in matrix.items():
        for visitor in VISITORS:
            status = route.expect.get(visitor)
            if isinstance(status, OwnOther):
                cases.append(pytest.param(endpoint, visitor, "own", status.own, id=f"{endpoint}-{visitor}-own"))
                cases.append(pytest.param(endpoint, visitor, "other", status.other, id=f"{endpoint}-{visitor}-other"))
            else:
                cases.append(pytest.param(endpoint, visitor, None, status, id=f"{endpoint}-{visitor}"))
    return cases


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - IGNORED_ENDPOINTS
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, f"routes with no row in MATRIX (add one saying who may use them): {missing}"
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, f"MATRIX rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_every_row_covers_every_visitor(endpoint: str) -> None:
    row = MATRIX[endpoint].expect
    assert set(row) == set(VISITORS), f"{endpoint} does not say what happens to {set(VISITORS) - set(row)}"


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_every_row_uses_a_method_the_route_allows(app: Flask, endpoint: str) -> None:
    methods = set().union(*(rule.methods or set() for rule in app.url_map.iter_rules(endpoint)))
    assert MATRIX[endpoint].method in methods


def test_own_or_other_rows_are_checked_both_ways() -> None:
    row = {"x": Route(lambda t, o: "/", expect=expect(everyone_else=OwnOther(own=200, other=404)))}
    cases = [tuple(case.values) for case in _cases(row) if case.values[1] == Role.DEPUTY.value]
    assert cases == [("x", "deputy", "own", 200), ("x", "deputy", "other", 404)]


def other_organisation(code: str) -> str:
    """Somebody else's organisation, for the 'other' half of an OwnOther row."""
    return "PHNT" if code != "PHNT" else "RDE"


@pytest.fixture
def visitor_client(
    request: pytest.FixtureRequest, client: FlaskClient, make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> Callable[[str], tuple[FlaskClient, User | None]]:
    """A client for a visitor: not logged in, logged in with a role, or as the STP Leader."""

    def visit(visitor: str) -> tuple[FlaskClient, User | None]:
        if visitor == ANONYMOUS:
            return client, None
        if visitor == STP_LEADER:
            leader: User = request.getfixturevalue("stp_leader")
            return client_for(leader), leader
        role = Role(visitor)
        user = make_user(role, "STP" if role in (Role.ADMINISTRATOR, Role.SYSTEM_LEADERSHIP) else "RDE")
        return client_for(user), user

    return visit


@pytest.mark.parametrize(("endpoint", "visitor", "whose", "status"), _cases(MATRIX))
def test_access(
    endpoint: str, visitor: str, whose: str | None, status: int,
    visitor_client: Callable[[str], tuple[FlaskClient, User | None]], make_user: Callable[..., User],
    org: Callable[[str], Organisation],
) -> None:
    route = MATRIX[endpoint]
    client, user = visitor_client(visitor)
    targets = Targets(make_user)
    if callable(route.url):
        if whose is None:
            url = route.url(targets)
        else:
            own = user.organisation.code if user else "RDE"
            url = route.url(targets, org(own if whose == "own" else other_organisation(own)))
    else:
        url = route.url

    response = client.open(url, method=route.method, data=route.data)

    assert response.status_code == status, f"{visitor} {route.method} {url}"
    if status == 302 and visitor == ANONYMOUS:
        assert urlsplit(response.headers["Location"]).path == "/login"
