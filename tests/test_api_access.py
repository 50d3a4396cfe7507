"""The access matrix of ``tests/test_access_matrix.py``, run over the JSON API with each visitor's token.

Each API route that shows what a page shows takes that page's row as its own (``mirror``): a token
sees exactly what its owner sees on the pages, and a dispute is a 404 to anyone outside it, as on its
page. Every visitor's token may record (``read+record``), so only the access rules decide. A visitor
with no token gets 401.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from govern.api import operations as token_ops
from govern.api.models import TokenScope
from govern.auth.models import Role, User
from govern.core import clock
from govern.extensions import db
from govern.partnership.models import Organisation
from tests.test_access_matrix import (
    ANONYMOUS,
    MATRIX,
    PRIVATE_MATRIX,
    STP_LEADER,
    VISITORS,
    OwnOther,
    Route,
    Targets,
    _cases,
    expect,
    other_organisation,
)


def mirror(page: str, url: str | Callable[..., str], *, private: str | None = None) -> Route:
    """The API route showing what ``page`` shows: the page's row, with 401 for a visitor without a token."""
    row = PRIVATE_MATRIX[private][1].expect if private else MATRIX[page].expect
    return Route(url, expect={**row, ANONYMOUS: 401})


def yesterday() -> str:
    return (clock.now().date() - timedelta(days=1)).isoformat()


# fmt: off
API_MATRIX: dict[str, Route] = {
    "api.register":   mirror("pdeg.register", "/api/v1/register"),
    "api.decision":   mirror("pdeg.recommendation", lambda t: f"/api/v1/decisions/{t.recommendation.id}"),
    "api.meetings":   mirror("pdeg.meetings", "/api/v1/pdeg/meetings"),
    "api.meeting":    mirror("pdeg.meeting", lambda t: f"/api/v1/pdeg/meetings/{t.meeting.id}"),
    "api.awaiting":   mirror("pdeg.awaiting", "/api/v1/boards/awaiting"),
    "api.disputes":   mirror("disputes.index", "/api/v1/disputes"),
    "api.dispute":    mirror("disputes.show", lambda t, o=None: f"/api/v1/disputes/{t.dispute_in(o).id}"),
    "api.notices":    mirror("notify.notices", "/api/v1/me/notices"),
    "api.todo":       mirror("deadlines.calendar", "/api/v1/me/todo"),
    # Where a Board stands is seen by everyone signed in, as on the decision's page.
    "api.ratification": Route(lambda t, o=None: f"/api/v1/ratifications/{t.ratification_in(o).id}",
                              expect=expect(anonymous=401, everyone_else=200)),
    # Only that party's Board secretary records its Board's decision (the page: 403 to anyone else).
    "api.record_decision": Route(lambda t, o=None: f"/api/v1/ratifications/{t.ratification_in(o).id}/decision", "POST",
                                 expect=expect(anonymous=401, everyone_else=403,
                                               board_secretary=OwnOther(own=200, other=403)),
                                 data={"decision": "ratify", "minute_reference": "B1"}),
    "api.me":         Route("/api/v1/me", expect=expect(anonymous=401, everyone_else=200)),
    "api.openapi":    Route("/api/v1/openapi.json", expect=expect(anonymous=200, everyone_else=200)),
    "api.docs":       Route("/api/v1/docs", expect=expect(anonymous=200, everyone_else=200)),
    # Private cases: a dispute with a panel (its members' officers see it), and the draft a dispute's
    # outcome opens (the STP Leader's alone).
    "panel: dispute": mirror("disputes.show", lambda t, o=None: f"/api/v1/disputes/{t.dispute_with_panel(o).id}",
                             private="panel: dispute"),
    "draft: decision": mirror("pdeg.recommendation",
                              lambda t, o=None: f"/api/v1/decisions/{t.draft_from_dispute(o).id}",
                              private="draft: page"),
}
# fmt: on


def test_every_api_route_is_in_the_api_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert endpoints == {name for name in API_MATRIX if name.startswith("api.")}
    for route in API_MATRIX.values():
        assert set(route.expect) == set(VISITORS)


@pytest.fixture
def token_visitor(request: pytest.FixtureRequest, make_user: Callable[..., User]
                  ) -> Callable[[str], tuple[dict[str, str], User | None]]:
    """A visitor's Authorization header (none for the anonymous visitor) and their account."""

    def visit(visitor: str) -> tuple[dict[str, str], User | None]:
        if visitor == ANONYMOUS:
            return {}, None
        if visitor == STP_LEADER:
            user: User = request.getfixturevalue("stp_leader")
        else:
            role = Role(visitor)
            user = make_user(role, "STP" if role in (Role.ADMINISTRATOR, Role.SYSTEM_LEADERSHIP) else "RDE")
        made = token_ops.create_token(user, name="Matrix", scope=TokenScope.READ_RECORD,
                                      expires_on=clock.now().date() + timedelta(days=7))
        db.session.commit()
        return {"Authorization": f"Bearer {made.secret}"}, user

    return visit


@pytest.mark.parametrize(("endpoint", "visitor", "whose", "status"), _cases(API_MATRIX))
def test_api_access(
    endpoint: str, visitor: str, whose: str | None, status: int, stp_leader: User, client: FlaskClient,
    token_visitor: Callable[[str], tuple[dict[str, str], User | None]], make_user: Callable[..., User],
    org: Callable[[str], Organisation],
) -> None:
    route = API_MATRIX[endpoint]
    headers, user = token_visitor(visitor)
    targets = Targets(make_user)
    if callable(route.url):
        if whose is None:
            url = route.url(targets)
        else:
            own = user.organisation.code if user else "RDE"
            url = route.url(targets, org(own if whose == "own" else other_organisation(own)))
    else:
        url = route.url
    body = {**route.data, "meeting_date": yesterday()} if route.method == "POST" else None
    response = client.open(url, method=route.method, headers=headers, json=body)
    assert response.status_code == status, f"{visitor} {route.method} {url}: {response.get_data(as_text=True)[:300]}"
    if status in (401, 403, 404):
        assert response.mimetype == "application/problem+json"


def test_a_dispute_is_never_listed_to_someone_outside_it(
    stp_leader: User, make_user: Callable[..., User], client: FlaskClient, org: Callable[[str], Organisation],
) -> None:
    targets = Targets(make_user)
    dispute = targets.dispute_in(org("PHNT"))
    seen: dict[str, set[int]] = {}
    for visitor, code in (("partner_ceo", "PHNT"), ("deputy", "PHNT"), ("partner_ceo", "RDE"),
                          ("board_secretary", "PHNT"), ("pdeg_secretariat", "STP"), ("group_chair", "STP")):
        user = make_user(Role(visitor), code)
        made = token_ops.create_token(user, name="List", scope=TokenScope.READ,
                                      expires_on=clock.now().date() + timedelta(days=7))
        db.session.commit()
        body = client.get("/api/v1/disputes?state=any", headers={"Authorization": f"Bearer {made.secret}"}).get_json()
        seen[f"{visitor}.{code}"] = {d["id"] for d in body["items"]}
        todo = client.get("/api/v1/me/todo", headers={"Authorization": f"Bearer {made.secret}"}).get_json()
        if seen[f"{visitor}.{code}"] == set():
            assert all(item["case_id"] != dispute.id for item in todo["items"])
    assert seen == {"partner_ceo.PHNT": {dispute.id}, "deputy.PHNT": {dispute.id}, "partner_ceo.RDE": set(),
                    "board_secretary.PHNT": set(), "pdeg_secretariat.STP": set(), "group_chair.STP": set()}
