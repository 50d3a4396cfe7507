"""A dispute's content stays with its parties, its panel, the STP Leader and administrators (Schedule 3:
"professionally and privately").

* What the STP Leader raises to PDEG after a dispute is what he writes for PDEG: the draft the proposal
  opens is his alone and carries none of the dispute's content (defect 1 of issue 13).
* A party acts through its chief executive and its deputy (10.3): a deputy of a panel organisation sees
  the dispute and is told what its chief executive is told. Board secretaries have no part in a dispute
  unless the agreement gives their Board one (in Devon it never does) (defect 6).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from govern import cases
from govern.attachments.operations import attach_file
from govern.auth.models import Role, User
from govern.cases.models import CaseKind
from govern.core.errors import OperationError
from govern.deadlines.feed import deadlines_for
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import Recommendation
from tests import papers
from tests.casework import Cast, Run, complete_texts, start_run

PROPOSAL = "Bring the stroke decision back with the travel-time evidence"
REASONS = "Confidential: the Trust's finances cannot bear the closure"
NO_CONFLICT = {"conflict": False}


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def _proposed(run: Run, scenario: str, outcome: str) -> tuple[Dispute, Recommendation]:
    """RDE's dispute, with DCC on its panel, up to the STP Leader's proposal for PDEG."""
    dispute = run.file("RDE", scenario)
    run.do("RDE", "save", {**complete_texts(dispute), "principles": ["V1"]})
    run.run([
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("DCC", "make_recommendation", {"recommendation": "Look again", "reasons": "New evidence"}),
        ("leader", "propose_solution", {"outcome": outcome, "proposal": PROPOSAL, "reasons": REASONS}),
    ])
    draft = db.session.scalars(select(Recommendation).where(Recommendation.linked_dispute_id == dispute.id)).one()
    return dispute, draft


PROPOSALS_FOR_PDEG = [("scenario_2", "decision_revisited"), ("scenario_3", "decision_revisited"),
                      ("scenario_4", "options_paper")]


# --- defect 1: the draft born from a dispute ------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "outcome"), PROPOSALS_FOR_PDEG)
def test_the_draft_a_proposal_opens_carries_none_of_the_disputes_content(
    run: Run, scenario: str, outcome: str,
) -> None:
    dispute, draft = _proposed(run, scenario, outcome)

    written = " ".join([draft.title, draft.summary, draft.decision_sought])
    for secret in (dispute.reference, dispute.title, PROPOSAL, REASONS):
        assert secret not in written
    assert draft.state == "draft"


def _visitor(cast: Cast, who: str) -> User:
    return {
        "secretariat": lambda: cast.secretariat,
        "party_ceo": lambda: cast.ceo("RDE"),
        "party_deputy": lambda: cast.deputy("RDE"),
        "panel_ceo": lambda: cast.ceo("DCC"),
        "administrator": lambda: cast.user(Role.ADMINISTRATOR, "STP"),
        "chair": lambda: cast.chair(),
        "other_ceo": lambda: cast.ceo("PCC"),
    }[who]()


OTHERS = ["secretariat", "party_ceo", "party_deputy", "panel_ceo", "administrator", "chair", "other_ceo"]


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_but_the_stp_leader_may_read_the_draft_or_its_record(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient], who: str,
) -> None:
    _, draft = _proposed(run, "scenario_2", "decision_revisited")
    visitor = client_for(_visitor(cast, who))

    assert visitor.get(f"/recommendations/{draft.id}").status_code == 404
    assert visitor.get(f"/recommendations/{draft.id}/record.pdf").status_code == 404
    assert visitor.get(f"/recommendations/{draft.id}/draft").status_code == 404


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_but_the_stp_leader_may_attach_to_the_draft(run: Run, cast: Cast, who: str) -> None:
    _, draft = _proposed(run, "scenario_2", "decision_revisited")

    with pytest.raises(OperationError):
        attach_file(CaseKind.RECOMMENDATION, draft.id, _visitor(cast, who),
                    FileStorage(io.BytesIO(papers.pdf()), "notes.pdf"))


def test_the_stp_leader_reads_and_attaches_to_his_draft(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    _, draft = _proposed(run, "scenario_4", "options_paper")
    leader = client_for(cast.leader)

    assert leader.get(f"/recommendations/{draft.id}").status_code == 200
    attach_file(CaseKind.RECOMMENDATION, draft.id, cast.leader,
                FileStorage(io.BytesIO(papers.pdf()), "options.pdf"))


def test_an_unwritten_draft_cannot_be_raised(run: Run, cast: Cast) -> None:
    _, draft = _proposed(run, "scenario_2", "decision_revisited")

    with pytest.raises(OperationError) as refused:
        cases.act(draft, cast.leader, "raise_recommendation")
    db.session.rollback()
    assert draft.state == "draft"
    assert refused.value.field in ("title", "information", "summary")


def _write(leader: FlaskClient, draft: Recommendation, **changes: Any) -> Any:
    data = {"title": "Stroke services: a revised option", "summary": "Option C keeps both units open at night.",
            "decision_sought": "Agree option C", "affected": [str(draft.affected[0].id) if draft.affected else ""],
            "expected_version": str(draft.lock_version), **changes}
    return leader.post(f"/recommendations/{draft.id}/draft", data=data)


def test_what_is_raised_to_pdeg_is_what_the_stp_leader_writes_for_it(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
) -> None:
    dispute, draft = _proposed(run, "scenario_2", "decision_revisited")
    leader = client_for(cast.leader)

    written = _write(leader, draft, affected=[str(org("RDE").id), str(org("PCC").id)])
    assert written.status_code == 302
    db.session.expire_all()
    raised = leader.post(f"/recommendations/{draft.id}/actions/raise_recommendation",
                         data={"expected_version": str(draft.lock_version)})
    assert raised.status_code == 302

    db.session.expire_all()
    assert draft.state == "raised"
    assert (draft.title, draft.summary) == ("Stroke services: a revised option",
                                            "Option C keeps both units open at night.")
    assert sorted(o.code for o in draft.affected) == ["PCC", "RDE"]
    page = client_for(cast.secretariat).get(f"/recommendations/{draft.id}").get_data(as_text=True)
    assert "Stroke services: a revised option" in page
    for secret in (dispute.reference, dispute.title, PROPOSAL, REASONS):
        assert secret not in page


def test_only_the_stp_leader_writes_the_draft(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    _, draft = _proposed(run, "scenario_2", "decision_revisited")

    with pytest.raises(OperationError):
        pdeg_ops.write_draft_recommendation(draft, cast.secretariat, title="Mine now", summary="x",
                                            decision_sought="", affected=[])
    assert _write(client_for(cast.secretariat), draft).status_code == 404


def test_a_decision_page_does_not_reveal_the_dispute_that_followed_it(
    cast: Cast, client_for: Callable[[User], FlaskClient], org: Callable[[str], Organisation],
    run: Run,
) -> None:
    decision = pdeg_ops.raise_recommendation(
        cast.leader, title="Stroke services", summary="Close one unit", decision_sought="Agree",
        raised_by=pdeg_ops.RaisedBy.STP_LEADER, affected=[org("RDE")],
    )
    db.session.commit()
    dispute, draft = _proposed(run, "scenario_2", "decision_revisited")
    dispute.decision_recommendation_id = decision.id
    pdeg_ops.write_draft_recommendation(draft, cast.leader, title="A revised option", summary="Option C",
                                        decision_sought="", affected=[org("RDE")])
    cases.act(draft, cast.leader, "raise_recommendation")
    db.session.commit()

    page = client_for(cast.secretariat).get(f"/recommendations/{decision.id}").get_data(as_text=True)
    assert "A revised option" not in page
    assert dispute.reference not in page
    leader_page = client_for(cast.leader).get(f"/recommendations/{decision.id}").get_data(as_text=True)
    assert "A revised option" in leader_page


# --- defect 6: deputies of panel organisations, Board secretaries of parties ----------------------------


def test_a_board_secretary_of_a_party_cannot_read_the_dispute_or_its_papers(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    dispute, _ = _proposed(run, "scenario_2", "decision_revisited")
    secretary = cast.secretary("RDE")
    visitor = client_for(secretary)

    assert not dispute.can_view(secretary)
    assert visitor.get(f"/disputes/{dispute.id}").status_code == 404
    assert visitor.get(f"/disputes/{dispute.id}/papers").status_code == 404
    assert visitor.get(f"/disputes/{dispute.id}/record.pdf").status_code == 404
    assert dispute.reference not in visitor.get("/disputes").get_data(as_text=True)


def test_a_deputy_of_a_panel_organisation_sees_the_dispute_as_its_chief_executive_does(
    run: Run, cast: Cast, client_for: Callable[[User], FlaskClient],
) -> None:
    deputy = cast.deputy("DCC")
    dispute = run.file("RDE", "scenario_3")  # its panel has a deadline
    run.do("RDE", "save", {**complete_texts(dispute), "principles": ["V1"]})
    run.run([("RDE", "submit_report", {}), ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
             ("DCC", "declare_interest", NO_CONFLICT), ("leader", "release_papers", {})])

    assert client_for(deputy).get(f"/disputes/{dispute.id}").status_code == 200
    told = [n.body for n in db.session.scalars(select(Notice).where(Notice.user_id == deputy.id))]
    assert any("declare" in body.lower() for body in told), told
    chief_executive = [d.id for d in deadlines_for(cast.ceo("DCC"))]
    assert chief_executive and [d.id for d in deadlines_for(deputy)] == chief_executive
