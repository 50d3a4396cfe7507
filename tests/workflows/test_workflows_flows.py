"""Whole processes run end to end through the one engine."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.workflows.support import (
    PANEL,
    PARTIES,
    SPARE,
    START,
    Driver,
    actor,
    dispute,
    drive_dispute,
    filer,
    leader,
    panel_member,
    party,
    ratification,
    recommendation,
    with_material,
)
from workflows import RulesNotMet, SpecError, TransitionNotAllowed, engine, registry
from workflows.deadlines import StepStatus, schedule
from workflows.definitions import EffectKind
from workflows.facts import DeclarationStatus, DisputeFacts, RecommendationFacts
from workflows.roles import CaseRole

SECRETARIAT = actor(CaseRole.PDEG_SECRETARIAT)
SYSTEM = actor(CaseRole.SYSTEM)


def secretary(org: int):
    return actor(CaseRole.BOARD_SECRETARY, org=org)


PATHS = {
    "scenario_1": [
        "notified",
        "documentation_received",
        "panel_nominated",
        "panel_nominated",
        "panel_nominated",
        "with_panel",
        "hearing_held",
        "decision_presented",
        "decision_presented",
        "closed",
    ],
    **{
        k: [
            "notified",
            "report_received",
            "panel_nominated",
            "panel_nominated",
            "with_panel",
            "recommendation_made",
            "solution_proposed",
            "closed",
        ]
        for k in ("scenario_2", "scenario_3")
    },
    # Scenario 4's respondent (the organisation whose practice changed) is a party: it responds too.
    "scenario_4": [
        "notified",
        "report_received",
        "panel_nominated",
        "panel_nominated",
        "with_panel",
        "recommendation_made",
        "solution_proposed",
        "solution_proposed",
        "closed",
    ],
}


@pytest.mark.parametrize("process", PATHS)
def test_scenario_runs_end_to_end_on_time(process: str) -> None:
    d = drive_dispute(process)
    assert [o.state_after for o in d.history] == PATHS[process]
    assert d.history[-1].effects[-1].kind is EffectKind.DISPUTE_CLOSED
    rows = schedule(d.definition, d.facts.events, d.facts.extensions, d.now)
    assert {r.status for r in rows} == {StepStatus.DONE_ON_TIME}
    for outcome in d.history:  # what the app stores is JSON
        json.dumps([dict(e.data) for e in outcome.events] + [dict(e.data) for e in outcome.effects])


def test_closed_dispute_stays_closed() -> None:
    d = drive_dispute("scenario_2")
    for trigger in d.definition.triggers:
        for role in CaseRole:
            with pytest.raises(TransitionNotAllowed, match="closed"):
                engine.fire(d.definition, d.facts, actor(role, org=1), trigger, {}, d.now)
    assert engine.available(d.definition, d.facts, leader()) == []


def test_scenario_1_panel_selected_at_the_point_of_notification() -> None:
    d = drive_dispute("scenario_1", "notified")
    d.fire("nominate_panel", leader(), {"organisation_ids": [3, 4]})
    assert d.facts.state == "panel_nominated_early"
    for org in PANEL:
        d.fire("declare_interest", panel_member(org), {"conflict": False})
    offered = {i.trigger for i in engine.available(d.definition, d.facts, leader())}
    assert "release_papers" not in offered  # there are no papers yet
    assert isinstance(d.facts, DisputeFacts)
    d.facts = with_material(d.definition, d.facts, agreed=False)
    d.fire("agree_pack", party(1))
    with pytest.raises(RulesNotMet, match="Organisation 2 has not agreed"):
        d.fire("submit_documentation", party(1))
    d.fire("agree_pack", party(2))
    d.fire("submit_documentation", party(2))
    assert d.facts.state == "panel_nominated"
    d.fire("release_papers", leader())
    assert d.facts.state == "with_panel"


def test_conflicted_member_is_replaced_before_the_papers_open() -> None:
    d = drive_dispute("scenario_3", "panel_nominated")
    out = d.fire("declare_interest", panel_member(PANEL[0]), {"conflict": True, "details": "Shared contract"})
    assert [e.name for e in out.events] == ["interest_declared"]
    with pytest.raises(RulesNotMet, match="must be replaced"):
        d.fire("release_papers", leader())
    d.fire("replace_panel_member", leader(), {"replace": PANEL[0], "replacement": SPARE, "reason": "Conflict"})
    assert isinstance(d.facts, DisputeFacts)
    assert {(m.organisation_id, m.declaration) for m in d.facts.panel} == {(SPARE, DeclarationStatus.PENDING)}
    out = d.fire("declare_interest", panel_member(SPARE), {"conflict": False})
    assert [e.name for e in out.events] == ["interest_declared", "declarations_complete"]
    d.fire("release_papers", leader())
    assert d.facts.state == "with_panel"


def test_calling_one_party_invites_the_other_and_a_late_decision_gives_its_reason() -> None:
    d = drive_dispute("scenario_1", "with_panel")
    out = d.fire("call_parties", panel_member(PANEL[0]), {"called": [2], "invited": [1]})
    assert out.state_after == "with_panel"
    with pytest.raises(RulesNotMet):  # the one fold tracks who was called: both must be present
        d.fire("hold_hearing", panel_member(PANEL[1]), {"attended": [2]})
    d.fire("hold_hearing", panel_member(PANEL[1]), {"attended": [1, 2]})
    with pytest.raises(RulesNotMet) as refused:
        d.fire("present_decision", panel_member(PANEL[0]), {"decision": "A", "reasons": "B"}, timedelta(days=1))
    assert refused.value.problems[0].field == "delay_reason"
    out = d.fire(
        "present_decision",
        panel_member(PANEL[0]),
        {"decision": "A", "reasons": "B", "delay_reason": "Needed activity figures"},
    )
    assert out.events[0].data["delay_reason"] == "Needed activity figures"
    row = next(r for r in schedule(d.definition, d.facts.events, {}, d.now) if r.step == "decision")
    assert row.status is StepStatus.DONE_LATE


@pytest.mark.parametrize(
    ("process", "outcome", "opens"),
    [
        ("scenario_2", "decision_stands", False),
        ("scenario_2", "decision_revisited", True),
        ("scenario_3", "decision_revisited", True),
        ("scenario_4", "solution", False),
        ("scenario_4", "options_paper", True),
    ],
)
def test_revisited_decisions_and_options_papers_go_back_to_pdeg(process: str, outcome: str, opens: bool) -> None:
    d = drive_dispute(process, "recommendation_made")
    out = d.fire("propose_solution", leader(), {"outcome": outcome, "proposal": "P", "reasons": "Because"})
    opened = [e for e in out.effects if e.kind is EffectKind.OPEN_RECOMMENDATION]
    assert bool(opened) is opens
    if opens:
        assert opened[0].data["dispute_process"] == process and opened[0].data["kind"] == outcome


def test_scenario_1_withdrawal_after_the_decision_lapses_ratifications_and_closes() -> None:
    d = drive_dispute("scenario_1", "decision_presented")
    out = d.fire("give_notice_of_withdrawal", party(2), {"notice": "We cannot accept the site"})
    assert out.state_after == "decision_presented"
    assert [e.kind for e in out.effects] == [EffectKind.PARTY_WITHDRAWS, EffectKind.LAPSE_RATIFICATIONS]
    assert isinstance(d.facts, DisputeFacts) and 2 in d.facts.withdrawn_organisations
    with pytest.raises(RulesNotMet):
        d.fire("give_notice_of_withdrawal", party(2))
    out = d.fire("accept_outcome", party(1))
    assert out.state_after == "closed" and out.effects[-1].kind is EffectKind.DISPUTE_CLOSED


def test_stp_leader_closes_when_a_party_left_the_mou_elsewhere() -> None:
    d = drive_dispute("scenario_1", "decision_presented")
    d.fire("accept_outcome", party(1))
    with pytest.raises(RulesNotMet):
        d.fire("close", leader())
    d.edit(withdrawn_organisations=frozenset({2}), current_parties=PARTIES - {2})
    assert d.fire("close", leader()).state_after == "closed"


def test_extension_is_recorded_and_moves_the_deadline() -> None:
    d = drive_dispute("scenario_2", "notified")
    d.fire("extend_deadline", leader(), {"step": "report", "due_date": "2023-03-15", "reason": "Board meets 14th"})
    row = next(r for r in schedule(d.definition, d.facts.events, d.facts.extensions, d.now) if r.step == "report")
    assert (row.due_date, row.extension_reason) == (date(2023, 3, 15), "Board meets 14th")


def test_available_lists_what_the_panel_may_do_in_the_mous_words() -> None:
    d = drive_dispute("scenario_1", "with_panel")
    offered = {i.trigger: i for i in engine.available(d.definition, d.facts, panel_member(PANEL[0]))}
    assert set(offered) == {"call_parties", "schedule_hearing", "hold_hearing"}
    assert offered["hold_hearing"].clause == "Schedule 8, scenario 1, step three"
    assert engine.available(d.definition, d.facts, panel_member(SPARE)) == []  # not on this panel


def test_every_state_and_step_has_a_title_and_clause() -> None:
    for key in registry.process_keys():
        definition = registry.get(key)
        for item in (*definition.states, *definition.steps, *definition.transitions):
            assert item.clause.strip()
        for item in (*definition.states, *definition.steps):
            assert item.title.strip()


# --- PDEG recommendation and ratification -----------------------------------------------------------


def _agreed_recommendation(**overrides: object) -> Driver:
    d = Driver(registry.get("recommendation"), recommendation(**overrides))
    d.fire("raise_recommendation", actor(CaseRole.RAISER))
    d.fire("place_on_agenda", SECRETARIAT, {"meeting_date": date(2023, 3, 1)})
    d.fire("defer", SECRETARIAT, {"minute_reference": "PDEG/23/1", "reasons": "Needs costing"})
    assert d.facts.state == "raised"
    d.fire("place_on_agenda", SECRETARIAT, {"meeting_date": date(2023, 3, 29)})
    with pytest.raises(RulesNotMet, match=r"10\.5"):
        d.fire("agree", SECRETARIAT, {"minute_reference": "PDEG/23/2", "reasons": "Affordable"})
    out = d.fire("agree", SECRETARIAT, {"minute_reference": "PDEG/23/2", "reasons": "Affordable"}, timedelta(28))
    start = out.effects[0]
    assert start.kind is EffectKind.START_RATIFICATION
    return d


def test_recommendation_is_ratified_when_every_affected_board_has_ratified() -> None:
    d = _agreed_recommendation()
    boards = {
        org: Driver(registry.get("ratification"), ratification(organisation_id=org), now=d.now) for org in (1, 2, 3)
    }
    minute = {"meeting_date": date(2023, 3, 29), "minute_reference": "B/7"}
    for org in (1, 2):
        out = boards[org].fire("ratify", secretary(org), minute)
        assert out.effects[0].kind is EffectKind.CHECK_RATIFICATION
    out = boards[3].fire("not_ratify", secretary(3), {**minute, "reasons": "Unaffordable for us"})
    assert out.effects[0].kind is EffectKind.OFFER_DISPUTE
    assert out.effects[0].data == {"organisation_id": 3, "process": "scenario_2", "decision_reference": "REC-1"}
    d.edit(ratified_by=frozenset({1, 2}))
    with pytest.raises(RulesNotMet, match="organisation 3"):
        d.fire("conclude_ratification", SYSTEM)
    boards[3].fire("ratify", secretary(3), minute)  # the Board reconsiders at a later meeting
    d.edit(ratified_by=frozenset({1, 2, 3}))
    out = d.fire("conclude_ratification", SYSTEM)
    assert (out.state_after, out.effects[0].kind) == ("ratified", EffectKind.DECISION_RATIFIED)


def test_an_amendment_restarts_ratification() -> None:
    d = _agreed_recommendation()
    d.edit(ratified_by=frozenset({1}))
    out = d.fire(
        "amend",
        SECRETARIAT,
        {"amendment": "Phase over two years", "minute_reference": "P/3", "reasons": "Board feedback"},
    )
    assert out.effects[0].kind is EffectKind.RESTART_RATIFICATION
    assert out.effects[0].data["version"] == 2
    assert isinstance(d.facts, RecommendationFacts) and d.facts.ratified_by == frozenset()
    old = ratification(current_version=2)
    assert [i.trigger for i in engine.available(registry.get("ratification"), old, SYSTEM)] == ["supersede"]


def test_a_withdrawing_partys_ratification_lapses_and_no_longer_holds_up_the_decision() -> None:
    d = _agreed_recommendation()
    board = Driver(
        registry.get("ratification"), ratification(organisation_id=3, withdrawn_organisations=frozenset({3}))
    )
    assert board.fire("lapse", SYSTEM).state_after == "lapsed"
    d.edit(ratified_by=frozenset({1, 2}), withdrawn_organisations=frozenset({3}), current_parties=PARTIES - {3})
    assert d.fire("conclude_ratification", SYSTEM).state_after == "ratified"


def test_a_subordinate_group_records_a_decision_within_delegated_powers_without_pdeg() -> None:
    d = Driver(registry.get("recommendation"), recommendation())
    d.fire("raise_recommendation", actor(CaseRole.RAISER))
    out = d.fire("record_within_delegation", actor(CaseRole.RAISER), {"basis": "Each FD's own limits"})
    assert registry.get("recommendation").is_terminal(out.state_after)


def test_a_variation_goes_to_every_partys_board() -> None:
    d = _agreed_recommendation(is_variation=True, affected_parties=PARTIES)
    assert d.history[-1].effects[0].data["organisation_ids"] == sorted(PARTIES)


# --- Processes set out for one dispute (16.2): the agreement's shapes -----------------------------------

SPEC = {"shape": "panel_decides", "deadlines": {"written_material": {"amount": 2, "unit": "weeks"},
                                                "panel_nomination": {"amount": 5, "unit": "working_days"},
                                                "hearing": {"amount": 2, "unit": "weeks"}}}


def test_a_shape_set_out_runs_end_to_end_through_the_same_engine() -> None:
    definition = registry.bespoke(json.loads(json.dumps(SPEC)))
    d = drive_dispute("bespoke", definition=definition)
    assert [o.trigger for o in d.history] == [
        "notify",
        "submit_written_material",
        "nominate_panel",
        "declare_interest",
        "release_papers",
        "hold_hearing",
        "present_decision",
        "accept_outcome",
    ]
    assert d.facts.state == "closed"
    rows = {r.step: r for r in schedule(definition, d.facts.events, {}, d.now)}
    assert rows["written_material"].due_date == date(2023, 3, 15)
    assert rows["panel_nomination"].due_date == date(2023, 3, 8)
    assert rows["hearing"].deadline_text == "Within 2 weeks of the panel receiving the papers"
    assert rows["decision"].deadline_text == "On the day of the hearing or as soon as possible thereafter"
    assert all(s.clause.startswith("16.2") for s in definition.steps if s.key != "notification")


@pytest.mark.parametrize("shape", ["panel_recommends", "panel_decides", "leader_proposes"])
def test_every_shape_of_devons_file_runs_end_to_end(shape: str) -> None:
    d = drive_dispute("bespoke", definition=registry.bespoke({"shape": shape}))
    assert d.facts.state == "closed"


def test_the_rules_of_a_shape_apply_the_mou_as_the_scenarios_do() -> None:
    definition = registry.bespoke(SPEC)
    d = Driver(definition, dispute("bespoke"))
    d.fire("notify", filer(), {"negotiation_attempted": True})
    with pytest.raises(RulesNotMet) as refused:
        d.fire("submit_written_material", filer())
    assert {p.field for p in refused.value.problems} == {"background", "issue", "suggested_remedy", "principles"}
    d.facts = with_material(definition, d.facts)  # type: ignore[arg-type]
    d.fire("submit_written_material", filer())
    with pytest.raises(RulesNotMet, match="party to the dispute"):
        d.fire("nominate_panel", leader(), {"organisation_ids": [1, 3]})


def test_a_step_without_a_deadline_and_one_on_the_day() -> None:
    definition = registry.bespoke({"shape": "panel_recommends", "deadlines": {
        "recommendation": {"unit": "none"}, "proposal": {"amount": 9, "unit": "same_day"}}})
    steps = {s.key: s for s in definition.steps}
    assert steps["recommendation"].deadline is None
    assert (steps["proposal"].deadline.amount, steps["proposal"].deadline.text) == (  # type: ignore[union-attr]
        0, "On the day of receiving the recommendation or as soon as possible thereafter")


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({}, "missing 'shape'"),
        ({"shape": "mediation"}, "choose one of the shapes: panel_recommends, panel_decides, leader_proposes"),
        ({"shape": "leader_proposes", "deadlines": {"hearing": {"amount": 1, "unit": "weeks"}}},
         "has no step 'hearing' with a deadline"),
        ({"shape": "leader_proposes", "deadlines": {"proposal": {"amount": 1, "unit": "fortnights"}}}, "unit"),
        ({"shape": "leader_proposes", "deadlines": {"proposal": {"amount": 0, "unit": "weeks"}}}, "between 1 and 52"),
        ({"shape": "leader_proposes", "colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_a_choice_that_cannot_run_is_refused_clearly(choice: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        registry.bespoke(choice)


def test_unknown_process_key_is_refused() -> None:
    with pytest.raises(KeyError, match="bespoke"):
        registry.get("scenario_5")


def test_trigger_from_another_process_is_refused() -> None:
    d = drive_dispute("scenario_2", "notified")
    with pytest.raises(TransitionNotAllowed, match="not a step"):
        engine.fire(d.definition, d.facts, leader(), "ratify", {}, d.now)
    with pytest.raises(TransitionNotAllowed, match="not possible while"):
        engine.fire(d.definition, d.facts, leader(), "propose_solution", {}, d.now)


def test_fire_never_changes_the_facts_it_was_given() -> None:
    d = drive_dispute("scenario_2", "report_received")
    before = replace(d.facts)
    engine.fire(d.definition, d.facts, leader(), "nominate_panel", {"organisation_ids": [3]}, START + timedelta(1))
    assert d.facts == before


def test_workflows_import_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys, workflows, workflows.engine, workflows.registry, workflows.deadlines, "
        "tests.workflows.support; bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', "
        "'flask_sqlalchemy', 'govern')]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr


def _dispute_definitions() -> list:
    agreement = registry.default()
    shapes = [registry.bespoke({"shape": key}) for key in agreement.declaration.bespoke.shapes]  # type: ignore[union-attr]
    return [*agreement.dispute_processes, *shapes]


@pytest.mark.parametrize("definition", _dispute_definitions(), ids=lambda d: d.title.split(":")[-1][:30])
def test_every_open_state_may_extend_exactly_the_steps_with_deadlines(definition) -> None:
    """Written out by hand in the file, these must not drift: a deadline may be extended (16.2) from every
    state between notification and the end, and the steps offered are those with a deadline."""
    open_states = {s.name for s in definition.states if not s.terminal} - {definition.initial}
    assert definition.sources_of("extend_deadline") == open_states
    for t in definition.transitions_for("extend_deadline"):
        assert t.fields[0].choices == tuple(s.key for s in definition.steps if s.deadline is not None)


@pytest.mark.parametrize("definition", _dispute_definitions(), ids=lambda d: d.title.split(":")[-1][:30])
def test_every_panel_nominated_in_a_dispute_is_neutral(definition) -> None:
    nominations = definition.transitions_for("nominate_panel")
    assert all("nominated_panel_valid" in [r.check.__qualname__.split(".")[0] for r in t.rules] for t in nominations)
