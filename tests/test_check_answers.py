"""Check your answers, then a confirmation page, before each irreversible dispute step (issue 11): one
generic check page and one confirmation page, driven by the transition's fields and the agreement's
words (a transition marked ``confirm``), not a template per step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from govern.auth.models import User
from govern.cases.models import CaseKind
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from tests.casework import Cast, Run, event_names, start_run
from tests.conftest import Page
from tests.test_dispute_operations import NO_CONFLICT, SCENARIO_1
from tests.test_dispute_views import FormPage


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def _post(client: FlaskClient, dispute: Dispute, trigger: str, data: dict[str, Any]) -> Any:
    db.session.expire_all()
    version = db.session.get(Dispute, dispute.id).version
    return client.post(f"/disputes/{dispute.id}/actions/{trigger}", data={"expected_version": str(version), **data})


def test_nominating_a_panel_shows_the_answers_to_check_and_changes_nothing_until_confirmed(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:4])
    leader = client_for(run.who("leader"))
    chosen = {"organisation_ids": [str(i) for i in run.ids("DCC", "NHSE")]}

    check = _post(leader, dispute, "nominate_panel", chosen)

    assert check.status_code == 200
    page = FormPage.of(check)
    assert page.text("check-heading") == "Check your answers before you nominate the panel"
    answers = page.text("answers") or ""
    assert "Organisations on the panel" in answers
    assert "Devon County Council" in answers and "NHS England" in answers
    assert "panel_nominated" not in event_names(CaseKind.DISPUTE, dispute.id)

    done = _post(leader, dispute, "nominate_panel", {**chosen, "confirmed": "1"})

    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/disputes/{dispute.id}/confirmed/nominate_panel")
    assert "panel_nominated" in event_names(CaseKind.DISPUTE, dispute.id)
    confirmation = Page.of(leader.get(done.headers["Location"]))
    assert confirmation.text("confirmation-title") == "Nominate the panel: done"
    assert dispute.reference in (confirmation.text("confirmation-reference") or "")
    assert "Panel members declare any conflict of interest" in (confirmation.text("what-happens-next") or "")
    assert confirmation.text("record-link") == f"Go to dispute {dispute.reference}"


def test_the_check_page_for_accepting_shows_what_is_accepted_and_withdrawal_uses_a_warning_button(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:11])  # the panel presents its decision: Exeter
    rde = client_for(run.who("RDE"))

    accept = Page.of(_post(rde, dispute, "accept_outcome", {}))
    assert "Exeter" in (accept.text("being-accepted") or "")

    response = _post(rde, dispute, "give_notice_of_withdrawal", {"notice": "We leave the MoU."})
    html = response.get_data(as_text=True)
    assert "nhsuk-button--warning" in html
    assert "clause 15" in (Page.of(response).text("what-withdrawal-means") or "")
    assert "outcome_withdrew" not in event_names(CaseKind.DISPUTE, dispute.id)


def test_a_bad_answer_is_shown_on_the_form_not_on_the_check_page(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:4])
    leader = client_for(run.who("leader"))

    response = _post(leader, dispute, "nominate_panel", {"organisation_ids": [str(run.ids("DCC")[0])]})

    assert response.status_code == 400  # Scenario 1's panel needs two: refused before the check page
    assert "check-heading" not in response.get_data(as_text=True)


def test_sending_the_papers_goes_through_the_check_page(
    run: Run, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute = run.file("RDE", "scenario_2", decision_reference="PDEG minute 2023/07")
    run.do("RDE", "save", {"principles": ["B3"]})
    run.do("RDE", "save", {})
    rde = client_for(run.who("RDE"))

    response = rde.get(f"/disputes/{dispute.id}/actions/submit_report")

    page = Page.of(response)
    assert (page.text("check-heading") or "").startswith("Check your answers before you submit the written report")
    assert "What we say under Background" in (page.text("answers") or "")
    assert "report_received" not in event_names(CaseKind.DISPUTE, dispute.id)
    _post(rde, dispute, "submit_report", {"confirmed": "1"})
    assert "report_received" in event_names(CaseKind.DISPUTE, dispute.id)


def test_declaring_no_conflict_needs_no_check_page(run: Run, client_for: Callable[[User], FlaskClient]) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:5])

    response = _post(client_for(run.who("DCC")), dispute, "declare_interest", {"conflict": "no"})

    assert response.status_code == 302
    assert "interest_declared" in event_names(CaseKind.DISPUTE, dispute.id)
    assert NO_CONFLICT


def test_filing_a_dispute_is_checked_then_confirmed(
    run: Run, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    from sqlalchemy import func, select

    rde = client_for(run.who("RDE"))
    data = {"title": "Where the stroke unit goes", "negotiation_attempted": "y",
            "negotiation_account": "The chief executives met three times in January.",
            "other_party_ids": str(org("NDHT").id)}

    check = rde.post("/disputes/new/scenario_1", data=data)

    assert check.status_code == 200
    page = Page.of(check)
    assert page.text("check-heading") == "Check your answers before you file the dispute"
    answers = page.text("answers") or ""
    assert "Where the stroke unit goes" in answers and "Northern Devon Healthcare NHS Trust" in answers
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0

    done = rde.post("/disputes/new/scenario_1", data={**data, "confirmed": "1"})

    dispute = db.session.scalars(select(Dispute)).one()
    assert done.headers["Location"].endswith(f"/disputes/{dispute.id}/confirmed/notify")
    confirmation = Page.of(rde.get(done.headers["Location"]))
    assert dispute.reference in (confirmation.text("confirmation-reference") or "")
    assert "A single agreed set of documentation" in (confirmation.text("what-happens-next") or "")
    assert confirmation.text("papers-link") == "Write the papers"
