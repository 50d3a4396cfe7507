"""A calendar program polls the feed: it gets 304 Not Modified while nothing has changed, and the
feed holds what is still to do plus the last 90 days of steps done (issue 14, item 3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from govern.auth.models import User
from govern.partnership.models import Organisation
from tests.calendar_helpers import feed_address
from tests.casework import Cast, Run, start_run

WRITE_THE_REPORT = [("RDE", "save", {"principles": ["B3"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})]


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def summaries(response: object) -> list[str]:
    calendar = Calendar.from_ical(response.get_data())  # type: ignore[attr-defined]
    return [str(e["summary"]) for e in calendar.walk("VEVENT")]


def test_a_poll_with_the_etag_gets_304_while_nothing_changes(
    run: Run, cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    run.file("RDE", "scenario_2")
    path = feed_address(client_for(cast.ceo("RDE")))
    first = client.get(path)
    run.clock.tick(timedelta(hours=3))  # time passes; the cases do not move

    by_tag = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert (by_tag.status_code, by_tag.get_data()) == (304, b"")
    assert by_date.status_code == 304
    assert by_tag.headers["ETag"] == first.headers["ETag"]


def test_a_poll_after_a_step_is_done_gets_the_new_feed(
    run: Run, cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    dispute = run.file("RDE", "scenario_2")
    path = feed_address(client_for(cast.ceo("RDE")))
    first = client.get(path)

    run.run(WRITE_THE_REPORT)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert summaries(again) == [f"{dispute.reference}: Written report to the STP Leader (done)"]


def test_steps_done_leave_the_feed_after_90_days_and_steps_to_do_stay(
    run: Run, cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run(WRITE_THE_REPORT)
    ceo, leader = feed_address(client_for(cast.ceo("RDE"))), feed_address(client_for(cast.leader))

    run.clock.tick(timedelta(days=91))

    assert summaries(client.get(ceo)) == []
    assert summaries(client.get(leader)) == [
        f"{dispute.reference}: Panel nominated",
        f"{dispute.reference}: The STP Leader proposes that the decision stands or is revisited",
    ]



def test_a_poll_after_a_done_step_leaves_the_90_days_gets_the_feed_without_it(
    run: Run, cast: Cast, client: FlaskClient, client_for: Callable[[User], FlaskClient]
) -> None:
    """Nothing in the partnership changes, but the window of steps done moves on: the tag must too."""
    dispute = run.file("RDE", "scenario_2")
    run.run(WRITE_THE_REPORT)
    path = feed_address(client_for(cast.ceo("RDE")))
    run.clock.tick(timedelta(days=89))
    before = client.get(path)
    assert summaries(before) == [f"{dispute.reference}: Written report to the STP Leader (done)"]

    run.clock.tick(timedelta(days=2))
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200 and summaries(after) == []
