"""What a case stores, and what a refused action leaves behind (nothing); due dates from stored events.

A refused action raises ``OperationError`` (``RulesRefused`` when the MoU's rules are not met) naming
the clause; the request rolls back and the dispute is exactly as it was. Due dates are never stored:
``workflows.deadlines.schedule`` computes them from the stored events and extensions, so an extension
or a corrected event time moves them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from govern import cases
from govern.audit import chain
from govern.auth.models import Role, User
from govern.cases.models import CaseEvent, CaseKind, DeadlineExtension
from govern.cases.runner import RulesRefused
from govern.core import clock
from govern.core.errors import OperationError
from govern.disputes import operations as ops
from govern.disputes.facts import definition_of, dispute_facts, dispute_roles
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation
from govern.pdeg import operations as pdeg_ops
from govern.pdeg.models import RaisedBy
from tests.casework import Cast, Run, Step, audit_actions, complete_texts, snapshot, start_run, stored_event
from workflows import CaseRole
from workflows.deadlines import StepStatus, schedule


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def run(cast: Cast, org: Callable[[str], Organisation]) -> Run:
    return start_run(cast, org)


# --- every stored event says what, when and who -------------------------------------------------


def test_a_stored_event_keeps_its_moment_its_data_and_who_recorded_it(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run([("RDE", "save", {"principles": ["B3"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})])
    run.do("leader", "nominate_panel", {"organisation_ids": ["DCC", "PCC"]})

    event = stored_event(CaseKind.DISPUTE, dispute.id, "panel_nominated")
    assert (event.occurred_at, event.recorded_at, event.recorded_by_id) == (
        run.clock.now, run.clock.now, run.cast.leader.id
    )
    assert event.data["organisation_ids"] == run.ids("DCC", "PCC")


# --- who acts: the user's roles relative to the dispute -------------------------------------------


@pytest.mark.parametrize(
    ("role", "code", "roles"),
    [
        (Role.PARTNER_CEO, "RDE", {CaseRole.FILING_PARTY, CaseRole.PARTY}),
        (Role.DEPUTY, "RDE", {CaseRole.FILING_PARTY, CaseRole.PARTY}),
        (Role.PARTNER_CEO, "NDHT", {CaseRole.OTHER_PARTY, CaseRole.PARTY}),
        (Role.BOARD_SECRETARY, "RDE", set()),  # parties represent themselves through their officers
        (Role.PARTNER_CEO, "DCC", {CaseRole.PANEL_MEMBER}),
        (Role.DEPUTY, "DCC", {CaseRole.PANEL_MEMBER}),
        (Role.PARTNER_CEO, "PCC", set()),
        (Role.ADMINISTRATOR, "STP", {CaseRole.ADMINISTRATOR}),
    ],
)
def test_a_users_roles_in_a_dispute(run: Run, role: Role, code: str, roles: set[CaseRole]) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.do("leader", "nominate_panel", {"organisation_ids": ["DCC", "NHSE"]})

    assert dispute_roles(dispute, run.cast.user(role, code)) == roles


def test_the_stp_leader_holds_the_leaders_role(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")

    assert dispute_roles(dispute, run.cast.leader) == {CaseRole.STP_LEADER}


def test_a_deputy_acts_for_their_party(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    deputy = run.cast.deputy("RDE")
    ops.save_written_material(dispute, deputy, complete_texts(dispute), ["B3"])
    cases.act(dispute, deputy, "submit_report")
    db.session.commit()

    assert dispute.state == "report_received"
    assert stored_event(CaseKind.DISPUTE, dispute.id, "report_received").recorded_by_id == deputy.id


# --- refusals change nothing ----------------------------------------------------------------------

REPORTED: list[Step] = [("RDE", "save", {"principles": ["B3"]}), ("RDE", "save", {}), ("RDE", "submit_report", {})]
S2 = "Schedule 8, scenario 2, step one"
S1_WITH_PANEL: list[Step] = [
    ("RDE", "save", {}), ("RDE", "agree_pack", {}), ("NDHT", "agree_pack", {}), ("RDE", "submit_documentation", {}),
    ("leader", "nominate_panel", {"organisation_ids": ["DCC", "PCC"]}),
    ("DCC", "declare_interest", {"conflict": False}), ("PCC", "declare_interest", {"conflict": False}),
    ("leader", "release_papers", {}),
]
S2_WITH_PANEL: list[Step] = [
    *REPORTED,
    ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
    ("DCC", "declare_interest", {"conflict": False}),
    ("leader", "release_papers", {}),
    ("DCC", "make_recommendation", {"recommendation": "R", "reasons": "R"}),
]


def _without(key: str) -> Callable[[Run], dict[str, str]]:
    """Every heading written except ``key``, which is left (or made) empty."""

    def texts(run: Run) -> dict[str, str]:
        assert run.dispute is not None
        return {k: ("" if k == key else v) for k, v in complete_texts(run.dispute).items()} | {key: ""}

    return texts


@pytest.mark.parametrize(
    ("scenario", "before", "who", "action", "payload", "clause", "field"),
    [
        # The written report needs every heading, the decision's reference and a principle (step one).
        ("scenario_2", [("RDE", "texts", _without("impact")), ("RDE", "save", {"principles": ["B3"]})],
         "RDE", "submit_report", {}, S2, "impact"),
        ("scenario_2", [("RDE", "texts", _without("decision_reference")), ("RDE", "save", {"principles": ["B3"]})],
         "RDE", "submit_report", {}, S2, "decision_reference"),
        ("scenario_2", [("RDE", "save", {})],
         "RDE", "submit_report", {}, f"{S2} (Why the decision cannot be supported)", "principles"),
        ("scenario_1", [("RDE", "save", {})],
         "RDE", "submit_documentation", {}, "Schedule 8, scenario 1, step one", None),
        # The panel is neutral, big enough, and drawn from the parties (16.2; Schedule 6 otherwise).
        ("scenario_2", REPORTED, "leader", "nominate_panel", {"organisation_ids": ["RDE", "DCC"]}, "16.2",
         "organisation_ids"),
        ("scenario_1", [], "leader", "nominate_panel", {"organisation_ids": ["DCC"]},
         "Schedule 8, scenario 1, step two", "organisation_ids"),
        ("scenario_2", REPORTED, "leader", "nominate_panel", {"organisation_ids": ["SWAST"]}, "16.2",
         "organisation_ids"),
        ("scenario_2", REPORTED, "leader", "nominate_panel", {"organisation_ids": ["SWAST"], "route": "external"},
         "Schedule 6", "external_authority"),
        ("scenario_2", [*REPORTED, ("leader", "nominate_panel", {"organisation_ids": ["DCC"]})],
         "leader", "release_papers", {}, "16.2", "panel"),
        ("scenario_2", [*REPORTED, ("leader", "nominate_panel", {"organisation_ids": ["DCC"]})],
         "DCC", "declare_interest", {"conflict": True}, "16.2", "details"),
        # Scenario 1's hearing: if either party is called, the other must be present (step three);
        # a decision after the hearing day sets out the reason for the delay (step five).
        ("scenario_1", S1_WITH_PANEL, "DCC", "call_parties", {"called": ["RDE"]},
         "Schedule 8, scenario 1, step three", "invited"),
        ("scenario_1", [*S1_WITH_PANEL, ("DCC", "hold_hearing", {}), ("clock", "tick", {"days": 1})],
         "DCC", "present_decision", {"decision": "D", "reasons": "R"}, "Schedule 8, scenario 1, step five",
         "delay_reason"),
        # The STP Leader's proposal is one the scenario allows (scenario 2, step four).
        ("scenario_2", S2_WITH_PANEL, "leader", "propose_solution",
         {"outcome": "options_paper", "proposal": "P", "reasons": "R"}, "Schedule 8, scenario 2, step four",
         "outcome"),
    ],
)
def test_an_action_whose_rules_are_not_met_is_refused_and_stores_nothing(
    run: Run, scenario: str, before: list[Any], who: str, action: str, payload: dict[str, Any], clause: str,
    field: str | None,
) -> None:
    dispute = _prepare(run, scenario, before)
    unchanged = snapshot(dispute)

    with pytest.raises(OperationError) as refused:
        run.do(who, action, payload)
    db.session.rollback()

    assert (refused.value.clause, refused.value.field) == (clause, field)
    assert snapshot(dispute) == unchanged


@pytest.mark.parametrize(
    ("scenario", "before", "who", "action", "payload", "message", "clause"),
    [
        ("scenario_2", [], "DCC", "submit_report", {}, "Only the party that notified the dispute may", S2),
        ("scenario_2", [], "leader", "submit_report", {}, "Only the party that notified the dispute may", S2),
        ("scenario_2", REPORTED, "RDE", "nominate_panel", {"organisation_ids": ["DCC"]},
         "Only the STP Leader may 'Nominate the panel'", "Schedule 8, scenario 2, step three"),
        ("scenario_2", [*REPORTED, ("leader", "nominate_panel", {"organisation_ids": ["DCC"]})],
         "PCC", "declare_interest", {"conflict": False}, "Only the panel may", "16.2"),
        ("scenario_2", REPORTED, "RDE", "make_recommendation", {"recommendation": "R", "reasons": "R"},
         "is not possible while the case is", "Schedule 8, scenario 2, step one"),
        ("scenario_2", [], "RDE", "accept_outcome", {}, "is not possible while the case is",
         "Schedule 8 (preamble)"),
        ("scenario_2", [], "RDE", "no_such_step", {}, "is not a step of", "Schedule 8, scenario 2"),
        ("scenario_2", [], "RDE", "notify", {"negotiation_attempted": True}, "is not possible while the case is",
         "Schedule 8 (preamble)"),
    ],
)
def test_an_action_the_user_may_not_take_now_is_refused_and_stores_nothing(
    run: Run, scenario: str, before: list[Any], who: str, action: str, payload: dict[str, Any], message: str,
    clause: str,
) -> None:
    dispute = _prepare(run, scenario, before)
    unchanged = snapshot(dispute)

    with pytest.raises(OperationError, match=message) as refused:
        run.do(who, action, payload)
    db.session.rollback()

    assert not isinstance(refused.value, RulesRefused)
    assert refused.value.clause == clause
    assert snapshot(dispute) == unchanged


def _prepare(run: Run, scenario: str, before: list[Any]) -> Dispute:
    dispute = run.file("RDE", scenario, other="NDHT" if scenario == "scenario_1" else None)
    for who, action, payload in before:
        if action == "texts":
            run.do(who, "save", payload(run))
        elif who == "clock":
            run.clock.tick(timedelta(**payload))
        else:
            run.do(who, action, payload)
    return dispute


def test_a_closed_dispute_takes_no_more_actions(run: Run) -> None:
    dispute = run.file("RDE", "scenario_4")
    run.run([
        *REPORTED,
        ("leader", "nominate_panel", {"organisation_ids": ["DCC"]}),
        ("DCC", "declare_interest", {"conflict": False}),
        ("leader", "release_papers", {}),
        ("DCC", "make_recommendation", {"recommendation": "R", "reasons": "R"}),
        ("leader", "propose_solution", {"outcome": "solution", "proposal": "P", "reasons": "R"}),
        ("RDE", "accept_outcome", {}),
        ("SDT-CCG", "accept_outcome", {}),  # the organisation whose practice changed is a party: it responds too
    ])
    unchanged = snapshot(dispute)

    with pytest.raises(OperationError, match="nothing more can happen"):
        run.do("RDE", "give_notice_of_withdrawal", {})
    db.session.rollback()
    assert snapshot(dispute) == unchanged


@pytest.mark.parametrize(
    ("who", "texts", "message"),
    [
        ("DCC", {"background": "B"}, "Only the parties to the dispute write its papers"),
        ("leader", {"background": "B"}, "Only the parties to the dispute write its papers"),
        ("RDE", {"not_a_heading": "B"}, "Unknown headings: not_a_heading"),
    ],
)
def test_written_material_is_written_by_the_parties_under_the_scenarios_headings(
    run: Run, who: str, texts: dict[str, str], message: str
) -> None:
    dispute = run.file("RDE", "scenario_2")
    unchanged = snapshot(dispute)

    with pytest.raises(OperationError, match=message):
        run.do(who, "save", texts)
    db.session.rollback()
    assert snapshot(dispute) == unchanged


def test_written_material_cannot_change_once_submitted(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run(REPORTED)
    unchanged = snapshot(dispute)

    with pytest.raises(OperationError, match="already been sent and can no longer be changed"):
        run.do("RDE", "save", {"background": "Second thoughts"})
    db.session.rollback()
    assert snapshot(dispute) == unchanged


def test_principles_must_come_from_schedule_3(run: Run) -> None:
    run.file("RDE", "scenario_2")

    with pytest.raises(OperationError, match="Choose principles from Schedule 3") as refused:
        run.do("RDE", "save", {"principles": ["Z99"]})
    assert refused.value.clause == "Schedule 3"


def test_saving_the_same_text_again_records_no_audit_event(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.do("RDE", "save", {"background": "Context"})
    run.do("RDE", "save", {"background": "Context"})

    assert audit_actions("dispute", dispute.id) == ["notify", "save_written_material"]


@pytest.mark.parametrize(
    ("role", "code", "negotiation_attempted", "message"),
    [
        (Role.BOARD_SECRETARY, "RDE", True, "Only a partner chief executive or nominated deputy"),
        (Role.PARTNER_CEO, "STP", True, "is not a party to the MoU"),
        (Role.PARTNER_CEO, "SWAST", True, "is not a party to the MoU"),
        (Role.PARTNER_CEO, "RDE", False, "Confirm that the parties have tried to resolve the dispute"),
    ],
)
def test_a_dispute_that_may_not_be_brought_is_not_filed(
    run: Run, role: Role, code: str, negotiation_attempted: bool, message: str
) -> None:
    user = run.cast.user(role, code)
    unchanged = (chain.verify().checked, db.session.scalars(select(Dispute)).all())

    with pytest.raises(OperationError, match=message):
        ops.file_dispute(user, process_key="scenario_2", title="Title", negotiation_attempted=negotiation_attempted,
                         negotiation_account="", decision_reference="PDEG minute 1")
    db.session.rollback()
    assert (chain.verify().checked, db.session.scalars(select(Dispute)).all()) == unchanged
    assert db.session.scalars(select(CaseEvent)).all() == []


def test_a_response_is_given_once(run: Run) -> None:
    dispute = run.file("RDE", "scenario_1", other="NDHT")
    run.run([
        ("RDE", "save", {}), ("RDE", "agree_pack", {}), ("NDHT", "agree_pack", {}),
        ("RDE", "submit_documentation", {}),
        ("leader", "nominate_panel", {"organisation_ids": ["DCC", "PCC"]}),
        ("DCC", "declare_interest", {"conflict": False}), ("PCC", "declare_interest", {"conflict": False}),
        ("leader", "release_papers", {}), ("DCC", "hold_hearing", {}),
        ("DCC", "present_decision", {"decision": "D", "reasons": "R"}),
        ("RDE", "accept_outcome", {}),
    ])
    unchanged = snapshot(dispute)

    with pytest.raises(RulesRefused, match="Your organisation has already responded to the outcome") as refused:
        run.do("RDE", "give_notice_of_withdrawal", {})
    db.session.rollback()
    assert refused.value.clause == "15"
    assert snapshot(dispute) == unchanged


# --- due dates from stored events -----------------------------------------------------------------


def _due(dispute: Dispute, step: str, now: datetime | None = None) -> tuple[date | None, StepStatus]:
    facts = dispute_facts(dispute)
    rows = schedule(definition_of(dispute), facts.events, facts.extensions, now or clock.now())
    row = next(r for r in rows if r.step == step)
    return row.due_date, row.status


# The dispute is filed on Wednesday 1 March 2023 at 11:00; each later operation is an hour after the last.
@pytest.mark.parametrize(
    ("steps", "step", "due", "status"),
    [
        ([], "report", date(2023, 3, 8), StepStatus.DUE),  # 1 week after notification
        ([], "panel_nomination", None, StepStatus.NOT_YET_DUE),
        (REPORTED, "report", date(2023, 3, 8), StepStatus.DONE_ON_TIME),
        (REPORTED, "panel_nomination", date(2023, 3, 6), StepStatus.DUE),  # 3 working days after the report
        (REPORTED, "proposal", date(2023, 3, 8), StepStatus.DUE),  # 1 week after the report
    ],
)
def test_due_dates_follow_from_the_stored_events(
    run: Run, steps: list[Step], step: str, due: date | None, status: StepStatus
) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run(steps)

    assert _due(dispute, step) == (due, status)


def test_a_step_not_done_by_its_due_day_is_overdue(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")

    assert _due(dispute, "report", datetime(2023, 3, 9, 9, 0, tzinfo=UTC)) == (date(2023, 3, 8), StepStatus.OVERDUE)


def test_the_stp_leader_extends_a_deadline_giving_the_reason(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.do("leader", "extend_deadline", {"step": "report", "due_date": "2023-03-15", "reason": "Board meets 14th"})

    extension = db.session.scalars(select(DeadlineExtension)).one()
    assert (extension.case_id, extension.step_key, extension.due_date, extension.reason, extension.granted_by_id) == (
        dispute.id, "report", date(2023, 3, 15), "Board meets 14th", run.cast.leader.id
    )
    assert _due(dispute, "report", datetime(2023, 3, 9, 9, 0, tzinfo=UTC)) == (date(2023, 3, 15), StepStatus.DUE)
    assert audit_actions("dispute", dispute.id) == ["notify", "extend_deadline"]


@pytest.mark.parametrize(
    ("who", "payload", "message"),
    [
        ("RDE", {"step": "report", "due_date": "2023-03-15", "reason": "R"}, "Only the STP Leader may"),
        ("leader", {"step": "report", "due_date": "2023-03-07", "reason": "R"}, "must be after the current due date"),
        ("leader", {"step": "report", "due_date": "2023-03-15"}, "Enter the reason"),
    ],
)
def test_an_extension_that_does_not_move_a_deadline_later_is_refused(
    run: Run, who: str, payload: dict[str, Any], message: str
) -> None:
    dispute = run.file("RDE", "scenario_2")
    unchanged = snapshot(dispute)

    with pytest.raises(OperationError, match=message):
        run.do(who, "extend_deadline", payload)
    db.session.rollback()
    assert snapshot(dispute) == unchanged
    assert db.session.scalars(select(DeadlineExtension)).all() == []


def test_correcting_when_the_report_arrived_moves_the_dates_that_follow(run: Run) -> None:
    dispute = run.file("RDE", "scenario_2")
    run.run(REPORTED)
    recorded = stored_event(CaseKind.DISPUTE, dispute.id, "report_received").occurred_at
    actually = datetime(2023, 3, 3, 16, 0, tzinfo=UTC)  # Friday: the report came in by post
    run.clock.tick(timedelta(days=3))
    ops.correct_event_time(dispute, run.cast.leader, "report_received", actually, "Arrived by post on Friday")
    db.session.commit()

    event = stored_event(CaseKind.DISPUTE, dispute.id, "report_received")
    assert (event.occurred_at, event.corrected_from, event.correction_reason) == (
        actually, recorded, "Arrived by post on Friday"
    )
    assert _due(dispute, "panel_nomination")[0] == date(2023, 3, 8)  # 3 working days after Friday
    assert _due(dispute, "proposal")[0] == date(2023, 3, 10)
    assert audit_actions("dispute", dispute.id)[-1] == "correct_event_time"
    assert chain.verify().ok


@pytest.mark.parametrize(
    ("who", "event", "when", "reason", "message"),
    [
        ("RDE", "notified", datetime(2023, 3, 1, 9, tzinfo=UTC), "R", "Only the STP Leader corrects"),
        ("leader", "notified", datetime(2023, 3, 1, 9, tzinfo=UTC), " ", "Give the reason"),
        ("leader", "notified", datetime(2023, 4, 1, 9, tzinfo=UTC), "R", "cannot be in the future"),
        ("leader", "report_received", datetime(2023, 3, 1, 9, tzinfo=UTC), "R", "has not been recorded"),
    ],
)
def test_a_correction_that_cannot_be_made_is_refused(
    run: Run, who: str, event: str, when: datetime, reason: str, message: str
) -> None:
    dispute = run.file("RDE", "scenario_2")
    unchanged = snapshot(dispute)

    with pytest.raises(OperationError, match=message):
        ops.correct_event_time(dispute, run.who(who), event, when, reason)
    db.session.rollback()
    assert snapshot(dispute) == unchanged


# --- references -----------------------------------------------------------------------------------


def test_a_dispute_filed_at_any_moment_gets_its_reference(run: Run) -> None:
    run.clock.now = datetime(2023, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)  # the real clock has microseconds
    dispute = run.file("RDE", "scenario_2")

    assert dispute.reference == f"D2023-{dispute.id:04d}"


def test_a_recommendation_raised_at_any_moment_gets_its_reference(run: Run) -> None:
    clock.freeze(datetime(2023, 3, 1, 10, 0, 0, 123456, tzinfo=UTC))
    recommendation = pdeg_ops.raise_recommendation(
        run.cast.leader, title="Stroke services", summary="Options", decision_sought="Agree option B",
        raised_by=RaisedBy.STP_LEADER, affected=[run.org("RDE")],
    )
    db.session.commit()

    assert recommendation.reference == f"R2023-{recommendation.id:04d}"


def test_a_late_decision_is_refused_with_its_due_day_in_words(run: Run) -> None:
    """Dates in messages read as people write them (issue 12, defect 4), never as 2023-03-08."""
    dispute = _prepare(run, "scenario_1", [*S1_WITH_PANEL, ("DCC", "hold_hearing", {}), ("clock", "tick", {"days": 1})])
    with pytest.raises(RulesRefused) as refused:
        cases.act(dispute, run.who("DCC"), "present_decision", {"decision": "D", "reasons": "R"})
    message = str(refused.value)
    assert "after the due day (" in message
    due = message.split("due day (")[1].split(")")[0]
    assert len(due.split()) == 4 and due.split()[0] in {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}, due
