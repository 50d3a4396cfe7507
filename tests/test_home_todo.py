"""The home page is a to-do list (issue 11): what needs you now, with its due date, then your open
disputes, the decisions awaiting your Board and the meetings coming up. Nobody needs the Notices page to
find their next step. (Its queries are counted at two sizes in ``tests/test_scale_lists.py``.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from govern.auth.models import User
from govern.partnership.models import Organisation
from tests.casework import Cast, Run, start_run
from tests.conftest import Page
from tests.test_dispute_operations import NO_CONFLICT, SCENARIO_1


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def todo(client_for: Callable[[User], FlaskClient], user: User) -> str:
    page = Page.of(client_for(user).get("/"))
    return page.text("todo") or page.text("todo-none") or ""


def test_each_person_sees_what_needs_them_now_with_its_due_date(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")

    for who in ("RDE", "NDHT"):  # both parties write the joint pack; due a week after notification
        assert f"A single agreed set of documentation {dispute.reference}" in todo(client_for, run.who(who))
        assert "Due by 8 March 2023" in todo(client_for, run.who(who))
    assert todo(client_for, cast.leader) == "Nothing needs you now."

    run.run(SCENARIO_1[:5])  # the pack is in and the panel nominated
    assert "Panel members declare any conflict of interest" in todo(client_for, run.who("DCC"))
    run.do("DCC", "declare_interest", NO_CONFLICT)
    assert "Panel members declare any conflict of interest" not in todo(client_for, run.who("DCC"))
    assert "Panel members declare any conflict of interest" in todo(client_for, run.who("NHSE"))


def test_a_respondent_sees_its_response_to_the_outcome_as_a_thing_to_do(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    run.file("NDHT", "scenario_4", respondents=[org("TC")])
    run.run([
        ("NDHT", "save", {}),
        ("NDHT", "save", {"principles": ["B3"]}),
        ("NDHT", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("DCC", "make_recommendation", {"recommendation": "Restore the service", "reasons": "Impact"}),
        ("leader", "propose_solution", {"outcome": "solution", "proposal": "Restore it", "reasons": "System"}),
    ])

    assert "No appeal: each party accepts the proposed solution or is at liberty to withdraw" in todo(
        client_for, run.who("TC"))
    run.do("TC", "accept_outcome", {})
    assert "No appeal" not in todo(client_for, run.who("TC"))
    assert "No appeal" in todo(client_for, run.who("NDHT"))


def test_the_home_page_lists_open_disputes_and_meetings_coming_up(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")

    page = Page.of(client_for(run.who("NDHT")).get("/"))

    assert f"{dispute.reference}: {dispute.title}" in (page.text("open-disputes-list") or "")
    assert page.text("meetings-coming-up") == "Meetings coming up"


def test_the_home_page_lists_the_20_soonest_steps_and_links_to_every_step(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    """Issue 14: an STP Leader with hundreds of overdue steps got a home page of 50 red tags. The home
    page lists the 20 soonest and links to the calendar page, which lists every step with its due date
    (here a chief executive with 21 disputes to prepare papers for)."""
    for _ in range(20):
        run.file("RDE", "scenario_1", other="NDHT")
    html = client_for(run.who("RDE")).get("/").get_data(as_text=True)
    assert html.count('class="nhsuk-task-list__item') == 20
    assert Page(html).text("todo-more") is None

    run.file("RDE", "scenario_1", other="NDHT")
    html = client_for(run.who("RDE")).get("/").get_data(as_text=True)
    assert html.count('class="nhsuk-task-list__item') == 20
    assert "See every step waiting for you" in (Page(html).text("todo-more") or "")
    assert '<a href="/calendar">See every step waiting for you' in html
