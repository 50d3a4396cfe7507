"""A calendar feed per user (ICS): every deadline on which they must act, at a secret address they
can reset."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from govern.auth.models import Role, User
from govern.extensions import db
from govern.partnership.models import Organisation
from tests.calendar_helpers import feed_address
from tests.casework import Cast, Run, start_run
from tests.conftest import Page


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def events(client: FlaskClient, path: str) -> list[tuple[date, str]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    return [(e.decoded("dtstart"), str(e["summary"])) for e in calendar.walk("VEVENT")]


def test_the_feed_lists_the_deadlines_the_user_must_act_on(
    run: Run, cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    dispute = run.file("RDE", "scenario_2")
    path = feed_address(client_for(cast.ceo("RDE")))

    assert events(client, path) == [(date(2023, 3, 8), f"{dispute.reference}: Written report to the STP Leader")]


def test_the_stp_leaders_feed_has_the_steps_that_are_theirs(
    run: Run, cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run([("RDE", "save", {"principles": ["B3"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})])
    path = feed_address(client_for(cast.leader))

    assert events(client, path) == [
        (date(2023, 3, 6), f"{dispute.reference}: Panel nominated"),  # 3 working days after Wed 1 March
        (date(2023, 3, 8), f"{dispute.reference}: The STP Leader proposes that the decision stands or is revisited"),
    ]


def test_someone_with_nothing_to_do_gets_an_empty_feed(
    run: Run, make_user: Callable[..., User], client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    run.file("RDE", "scenario_2")
    path = feed_address(client_for(make_user(Role.PARTNER_CEO, "TC")))

    assert events(client, path) == []


def test_resetting_the_address_stops_the_old_one(
    cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    user_client = client_for(cast.ceo("RDE"))
    old = feed_address(user_client)
    new = feed_address(user_client)

    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_a_disabled_account_has_no_feed(
    cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    user = cast.ceo("RDE")
    path = feed_address(client_for(user))
    user.active = False
    db.session.commit()

    assert client.get(path).status_code == 404


def test_the_address_is_secret_and_not_there_until_made(cast: Cast, client_for: Callable[[User], FlaskClient]) -> None:
    page = Page.of(client_for(cast.ceo("RDE")).get("/calendar"))

    assert page.text("calendar-address") is None
