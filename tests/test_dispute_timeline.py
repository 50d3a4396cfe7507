"""The dispute page's timeline of what happened (who did what, when, with the clause; the MOJ timeline
pattern), and a "respond by" banner for a party whose response is awaited (issue 11)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from govern.auth.models import User
from govern.partnership.models import Organisation
from tests.casework import Cast, Run, start_run
from tests.conftest import Page
from tests.scale import counting_queries
from tests.test_dispute_operations import SCENARIO_1


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def test_the_timeline_says_who_did_what_when_with_the_clause(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:5])

    html = client_for(run.who("NDHT")).get(f"/disputes/{dispute.id}").get_data(as_text=True)
    timeline = Page(html).text("history") or ""

    assert 'class="moj-timeline"' in html
    assert "Notification of the dispute to the STP Leader" in timeline
    assert "Royal Devon and Exeter NHS Foundation Trust" in timeline  # who notified it
    assert "Panel nominated" in timeline and "Schedule 8, scenario 1, step two" in timeline
    assert timeline.index("Panel nominated") < timeline.index("Notification of the dispute")  # newest first


def test_the_dispute_page_sends_the_same_queries_with_a_longer_timeline(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:2])
    client = client_for(run.who("NDHT"))
    client.get(f"/disputes/{dispute.id}")
    with counting_queries() as short:
        client.get(f"/disputes/{dispute.id}")
    run.run(SCENARIO_1[2:8])
    client.get(f"/disputes/{dispute.id}")
    with counting_queries() as long:
        client.get(f"/disputes/{dispute.id}")

    assert len(long) <= len(short) + 2  # the panel's rows appear: no query per event


def test_a_party_whose_response_is_awaited_sees_a_respond_by_banner(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")

    banner = Page.of(client_for(run.who("NDHT")).get(f"/disputes/{dispute.id}")).text("respond-by") or ""
    assert "A single agreed set of documentation: by the end of 8 March 2023" in banner

    run.run(SCENARIO_1[:11])  # the panel presents its decision
    banner = Page.of(client_for(run.who("NDHT")).get(f"/disputes/{dispute.id}")).text("respond-by") or ""
    assert "No appeal: each party accepts the proposed solution or is at liberty to withdraw" in banner
    run.do("NDHT", "accept_outcome", {})
    assert Page.of(client_for(run.who("NDHT")).get(f"/disputes/{dispute.id}")).text("respond-by") is None
    assert Page.of(client_for(run.who("leader")).get(f"/disputes/{dispute.id}")).text("respond-by") is None
