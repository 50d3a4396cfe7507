"""The other side writes its part (issue 11, "Respondents are parties"): Scenario 4's organisation whose
practice changed "is asked why it changed its practice" (Schedule 8, scenario 4, step one: "what risk were
they mitigating?"), and the other side of a 16.2 dispute writes its part the same way.

Each rule is tested through the operation (``govern.cases.act``): only the respondent writes it; it may
write (and rewrite) it until the papers go to the panel, which then reads it with them; it blocks none of
the MoU's own steps or deadlines; the STP Leader is told when it is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from govern import cases
from govern.auth.models import User
from govern.cases.models import CaseKind
from govern.cases.runner import RulesRefused
from govern.core import clock
from govern.core.errors import OperationError
from govern.disputes import operations as ops
from govern.disputes import presenters
from govern.extensions import db
from govern.notify.models import Notice
from govern.partnership.models import Organisation
from govern.records.queries import dispute_record
from tests.casework import Cast, Run, audit_actions, event_names, snapshot, start_run, stored_event
from tests.test_dispute_operations import NO_CONFLICT

SCENARIO_4_CLAUSE = "Schedule 8, scenario 4, step one"
ACCOUNT = "Discharges now wait for a care package: we were mitigating the risk of readmission."


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


def _scenario_4(run: Run) -> None:
    """RDE files about SDT-CCG's change of practice (the run's default respondent) and sends its report."""
    run.file("RDE", "scenario_4")
    run.run([("RDE", "save", {"principles": ["V1"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})])


def _told(user: User) -> str:
    return "\n".join(db.session.scalars(select(Notice.body).where(Notice.user_id == user.id)).all())


def test_scenario_4_the_respondent_is_asked_for_its_account_when_the_dispute_is_notified(run: Run, cast: Cast
                                                                                         ) -> None:
    respondent = cast.ceo("SDT-CCG")
    _scenario_4(run)
    assert ("you may write your account of why your organisation changed its practice and what risk it was "
            "mitigating") in _told(respondent)


def test_the_other_side_of_a_16_2_dispute_is_told_it_may_write_its_part(
        run: Run, cast: Cast, org: Callable[[str], Organisation]) -> None:
    named, added = cast.ceo("DCC"), cast.ceo("PCC")
    dispute = run.file("TC", "bespoke", respondents=[org("DCC")])
    ops.set_out_process(dispute, cast.leader, "panel_decides", {}, respondents=[org("PCC")])
    db.session.commit()
    assert "you may write your organisation's part" in _told(named)
    from govern.notify.models import OutboxMessage
    mails = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_address == added.email)).all()
    assert any("you may write your organisation's part" in m for m in mails)


def test_scenario_4_the_respondent_writes_its_account_and_the_stp_leader_is_told(run: Run, cast: Cast) -> None:
    _scenario_4(run)
    dispute = run.dispute
    assert dispute is not None
    run.do("SDT-CCG", "write_account", {"account": ACCOUNT})

    assert dispute.state == "report_received"  # its part moves no step of the MoU's
    event = stored_event(CaseKind.DISPUTE, dispute.id, "account_written")
    assert (event.data["account"], event.data["organisation_id"]) == (ACCOUNT, run.org("SDT-CCG").id)
    assert audit_actions("dispute", dispute.id)[-1] == "write_account"
    assert ("South Devon and Torbay CCG has written its account of the change of practice (Schedule 8, "
            "scenario 4, step one)") in _told(cast.leader)


@pytest.mark.parametrize("who", ["RDE", "DCC", "PCC", "leader"])
def test_only_the_respondent_writes_its_account(run: Run, who: str) -> None:
    _scenario_4(run)
    dispute = run.dispute
    assert dispute is not None
    run.do("leader", "nominate_panel", {"organisation_ids": ["DCC"]})  # DCC: a panel member; PCC: no part
    before = snapshot(dispute)

    with pytest.raises(OperationError) as refused:
        cases.act(dispute, run.who(who), "write_account", {"account": ACCOUNT})
    db.session.rollback()

    assert refused.value.clause == SCENARIO_4_CLAUSE
    assert "Only the organisation on the other side may" in refused.value.message
    assert snapshot(dispute) == before


def test_the_account_is_refused_once_the_papers_are_with_the_panel(run: Run) -> None:
    _scenario_4(run)
    dispute = run.dispute
    assert dispute is not None
    run.run([("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
             ("DCC", "declare_interest", NO_CONFLICT), ("leader", "release_papers", {})])

    with pytest.raises(OperationError) as refused:
        cases.act(dispute, run.who("SDT-CCG"), "write_account", {"account": ACCOUNT})
    db.session.rollback()
    assert "is not possible while the case is 'Papers with the panel'" in refused.value.message


def test_an_empty_account_is_refused_beside_the_field(run: Run) -> None:
    _scenario_4(run)
    assert run.dispute is not None
    with pytest.raises(OperationError) as refused:
        cases.act(run.dispute, run.who("SDT-CCG"), "write_account", {"account": "  "})
    db.session.rollback()
    assert refused.value.field == "account"


def test_the_account_is_optional_it_has_no_step_nor_deadline(run: Run) -> None:
    """The MoU sets no deadline for it: it is in no step, and the report, panel and proposal go on without it."""
    _scenario_4(run)
    dispute = run.dispute
    assert dispute is not None
    definition = dispute.definition
    assert all(s.done_event != "account_written" for s in definition.steps)
    run.run([("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
             ("DCC", "declare_interest", NO_CONFLICT), ("leader", "release_papers", {})])
    assert dispute.state == "with_panel"


def test_the_panel_reads_the_account_with_the_papers_once_they_are_released(run: Run, cast: Cast) -> None:
    _scenario_4(run)
    dispute = run.dispute
    assert dispute is not None
    run.run([("SDT-CCG", "write_account", {"account": "A first draft"}),
             ("SDT-CCG", "write_account", {"account": ACCOUNT}),  # rewritten: the latest counts
             ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
             ("DCC", "declare_interest", NO_CONFLICT)])
    panel = cast.ceo("DCC")
    now = clock.now()
    assert presenters.view_of(dispute, panel, now).accounts == []  # not before the papers are released
    assert [(a.organisation, a.text) for a in presenters.view_of(dispute, cast.ceo("RDE"), now).accounts] == [
        ("South Devon and Torbay CCG", ACCOUNT)]

    run.do("leader", "release_papers", {})
    seen = presenters.view_of(dispute, panel, clock.now()).accounts
    assert [(a.organisation, a.text) for a in seen] == [("South Devon and Torbay CCG", ACCOUNT)]
    record = dispute_record(dispute, panel)
    assert [(a.organisation, a.text) for a in record.accounts] == [("South Devon and Torbay CCG", ACCOUNT)]


def test_a_bespoke_dispute_the_other_side_writes_its_part_is_told_of_the_hearing_and_responds(
        run: Run, cast: Cast, org: Callable[[str], Organisation]) -> None:
    dispute = run.file("TC", "bespoke", respondents=[org("DCC")])
    ops.set_out_process(dispute, cast.leader, "panel_decides", {}, respondents=[org("PCC")])
    db.session.commit()
    run.run([
        ("TC", "save", {"background": "Shared care records", "issue": "Who pays", "suggested_remedy": "Share",
                        "principles": ["V1"]}),
        ("TC", "submit_written_material", {}),
        ("DCC", "write_account", {"account": "We never agreed to pay for the records."}),
        ("PCC", "write_account", {"account": "We pay our share already."}),  # added by the STP Leader
        ("leader", "nominate_panel", {"organisation_ids": ["LSW"]}),
        ("LSW", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("LSW", "schedule_hearing", {"hearing_date": date(2023, 3, 6), "arrangements": "10:00, County Hall"}),
        ("LSW", "hold_hearing", {"attended": ["TC", "DCC", "PCC"], "date_reason": "Brought forward by agreement"}),
        ("LSW", "present_decision", {"decision": "Each pays its share", "reasons": "Use"}),
        ("TC", "accept_outcome", {}),
        ("DCC", "give_notice_of_withdrawal", {"notice": "We leave the MoU."}),
        ("PCC", "accept_outcome", {}),
    ])

    assert dispute.state == "closed"
    assert event_names(CaseKind.DISPUTE, dispute.id).count("account_written") == 2
    seen = presenters.view_of(dispute, cast.ceo("LSW"), clock.now()).accounts
    assert [a.organisation for a in seen] == ["Devon County Council", "Plymouth City Council"]
    for code in ("DCC", "PCC"):
        assert "The panel convenes on Mon 6 Mar 2023: 10:00, County Hall" in _told(cast.ceo(code))
        assert "Decision presented to the parties: read it and respond." in _told(cast.ceo(code))


def test_a_bespoke_dispute_refuses_the_part_from_the_party_that_filed_it(run: Run, org: Callable[[str], Organisation]
                                                                          ) -> None:
    dispute = run.file("TC", "bespoke", respondents=[org("DCC")])
    with pytest.raises(OperationError) as refused:
        cases.act(dispute, run.who("TC"), "write_account", {"account": "Not ours to write"})
    db.session.rollback()
    assert refused.value.clause == "16.2"


def test_the_pages_offer_it_to_the_respondent_as_optional_and_show_it_to_the_parties_not_yet_the_panel(
        run: Run, cast: Cast, client_for: Callable[[User], FlaskClient]) -> None:
    _scenario_4(run)
    dispute = run.dispute
    assert dispute is not None
    respondent = client_for(cast.ceo("SDT-CCG"))
    page = respondent.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "Write your organisation&#39;s account of its change of practice" in page
    assert "Not written. It is optional, with no deadline" in page
    form = respondent.get(f"/disputes/{dispute.id}/actions/write_account").get_data(as_text=True)
    assert "Optional: the MoU sets no deadline for it." in form
    assert "For you to do" not in page  # optional: never a "respond by"

    run.run([("SDT-CCG", "write_account", {"account": ACCOUNT}),
             ("leader", "nominate_panel", {"organisation_ids": ["DCC"]})])
    assert ACCOUNT in client_for(cast.ceo("RDE")).get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert ACCOUNT not in client_for(cast.ceo("DCC")).get(f"/disputes/{dispute.id}").get_data(as_text=True)
    run.run([("DCC", "declare_interest", NO_CONFLICT), ("leader", "release_papers", {})])
    panel = client_for(cast.ceo("DCC"))
    assert ACCOUNT in panel.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert ACCOUNT in panel.get(f"/disputes/{dispute.id}/papers").get_data(as_text=True)


def test_rewriting_the_account_starts_from_what_the_organisation_last_wrote(
        run: Run, cast: Cast, client_for: Callable[[User], FlaskClient]) -> None:
    _scenario_4(run)
    dispute = run.dispute
    assert dispute is not None
    run.do("SDT-CCG", "write_account", {"account": ACCOUNT})
    form = client_for(cast.deputy("SDT-CCG")).get(f"/disputes/{dispute.id}/actions/write_account")
    assert ACCOUNT in form.get_data(as_text=True)


def test_a_panel_that_decides_may_call_the_other_side_and_then_the_party_that_filed_must_be_present(
        run: Run, cast: Cast, org: Callable[[str], Organisation]) -> None:
    """16.2, "the panel decides": the panel may call either side for clarification; as in Scenario 1, step
    three, if one is called the other is invited to be present, and is recorded present or the panel says why."""
    dispute = run.file("TC", "bespoke", respondents=[org("DCC")])
    ops.set_out_process(dispute, cast.leader, "panel_decides", {})
    db.session.commit()
    run.run([
        ("TC", "save", {"background": "Shared care records", "issue": "Who pays", "suggested_remedy": "Share",
                        "principles": ["V1"]}),
        ("TC", "submit_written_material", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["LSW"]}),
        ("LSW", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
    ])

    with pytest.raises(RulesRefused) as refused:
        cases.act(dispute, run.who("LSW"), "call_parties", {"called": run.ids("DCC")})
    db.session.rollback()
    assert [(p.field, p.clause) for p in refused.value.problems] == [("invited", "16.2")]

    run.do("LSW", "call_parties", {"called": ["DCC"], "invited": ["TC"]})
    assert "The panel calls your organisation for clarification (16.2)" in _told(cast.ceo("DCC"))
    assert "Your organisation is invited to be present" in _told(cast.ceo("TC"))

    with pytest.raises(RulesRefused) as refused:
        cases.act(dispute, run.who("LSW"), "hold_hearing", {"attended": run.ids("DCC")})
    db.session.rollback()
    assert [(p.field, p.clause) for p in refused.value.problems] == [("attended", "16.2")]
