"""Disputes run end to end through the operations, by real users acting in turn, and what is stored.

Each scenario is a table of steps (who acts, what they do, with what); the test runs it one
operation per "request" (commit after each) and then looks at the rows: state, events, panel,
responses, and one audit event per operation on an intact chain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from govern import cases
from govern.agreements import service
from govern.audit import chain
from govern.auth.models import User
from govern.cases.models import CaseEvent, CaseKind
from govern.cases.runner import RulesRefused
from govern.core.errors import OperationError
from govern.disputes import operations as ops
from govern.disputes.facts import dispute_roles
from govern.disputes.models import Declaration, Dispute, PanelRouteColumn, Response
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import RaisedBy, Recommendation
from tests.casework import Cast, Run, Step, audit_actions, audit_count, event_names, start_run, stored_event


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)



NO_CONFLICT = {"conflict": False}


def audited(steps: list[Step]) -> list[str]:
    """The audit actions a dispute filed and then taken through ``steps`` records: one per operation."""
    return ["notify", *("save_written_material" if action == "save" else action for _, action, _ in steps)]

SCENARIO_1: list[Step] = [
    ("RDE", "save", {}),
    ("RDE", "agree_pack", {}),
    ("NDHT", "agree_pack", {}),
    ("NDHT", "submit_documentation", {}),
    ("leader", "nominate_panel", {"organisation_ids": ["DCC", "NHSE"]}),
    ("DCC", "declare_interest", NO_CONFLICT),
    ("NHSE", "declare_interest", NO_CONFLICT),
    ("leader", "release_papers", {}),
    ("DCC", "call_parties", {"called": ["RDE"], "invited": ["NDHT"]}),
    ("DCC", "hold_hearing", {"attended": ["RDE", "NDHT"]}),
    ("NHSE", "present_decision", {"decision": "Exeter", "reasons": "Travel times for most patients"}),
    ("RDE", "accept_outcome", {}),
    ("NDHT", "accept_outcome", {}),
]

SCENARIO_1_EVENTS = [
    "notified",
    "pack_agreed",
    "pack_agreed",
    "documentation_received",
    "panel_nominated",
    "interest_declared",
    "interest_declared",
    "declarations_complete",
    "papers_released",
    "parties_called",
    "hearing_held",
    "decision_presented",
    "outcome_accepted",
    "outcome_accepted",
    "closed",
]


def test_scenario_1_is_heard_decided_and_accepted(run: Run) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1)

    assert dispute.state == "closed"
    assert event_names(CaseKind.DISPUTE, dispute.id) == SCENARIO_1_EVENTS
    assert [(m.organisation.code, m.declaration, m.active) for m in dispute.panel] == [
        ("DCC", Declaration.NO_CONFLICT, True),
        ("NHSE", Declaration.NO_CONFLICT, True),
    ]
    assert sorted((r.organisation_id, r.response) for r in dispute.responses) == sorted(
        (i, Response.ACCEPTED) for i in run.ids("RDE", "NDHT")
    )


def test_scenario_1_writes_one_audit_event_per_operation_on_an_intact_chain(run: Run) -> None:
    before = audit_count()
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1)

    assert audit_actions("dispute", dispute.id) == audited(SCENARIO_1)
    assert audit_count() - before == run.operations
    assert chain.verify().ok


def test_flask_audit_verify_finds_the_trail_of_a_whole_case_intact(app: Flask, run: Run) -> None:
    run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1)

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert (result.exit_code, result.output) == (0, f"Audit trail intact: {audit_count()} events verified.\n")


def test_scenario_1_panel_nominated_at_notification_is_heard_once_the_pack_arrives(run: Run) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run([
        ("leader", "nominate_panel", {"organisation_ids": ["DCC", "PCC"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
    ])
    assert dispute.state == "panel_nominated_early"
    run.run([
        ("NDHT", "save", {}),
        ("RDE", "agree_pack", {}),
        ("NDHT", "agree_pack", {}),
        ("RDE", "submit_documentation", {}),
        ("PCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
    ])

    assert dispute.state == "with_panel"
    assert [m.organisation.code for m in dispute.active_panel] == ["DCC", "PCC"]


def test_an_edit_after_a_party_agreed_the_pack_means_it_must_agree_again(run: Run) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run([
        ("RDE", "save", {}),
        ("RDE", "agree_pack", {}),
        ("NDHT", "save", {"background": "The background statement as NDHT rewrote it"}),
        ("NDHT", "agree_pack", {}),
    ])

    with pytest.raises(RulesRefused) as refused:
        cases.act(dispute, run.who("NDHT"), "submit_documentation")
    assert [(p.message, p.clause) for p in refused.value.problems] == [
        (f"Organisation {run.org('RDE').id} has not agreed the pack as it now stands",
         "Schedule 8, scenario 1, step one"),
    ]
    db.session.rollback()
    run.run([("RDE", "agree_pack", {}), ("NDHT", "submit_documentation", {})])
    assert dispute.state == "documentation_received"


def test_a_panel_member_with_a_conflict_is_replaced_before_the_papers_open(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run([
        ("RDE", "save", {"principles": ["B3"]}),
        ("RDE", "save", {}),
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", {"conflict": True, "details": "We jointly commission the service"}),
        ("leader", "replace_panel_member", {"replace": run.org("DCC").id, "replacement": run.org("PCC").id,
                                            "reason": "DCC declared a conflict"}),
        ("PCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
    ])

    assert dispute.state == "with_panel"
    assert [(m.organisation.code, m.declaration, m.declaration_note, m.active) for m in dispute.panel] == [
        ("DCC", Declaration.CONFLICT, "We jointly commission the service", False),
        ("PCC", Declaration.NO_CONFLICT, "", True),
    ]
    assert dispute_roles(dispute, run.who("DCC")) == frozenset()


def test_a_panel_of_external_experts_records_pdegs_authority(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run([
        ("RDE", "save", {"principles": ["B3"]}),
        ("RDE", "save", {}),
        ("RDE", "submit_report", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["SWAST"], "route": "external",
                                      "external_authority": "PDEG minute 2023/09 (Schedule 6)"}),
    ])

    assert (dispute.panel_route, dispute.external_authority) == (
        PanelRouteColumn.EXTERNAL, "PDEG minute 2023/09 (Schedule 6)"
    )
    assert [m.organisation.code for m in dispute.active_panel] == ["SWAST"]


def test_the_hearing_is_recorded_when_it_was_held_and_a_late_decision_gives_its_reason(run: Run) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:8])
    held_at = run.clock.now + timedelta(minutes=30)
    run.clock.tick(timedelta(days=1))
    run.do("DCC", "hold_hearing", {"held_at": held_at})
    run.clock.tick(timedelta(days=2))
    run.do("NHSE", "present_decision", {"decision": "Exeter", "reasons": "Travel times",
                                         "delay_reason": "Awaiting travel-time analysis"})

    assert stored_event(CaseKind.DISPUTE, dispute.id, "hearing_held").occurred_at == held_at
    decision = stored_event(CaseKind.DISPUTE, dispute.id, "decision_presented")
    assert decision.data["delay_reason"] == "Awaiting travel-time analysis"
    assert dispute.state == "decision_presented"


def _report_scenario(material: str, outcome: str) -> list[Step]:
    return [
        ("RDE", "save", {"principles": ["B3"]}),
        ("RDE", "save", {}),
        ("RDE", f"submit_{material}", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("DCC", "make_recommendation", {"recommendation": "Review the decision", "reasons": "New evidence"}),
        ("leader", "propose_solution", {"outcome": outcome, "proposal": "Keep the decision", "reasons": "Value"}),
        ("RDE", "accept_outcome", {}),
    ]


REPORT_EVENTS = [
    "notified",
    "report_received",
    "panel_nominated",
    "interest_declared",
    "declarations_complete",
    "papers_released",
    "recommendation_made",
    "solution_proposed",
    "outcome_accepted",
    "closed",
]


@pytest.mark.parametrize(
    ("scenario", "outcome"),
    [
        ("scenario_2", "decision_stands"),
        ("scenario_3", "decision_stands"),
        ("scenario_4", "solution"),
    ],
)
def test_scenarios_2_to_4_run_from_report_to_proposal_to_acceptance(run: Run, scenario: str, outcome: str) -> None:
    run.cast.ceo("SDT-CCG")  # the respondent's chief executive has an account before the clock starts
    before = audit_count()
    dispute = run.file("RDE", scenario)
    steps = _report_scenario("report", outcome)
    # Scenario 4's organisation whose practice changed is a party too: it responds to the outcome as well.
    respondents = [p.organisation.code for p in dispute.respondents]
    steps += [(code, "accept_outcome", {}) for code in respondents]
    run.run(steps)

    assert dispute.state == "closed"
    expected = REPORT_EVENTS[:-2] + ["outcome_accepted"] * (1 + len(respondents)) + ["closed"]
    assert event_names(CaseKind.DISPUTE, dispute.id) == expected
    assert [(m.organisation.code, m.declaration) for m in dispute.panel] == [("DCC", Declaration.NO_CONFLICT)]
    assert sorted((r.organisation_id, r.response) for r in dispute.responses) == sorted(
        (run.org(code).id, Response.ACCEPTED) for code in ["RDE", *respondents])
    assert [p.code for p in dispute.principles] == ["B3"]
    assert audit_actions("dispute", dispute.id) == audited(steps)
    assert audit_count() - before == run.operations
    assert chain.verify().ok


def test_a_party_giving_notice_of_withdrawal_closes_the_case_and_leaves_the_mou(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run(_report_scenario("report", "decision_stands")[:-1])
    run.do("RDE", "give_notice_of_withdrawal", {"notice": "Our Board resolved to withdraw."})

    rde = run.org("RDE")
    assert dispute.state == "closed"
    assert [(r.organisation_id, r.response) for r in dispute.responses] == [(rde.id, Response.WITHDREW)]
    assert (rde.mou_status, rde.withdrawal_notice) == (MouStatus.WITHDRAWN, "Our Board resolved to withdraw.")
    assert audit_actions("organisation", rde.id) == ["withdraw_party"]
    assert chain.verify().ok


def test_a_party_giving_notice_of_withdrawal_has_its_pending_ratifications_lapse(run: Run) -> None:
    secretariat, leader = run.cast.secretariat, run.cast.leader
    recommendation = pdeg_ops.raise_recommendation(
        leader, title="Stroke services", summary="Options", decision_sought="Agree option B",
        raised_by=RaisedBy.STP_LEADER, affected=[run.org("RDE"), run.org("PCC")],
    )
    cases.act(recommendation, secretariat, "place_on_agenda", {"meeting_date": "2023-03-01"})
    cases.act(recommendation, secretariat, "agree", {"minute_reference": "M", "reasons": "R"})
    db.session.commit()
    run.file("RDE", "scenario_2")
    run.run(_report_scenario("report", "decision_stands")[:-1])
    run.do("RDE", "give_notice_of_withdrawal", {})

    assert sorted((r.organisation.code, r.state) for r in recommendation.ratifications) == [
        ("PCC", "awaiting_board"),
        ("RDE", "lapsed"),
    ]
    assert chain.verify().ok


def test_a_withdrawn_party_cannot_be_nominated_to_a_panel(run: Run) -> None:
    first = run.file("RDE", "scenario_2")
    run.run(_report_scenario("report", "decision_stands")[:-1])
    run.do("RDE", "give_notice_of_withdrawal", {})
    run.file("PCC", "scenario_2")
    run.run([("PCC", "save", {"principles": ["B3"]}), ("PCC", "save", {}), ("PCC", "submit_report", {})])

    with pytest.raises(OperationError, match="has withdrawn from the MoU and cannot sit on a panel") as refused:
        run.do("leader", "nominate_panel", {"organisation_ids": ["RDE"]})
    assert refused.value.clause == "15"
    assert first.state == "closed"


@pytest.mark.parametrize(
    ("scenario", "outcome", "title"),
    [
        ("scenario_2", "decision_revisited", "A decision to revisit (draft: write its title)"),
        ("scenario_3", "decision_revisited", "A decision to revisit (draft: write its title)"),
        ("scenario_4", "options_paper", "Options paper for PDEG (draft: write its title)"),
    ],
)
def test_a_proposal_for_pdeg_opens_a_draft_recommendation_linked_to_the_dispute(
    run: Run, scenario: str, outcome: str, title: str
) -> None:
    dispute = run.file("RDE", scenario)
    run.run(_report_scenario("report", outcome)[:-1])

    recommendation = db.session.scalars(select(Recommendation)).one()
    assert recommendation.linked_dispute_id == dispute.id
    assert recommendation.title == title  # nothing of the dispute's: the STP Leader writes it (Schedule 3)
    assert (recommendation.state, recommendation.raised_by_kind) == ("draft", RaisedBy.STP_LEADER)
    assert recommendation.affected == []  # he names them; a cited PDEG decision lends its own
    assert audit_actions("recommendation", recommendation.id) == ["draft_recommendation"]


@pytest.mark.parametrize(("scenario", "outcome"), [("scenario_2", "decision_stands"), ("scenario_4", "solution")])
def test_a_proposal_that_settles_the_matter_opens_no_recommendation(run: Run, scenario: str, outcome: str) -> None:
    run.file("RDE", scenario)
    run.run(_report_scenario("report", outcome)[:-1])

    assert db.session.scalars(select(Recommendation)).all() == []


# --- a bespoke process (16.2) -----------------------------------------------------------------------

#: The STP Leader chooses the shape "the panel decides", with the convening left without a deadline.
BESPOKE_DEADLINES = {
    "written_material": (1, "weeks"),
    "panel_nomination": (3, "working_days"),
    "hearing": (0, "none"),
    "decision": (0, "same_day"),
}


def test_a_bespoke_process_runs_end_to_end(run: Run, cast: Cast) -> None:
    dispute = run.file("TC", "bespoke")
    ops.set_out_process(dispute, cast.leader, "panel_decides", BESPOKE_DEADLINES)
    db.session.commit()
    run.run([
        ("TC", "save", {"background": "Shared care records", "issue": "Who pays", "suggested_remedy": "Share",
                        "principles": ["V1"]}),
        ("TC", "submit_written_material", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["LSW", "NHSI"]}),
        ("LSW", "declare_interest", NO_CONFLICT),
        ("NHSI", "declare_interest", NO_CONFLICT),
        ("leader", "release_papers", {}),
        ("LSW", "hold_hearing", {}),
        ("LSW", "present_decision", {"decision": "Split the cost", "reasons": "Both benefit"}),
        ("TC", "accept_outcome", {}),
    ])

    assert (dispute.process_key, dispute.state) == ("bespoke", "closed")
    assert event_names(CaseKind.DISPUTE, dispute.id) == [
        "notified",
        "written_material_received",
        "panel_nominated",
        "interest_declared",
        "interest_declared",
        "declarations_complete",
        "papers_released",
        "hearing_held",
        "decision_presented",
        "outcome_accepted",
        "closed",
    ]
    assert chain.verify().ok


def test_a_bespoke_dispute_follows_the_agreements_standard_process_until_the_stp_leader_sets_another(
    cast: Cast, run: Run,
) -> None:
    dispute = run.file("RDE", "bespoke")

    template = service.current().declaration.bespoke
    assert template is not None
    assert dispute.bespoke_spec == {"shape": next(iter(template.shapes))}
    assert [s.key for s in dispute.definition.steps][-1] == "responses"


@pytest.mark.parametrize(
    ("shape", "deadlines", "message"),
    [
        ("mediation", {}, "choose one of the shapes"),
        ("leader_proposes", {"hearing": (1, "weeks")}, "has no step 'hearing' with a deadline"),
        ("panel_recommends", {"proposal": (0, "weeks")}, "between 1 and 52"),
    ],
)
def test_a_bespoke_process_that_cannot_run_is_not_set_out(
    run: Run, cast: Cast, shape: str, deadlines: Any, message: str,
) -> None:
    dispute = run.file("TC", "bespoke")
    before = (audit_count(), dispute.bespoke_spec)
    with pytest.raises(OperationError, match=message) as refused:
        ops.set_out_process(dispute, cast.leader, shape, deadlines)
    db.session.rollback()

    assert refused.value.clause.startswith("16.2")
    assert (audit_count(), db.session.get(Dispute, dispute.id).bespoke_spec) == before


def test_setting_out_a_process_is_one_audit_event_and_the_dispute_follows_it(run: Run, cast: Cast) -> None:
    dispute = run.file("TC", "bespoke")
    before = audit_count()

    ops.set_out_process(dispute, cast.leader, "leader_proposes", {"proposal": (2, "working_days")})
    db.session.commit()

    assert audit_actions("dispute", dispute.id)[-1] == "set_out_process" and audit_count() - before == 1
    steps = {s.key: s for s in db.session.get(Dispute, dispute.id).definition.steps}
    assert "panel_nomination" not in steps
    assert steps["proposal"].deadline.text == "Within 2 working days of receipt of the written material"


def test_only_the_stp_leader_sets_out_a_process_and_only_before_any_step_after_notification(
    run: Run, cast: Cast,
) -> None:
    dispute = run.file("TC", "bespoke")
    with pytest.raises(OperationError, match="Only the STP Leader"):
        ops.set_out_process(dispute, cast.ceo("TC"), "leader_proposes")
    db.session.rollback()
    run.run([("TC", "save", {"background": "b", "issue": "i", "suggested_remedy": "r", "principles": ["V1"]}),
             ("TC", "submit_written_material", {})])
    before = audit_count()
    with pytest.raises(OperationError, match="before any step after the notification"):
        ops.set_out_process(dispute, cast.leader, "leader_proposes")
    db.session.rollback()
    assert audit_count() == before


def test_filing_is_the_notification_that_starts_the_clock(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")

    assert (dispute.state, dispute.reference) == ("notified", f"D2023-{dispute.id:04d}")
    assert [(e.name, e.occurred_at) for e in stored_events(dispute)] == [("notified", run.clock.now)]


def stored_events(dispute: Dispute) -> list[CaseEvent]:
    return list(db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id)
        .order_by(CaseEvent.id)
    ))


# --- Respondents are parties: never on the panel, whoever calls the operation (issue "Agreements as data") ---


@pytest.mark.parametrize(
    ("process_key", "respondent", "steps_before_panel"),
    [
        # Scenario 4: the organisation whose practice changed (named at filing).
        ("scenario_4", "SDT-CCG", [("RDE", "save", {"principles": ["V1"]}), ("RDE", "submit_report", {})]),
        # A dispute no scenario fits (16.2): the other side named at filing.
        ("bespoke", "TC", [("RDE", "save", {"principles": ["V1"]}), ("RDE", "submit_written_material", {})]),
    ],
)
@pytest.mark.parametrize("with_a_neutral_member", [False, True])
def test_the_operation_refuses_a_respondent_on_the_panel(
    run: Run, cast: Cast, process_key: str, respondent: str, steps_before_panel: list[Step],
    with_a_neutral_member: bool,
) -> None:
    extra = {"respondents": [run.org(respondent)]}
    dispute = run.file("RDE", process_key, **extra)
    for by, action, payload in steps_before_panel:
        if action == "save":
            payload = {**{k: "Text" for k in complete_keys(dispute)}, **payload}
        run.do(by, action, payload)
    before = (audit_count(), dispute.state)
    members = [run.org(respondent).id, *([run.org("NHSE").id] if with_a_neutral_member else [])]

    with pytest.raises(RulesRefused) as refused:
        cases.act(dispute, cast.leader, "nominate_panel", {"organisation_ids": members})
    db.session.rollback()

    problem = next(p for p in refused.value.problems if p.field == "organisation_ids")
    assert "is a party to the dispute and cannot sit on its panel" in problem.message
    assert problem.clause == "16.2"
    stored = db.session.get(Dispute, dispute.id)
    assert (audit_count(), stored.state, stored.active_panel) == (*before, [])


def complete_keys(dispute: Dispute) -> list[str]:
    """Every heading key of the dispute's written material (the reference is filed already)."""
    return [h.field_key() for h in dispute.definition.headings if not h.per_party]


def test_a_respondent_is_a_party_that_sees_is_told_and_responds(run: Run, cast: Cast) -> None:
    dispute = run.file("RDE", "scenario_4", respondents=[run.org("DPT")])

    respondent = cast.ceo("DPT")
    assert dispute.can_view(respondent)
    assert "respondent" in {str(r) for r in dispute_roles(dispute, respondent)}
    assert [p.organisation.code for p in dispute.respondents] == ["DPT"]


# --- Scenario 1's hearing: if either party is called, the other must be present (issue 11, defect 3) ----


@pytest.mark.parametrize(
    ("attended", "reason", "refused"),
    [
        (["RDE"], "", True),  # only the party called: refused, whoever calls the operation
        ([], "", True),
        (["RDE"], "NDHT's chief executive was taken ill on the day; NDHT agreed in writing to go ahead.", False),
        (["RDE", "NDHT"], "", False),
    ],
)
def test_a_hearing_with_a_party_called_needs_the_other_present_or_a_reason(
    run: Run, attended: list[str], reason: str, refused: bool
) -> None:
    run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:9])  # to the call: RDE called, NDHT invited to be present
    dispute = run.dispute
    assert dispute is not None
    before = (audit_count(), dispute.state)
    payload: dict[str, Any] = {"attended": attended, **({"absence_reason": reason} if reason else {})}

    if refused:
        with pytest.raises(RulesRefused) as refusal:
            run.do("DCC", "hold_hearing", payload)
        db.session.rollback()
        problem = refusal.value.problems[0]
        assert (problem.field, problem.clause) == ("attended", "Schedule 8, scenario 1, step three")
        assert "if either party is called, the other must be present" in problem.message
        assert (audit_count(), db.session.get(Dispute, dispute.id).state) == before
    else:
        run.do("DCC", "hold_hearing", payload)
        held = stored_event(CaseKind.DISPUTE, dispute.id, "hearing_held")
        assert held.data.get("absence_reason") == (reason or None)
        assert dispute.state == "hearing_held"


# --- Scenario 1's hearing held on another day than arranged, or after its due date (issue 11, defect 3) ----


def _day(year: int, month: int, day: int, hour: int = 11) -> Any:
    from datetime import UTC, datetime

    return datetime(year, month, day, hour, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("arranged", "held_on", "reason", "refused"),
    [
        # Notified Wed 1 Mar 2023; the panel was nominated the same day: the hearing is due Wed 8 Mar.
        ((2023, 3, 6), (2023, 3, 7), "", True),  # not the day arranged
        ((2023, 3, 6), (2023, 3, 7), "The room flooded; both parties agreed to meet the next day.", False),
        ((2023, 3, 6), (2023, 3, 6), "", False),  # as arranged, on time
        (None, (2023, 3, 10), "", True),  # after the due date (Wed 8 Mar)
        (None, (2023, 3, 10), "A panel member was ill; the parties agreed the new date.", False),
        (None, (2023, 3, 8), "", False),  # on the due day
    ],
)
def test_a_hearing_held_on_another_day_than_arranged_or_late_needs_a_reason(
    run: Run, arranged: tuple[int, int, int] | None, held_on: tuple[int, int, int], reason: str, refused: bool
) -> None:
    from datetime import date

    run.file("RDE", "scenario_1", other="NDHT")
    run.run(SCENARIO_1[:9])
    dispute = run.dispute
    assert dispute is not None
    if arranged is not None:
        run.do("DCC", "schedule_hearing", {"hearing_date": date(*arranged), "arrangements": "Room 2, County Hall"})
    run.clock.now = _day(*held_on, hour=16)
    payload: dict[str, Any] = {"attended": ["RDE", "NDHT"], "held_at": _day(*held_on),
                               **({"date_reason": reason} if reason else {})}
    before = (audit_count(), dispute.state)
    if refused:
        with pytest.raises(RulesRefused) as refusal:
            run.do("DCC", "hold_hearing", payload)
        db.session.rollback()
        problem = refusal.value.problems[0]
        assert (problem.field, problem.clause) == ("date_reason", "Schedule 8, scenario 1, step three")
        expected = "not the day arranged (Mon 6 Mar 2023)" if arranged else "after its due date (Wed 8 Mar 2023)"
        assert expected in problem.message
        assert (audit_count(), db.session.get(Dispute, dispute.id).state) == before
    else:
        run.do("DCC", "hold_hearing", payload)
        held = stored_event(CaseKind.DISPUTE, dispute.id, "hearing_held")
        assert held.data.get("date_reason") == (reason or None)
        assert dispute.state == "hearing_held"


def test_the_stp_leader_adds_the_other_side_when_setting_out_a_process(
    run: Run, cast: Cast, org: Callable[[str], Organisation],
) -> None:
    # Issue 11: a 16.2 dispute's other side may be named by the STP Leader when he sets out its process.
    from govern.notify.models import Notice

    dispute = run.file("TC", "bespoke")
    before = audit_count()
    ops.set_out_process(dispute, cast.leader, "leader_proposes", respondents=[org("DCC")])
    db.session.commit()

    stored = db.session.get(Dispute, dispute.id)
    assert {p.organisation.code for p in stored.respondents} == {"DCC"}
    assert audit_count() - before == 1  # still one operation, one audit event
    assert CaseRole_RESPONDENT in dispute_roles(stored, cast.ceo("DCC"))
    told = db.session.scalars(select(Notice).where(Notice.user_id == cast.ceo("DCC").id)).all()
    assert any("party to a dispute" in n.subject for n in told)


@pytest.mark.parametrize("code", ["TC", "SWAST"])
def test_the_other_side_added_must_be_a_current_party_not_already_in_the_dispute(
    run: Run, cast: Cast, org: Callable[[str], Organisation], code: str,
) -> None:
    dispute = run.file("TC", "bespoke")
    before = audit_count()
    with pytest.raises(OperationError) as refused:
        ops.set_out_process(dispute, cast.leader, "leader_proposes", respondents=[org(code)])
    db.session.rollback()
    assert refused.value.field == "respondent_ids" and refused.value.clause.startswith("16")
    assert audit_count() == before
    assert {p.organisation.code for p in db.session.get(Dispute, dispute.id).respondents} == set()


CaseRole_RESPONDENT = __import__("workflows").CaseRole.RESPONDENT
