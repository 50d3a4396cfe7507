"""Each of the MoU's rules refuses what it should, naming its clause and (for form input) the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest

from tests.workflows.support import (
    OUTSIDER,
    PANEL,
    PARTIES,
    SPARE,
    START,
    actor,
    facts_in,
    filer,
    leader,
    panel_member,
    party,
)
from workflows import RulesNotMet, engine, registry
from workflows.facts import (
    Actor,
    DeclarationStatus,
    DisputeFacts,
    DisputeParty,
    Facts,
    PanelMember,
    RaiserKind,
)
from workflows.roles import CaseRole
from workflows.rules import pack_digest

S8 = "Schedule 8"
NEXT_DAY = START + timedelta(days=1)
SECRETARIAT = actor(CaseRole.PDEG_SECRETARIAT)
RAISER = actor(CaseRole.RAISER)


@dataclass(frozen=True)
class Case:
    """One refusal: where the case is, who acts, how the facts differ, and the clause/field expected."""

    process: str
    state: str
    trigger: str
    who: Actor
    clause: str
    field: str | None
    payload: Mapping[str, object] | None = None
    change: Callable[[Facts], Facts] = lambda f: f
    now_offset: timedelta = timedelta(days=0)


def _material(**changes: str) -> Callable[[Facts], Facts]:
    def change(f: Facts) -> Facts:
        assert isinstance(f, DisputeFacts)
        material = {**f.written_material, **changes}
        return replace(f, written_material={k: v for k, v in material.items() if v})

    return change


def _parties(*parties: DisputeParty) -> Callable[[Facts], Facts]:
    return lambda f: replace(f, parties=parties)  # type: ignore[arg-type]


def _set(**changes: object) -> Callable[[Facts], Facts]:
    return lambda f: replace(f, **changes)  # type: ignore[arg-type]


def _agreed_by_one(f: Facts) -> Facts:
    assert isinstance(f, DisputeFacts)
    return replace(f, pack_agreements={1: pack_digest(f.written_material)})


def _edited_after_agreement(f: Facts) -> Facts:
    assert isinstance(f, DisputeFacts)
    return replace(f, written_material={**f.written_material, "background": "Edited since"})


def _declared(status: DeclarationStatus) -> Callable[[Facts], Facts]:
    return _set(panel=(PanelMember(PANEL[0], DeclarationStatus.NO_CONFLICT), PanelMember(PANEL[1], status)))


def _with_material(process: str) -> Callable[[Facts], Facts]:
    from tests.workflows.support import with_material

    def change(f: Facts) -> Facts:
        assert isinstance(f, DisputeFacts)
        return with_material(registry.get(process), f)

    return change


def _then(*changes: Callable[[Facts], Facts]) -> Callable[[Facts], Facts]:
    def change(f: Facts) -> Facts:
        for c in changes:
            f = c(f)
        return f

    return change


NOTIFY = {"negotiation_attempted": True}
S1_READY = _with_material("scenario_1")
CASES = {
    # Notification (Schedule 8 preamble, 16.1, 15)
    "16.1 negotiation first": Case("scenario_2", "draft", "notify", filer(), "16.1", "negotiation_attempted", {}),
    "Sch8 s1 exactly two parties (three)": Case(
        "scenario_1",
        "draft",
        "notify",
        filer(),
        f"{S8}, scenario 1",
        "other_party_ids",
        NOTIFY,
        _parties(DisputeParty(1, True), DisputeParty(2), DisputeParty(6)),
    ),
    "Sch8 s1 exactly two parties (one)": Case(
        "scenario_1",
        "draft",
        "notify",
        filer(),
        f"{S8}, scenario 1",
        "other_party_ids",
        NOTIFY,
        _parties(DisputeParty(1, True)),
    ),
    "Sch8 s2 one notifying party": Case(
        "scenario_2",
        "draft",
        "notify",
        filer(),
        f"{S8}, scenario 2, step one",
        "parties",
        NOTIFY,
        _parties(DisputeParty(1, True), DisputeParty(2, True)),
    ),
    "15 withdrawn party cannot bring a dispute": Case(
        "scenario_3",
        "draft",
        "notify",
        filer(),
        "15",
        "parties",
        NOTIFY,
        _set(withdrawn_organisations=frozenset({1}), current_parties=PARTIES - {1}),
    ),
    "16.1 only Parties dispute under the MoU": Case(
        "scenario_4",
        "draft",
        "notify",
        filer(),
        "16.1",
        "parties",
        NOTIFY,
        _parties(DisputeParty(1, True), DisputeParty(OUTSIDER)),
    ),
    # Scenario 1's agreed pack
    "Sch8 s1 step one each party's position": Case(
        "scenario_1",
        "notified",
        "submit_documentation",
        party(1),
        f"{S8}, scenario 1, step one",
        "position_2",
        None,
        _then(S1_READY, _material(position_2="")),
    ),
    "Sch8 s1 step one each party's solution": Case(
        "scenario_1",
        "notified",
        "submit_documentation",
        party(1),
        f"{S8}, scenario 1, step one",
        "solution_1",
        None,
        _then(S1_READY, _material(solution_1="  ")),
    ),
    "Sch8 s1 step one agreed background": Case(
        "scenario_1",
        "notified",
        "submit_documentation",
        party(1),
        f"{S8}, scenario 1, step one",
        "background",
        None,
        _then(S1_READY, _material(background="")),
    ),
    "Sch8 s1 step one both parties agree the pack": Case(
        "scenario_1",
        "notified",
        "submit_documentation",
        party(1),
        f"{S8}, scenario 1, step one",
        None,
        None,
        _then(S1_READY, _agreed_by_one),
    ),
    "Sch8 s1 step one agreement lapses when the pack is edited": Case(
        "scenario_1",
        "notified",
        "submit_documentation",
        party(2),
        f"{S8}, scenario 1, step one",
        None,
        None,
        _then(S1_READY, _edited_after_agreement),
    ),
    # Scenarios 2-4's report headings and principles
    "Sch8 s2 step one decision reference": Case(
        "scenario_2",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 2, step one",
        "decision_reference",
        None,
        _then(_with_material("scenario_2"), _material(decision_reference="")),
    ),
    "Sch8 s2 step one why heading": Case(
        "scenario_2",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 2, step one",
        "why",
        None,
        _then(_with_material("scenario_2"), _material(why="")),
    ),
    "Sch8 s2 step one principles cited": Case(
        "scenario_2",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 2, step one (Why the decision cannot be supported)",
        "principles",
        None,
        _then(_with_material("scenario_2"), _set(principles_cited=frozenset())),
    ),
    "Sch8 s3 step one decision reference": Case(
        "scenario_3",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 3, step one",
        "decision_reference",
        None,
        _then(_with_material("scenario_3"), _material(decision_reference="")),
    ),
    "Sch8 s3 step one material impact": Case(
        "scenario_3",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 3, step one",
        "material_impact",
        None,
        _then(_with_material("scenario_3"), _material(material_impact="")),
    ),
    "Sch8 s3 step one principles cited": Case(
        "scenario_3",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 3, step one (Why the decision causes the problem)",
        "principles",
        None,
        _then(_with_material("scenario_3"), _set(principles_cited=frozenset())),
    ),
    "Sch8 s4 step one action causing the problem": Case(
        "scenario_4",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 4, step one",
        "action_causing_problem",
        None,
        _then(_with_material("scenario_4"), _material(action_causing_problem="")),
    ),
    "Sch8 s4 step one principles with the material impact": Case(
        "scenario_4",
        "notified",
        "submit_report",
        filer(),
        f"{S8}, scenario 4, step one (The material impact)",
        "principles",
        None,
        _then(_with_material("scenario_4"), _set(principles_cited=frozenset())),
    ),
    # Panel (16.2, Schedule 6, 15)
    "Sch8 s1 step two two or more organisations": Case(
        "scenario_1",
        "documentation_received",
        "nominate_panel",
        leader(),
        f"{S8}, scenario 1, step two",
        "organisation_ids",
        {"organisation_ids": [3]},
    ),
    "16.2 panel at least one": Case(
        "scenario_2",
        "report_received",
        "nominate_panel",
        leader(),
        "16.2",
        "organisation_ids",
        {"organisation_ids": []},
    ),
    "16.2 a party never sits on its panel": Case(
        "scenario_1",
        "documentation_received",
        "nominate_panel",
        leader(),
        "16.2",
        "organisation_ids",
        {"organisation_ids": [2, 3]},
    ),
    "15 a withdrawn party never sits on a panel": Case(
        "scenario_3",
        "report_received",
        "nominate_panel",
        leader(),
        "15",
        "organisation_ids",
        {"organisation_ids": [3]},
        _set(withdrawn_organisations=frozenset({3}), current_parties=PARTIES - {3}),
    ),
    "16.2 panel drawn from the Parties": Case(
        "scenario_4",
        "report_received",
        "nominate_panel",
        leader(),
        "16.2",
        "organisation_ids",
        {"organisation_ids": [OUTSIDER]},
    ),
    "Sch6 external route needs PDEG authority": Case(
        "scenario_2",
        "report_received",
        "nominate_panel",
        leader(),
        "Schedule 6",
        "external_authority",
        {"organisation_ids": [OUTSIDER], "route": "external"},
    ),
    "16.2 conflict described": Case(
        "scenario_2",
        "panel_nominated",
        "declare_interest",
        panel_member(PANEL[0]),
        "16.2",
        "details",
        {"conflict": True},
    ),
    "16.2 only panel members declare": Case(
        "scenario_2", "panel_nominated", "declare_interest", panel_member(SPARE), "16.2", None, {"conflict": False}
    ),
    "16.2 papers wait for every declaration": Case(
        "scenario_1",
        "panel_nominated",
        "release_papers",
        leader(),
        "16.2",
        "panel",
        None,
        _declared(DeclarationStatus.PENDING),
    ),
    "16.2 a conflicted member is replaced before papers open": Case(
        "scenario_1",
        "panel_nominated",
        "release_papers",
        leader(),
        "16.2",
        "panel",
        None,
        _declared(DeclarationStatus.CONFLICT),
    ),
    "15 a member who withdrew must be replaced before papers open": Case(
        "scenario_1",
        "panel_nominated",
        "release_papers",
        leader(),
        "15",
        "panel",
        None,
        _then(
            _declared(DeclarationStatus.NO_CONFLICT),
            _set(withdrawn_organisations=frozenset({PANEL[1]}), current_parties=PARTIES - {PANEL[1]}),
        ),
    ),
    "16.2 a replacement is not a party": Case(
        "scenario_1",
        "panel_nominated",
        "replace_panel_member",
        leader(),
        "16.2",
        "replacement",
        {"replace": PANEL[1], "replacement": 2, "reason": "conflict"},
    ),
    # Hearing and decision (Scenario 1)
    "Sch8 s1 step three the other party must be present": Case(
        "scenario_1",
        "with_panel",
        "call_parties",
        panel_member(PANEL[0]),
        f"{S8}, scenario 1, step three",
        "invited",
        {"called": [1]},
    ),
    "Sch8 s1 step five reasons": Case(
        "scenario_1",
        "hearing_held",
        "present_decision",
        panel_member(PANEL[0]),
        f"{S8}, scenario 1, step five",
        "reasons",
        {"decision": "Site X"},
    ),
    "Sch8 s1 step five reason for a delay": Case(
        "scenario_1",
        "hearing_held",
        "present_decision",
        panel_member(PANEL[0]),
        f"{S8}, scenario 1, step five",
        "delay_reason",
        {"decision": "Site X", "reasons": "Access"},
        now_offset=timedelta(days=1),
    ),
    # Recommendation and proposal
    "Sch8 s3 step three recommendation carries reasons": Case(
        "scenario_3",
        "with_panel",
        "make_recommendation",
        panel_member(PANEL[0]),
        f"{S8}, scenario 3, step three",
        "reasons",
        {"recommendation": "Review"},
    ),
    "Sch8 s2 step four stands or revisited only": Case(
        "scenario_2",
        "recommendation_made",
        "propose_solution",
        leader(),
        f"{S8}, scenario 2, step four",
        "outcome",
        {"outcome": "options_paper", "proposal": "P", "reasons": "R"},
    ),
    "Sch8 s4 step four reasons why": Case(
        "scenario_4",
        "recommendation_made",
        "propose_solution",
        leader(),
        f"{S8}, scenario 4, step four",
        "reasons",
        {"outcome": "solution", "proposal": "P"},
    ),
    # No appeal (15)
    "15 each party responds once": Case(
        "scenario_1",
        "decision_presented",
        "accept_outcome",
        party(1),
        "15",
        None,
        None,
        _set(responses={1: "accepted"}),
    ),
    "15 close only when every party has responded": Case(
        "scenario_1", "decision_presented", "close", leader(), "15", None, None, _set(responses={1: "accepted"})
    ),
    "16.2 an extension moves a deadline later": Case(
        "scenario_2",
        "report_received",
        "extend_deadline",
        leader(),
        "16.2",
        "due_date",
        {"step": "panel_nomination", "due_date": date(2023, 3, 2), "reason": "Illness"},
    ),
    # PDEG (clause 10, Schedule 4, 17.2)
    "17.2 a variation needs every Party": Case(
        "recommendation",
        "draft",
        "raise_recommendation",
        RAISER,
        "17.2",
        "affected_parties",
        None,
        _set(is_variation=True),
    ),
    "15 a withdrawn party is not asked to ratify": Case(
        "recommendation",
        "draft",
        "raise_recommendation",
        RAISER,
        "15",
        "affected_parties",
        None,
        _set(withdrawn_organisations=frozenset({3}), current_parties=PARTIES - {3}),
    ),
    "Sch4 sufficient information": Case(
        "recommendation",
        "draft",
        "raise_recommendation",
        RAISER,
        "Schedule 4 (Delegation to subordinate groups)",
        "information",
        None,
        _set(information=" "),
    ),
    "Sch4 only a subordinate group decides within delegated powers": Case(
        "recommendation",
        "raised",
        "record_within_delegation",
        RAISER,
        "Schedule 4 (Delegation to subordinate groups)",
        None,
        {"basis": "Within the FD's limits"},
        _set(raised_by=RaiserKind.MEMBER_ORGANISATION, subordinate_group=None),
    ),
    "17.2 a variation is never decided under delegation": Case(
        "recommendation",
        "raised",
        "record_within_delegation",
        RAISER,
        "17.2",
        None,
        {"basis": "x"},
        _set(is_variation=True, affected_parties=PARTIES),
    ),
    "10.5 PDEG decides at its meeting": Case(
        "recommendation",
        "on_agenda",
        "agree",
        SECRETARIAT,
        "10.5",
        None,
        {"minute_reference": "PDEG/1", "reasons": "R"},
        _set(agenda_meeting_date=date(2023, 3, 9)),
    ),
    "10.6 PDEG's agreement carries reasons": Case(
        "recommendation", "on_agenda", "not_agree", SECRETARIAT, "10.6", "reasons", {"minute_reference": "PDEG/1"}
    ),
    "10.6 ratified only when every affected Board has": Case(
        "recommendation",
        "awaiting_ratification",
        "conclude_ratification",
        SECRETARIAT,
        "10.6",
        None,
        None,
        _set(ratified_by=frozenset({1, 2})),
    ),
    "17.2 a variation is ratified only by every Party": Case(
        "recommendation",
        "awaiting_ratification",
        "conclude_ratification",
        SECRETARIAT,
        "17.2",
        None,
        None,
        _set(is_variation=True, affected_parties=PARTIES, ratified_by=frozenset({1, 2, 3})),
    ),
    "10.6 only this party's Board secretary": Case(
        "ratification",
        "awaiting_board",
        "ratify",
        actor(CaseRole.BOARD_SECRETARY, org=2),
        "10.6",
        None,
        {"meeting_date": date(2023, 2, 28), "minute_reference": "B/1"},
    ),
    "10.6 a Board meeting that has happened": Case(
        "ratification",
        "awaiting_board",
        "ratify",
        actor(CaseRole.BOARD_SECRETARY, org=1),
        "10.6",
        "meeting_date",
        {"meeting_date": date(2023, 3, 9), "minute_reference": "B/1"},
    ),
    "10.6 minute reference": Case(
        "ratification",
        "deferred",
        "not_ratify",
        actor(CaseRole.BOARD_SECRETARY, org=1),
        "10.6",
        "minute_reference",
        {"meeting_date": date(2023, 2, 28), "reasons": "R"},
    ),
    "15 a withdrawn party does not ratify": Case(
        "ratification",
        "awaiting_board",
        "ratify",
        actor(CaseRole.BOARD_SECRETARY, org=1),
        "15",
        None,
        {"meeting_date": date(2023, 2, 28), "minute_reference": "B/1"},
        _set(withdrawn_organisations=frozenset({1})),
    ),
    "10.6 an amendment means the old version is not ratified": Case(
        "ratification",
        "awaiting_board",
        "ratify",
        actor(CaseRole.BOARD_SECRETARY, org=1),
        "10.6",
        None,
        {"meeting_date": date(2023, 2, 28), "minute_reference": "B/1"},
        _set(current_version=2),
    ),
    "15 only a withdrawn party's ratification lapses": Case(
        "ratification", "deferred", "lapse", actor(CaseRole.SYSTEM), "15", None
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rule_refuses_naming_its_clause_and_field(case: Case) -> None:
    definition = registry.get(case.process)
    facts = case.change(facts_in(case.process, case.state))
    now = max([START, *facts.events.values()]) + case.now_offset
    problems = engine.check(definition, facts, case.who, case.trigger, case.payload or {}, now)
    assert (case.clause, case.field) in {(p.clause, p.field) for p in problems}, problems
    with pytest.raises(RulesNotMet) as refused:
        engine.fire(definition, facts, case.who, case.trigger, case.payload or {}, now)
    assert refused.value.problems == tuple(problems)
    assert case.clause in str(refused.value)


ALLOWED = {
    "Sch6 external panel with PDEG authority may include non-parties": Case(
        "scenario_2",
        "report_received",
        "nominate_panel",
        leader(),
        "",
        None,
        {"organisation_ids": [OUTSIDER], "route": "external", "external_authority": "PDEG minute 2023/11"},
    ),
    "Sch8 s1 step three both parties called": Case(
        "scenario_1", "with_panel", "call_parties", panel_member(PANEL[0]), "", None, {"called": [1, 2]}
    ),
    "Sch8 s1 step three one called, the other invited": Case(
        "scenario_1", "with_panel", "call_parties", panel_member(PANEL[0]), "", None, {"called": [2], "invited": [1]}
    ),
    "Sch8 s1 step five a decision on the day needs no delay reason": Case(
        "scenario_1",
        "hearing_held",
        "present_decision",
        panel_member(PANEL[0]),
        "",
        None,
        {"decision": "Site X", "reasons": "Access"},
    ),
    "Sch8 s1 step five a late decision with its reason": Case(
        "scenario_1",
        "hearing_held",
        "present_decision",
        panel_member(PANEL[0]),
        "",
        None,
        {"decision": "Site X", "reasons": "Access", "delay_reason": "Awaiting figures"},
        now_offset=timedelta(days=3),
    ),
    "10.6 a lapsed Board no longer holds up ratification": Case(
        "recommendation",
        "awaiting_ratification",
        "conclude_ratification",
        SECRETARIAT,
        "",
        None,
        None,
        _set(ratified_by=frozenset({1, 2}), withdrawn_organisations=frozenset({3}), current_parties=PARTIES - {3}),
    ),
}


@pytest.mark.parametrize("case", ALLOWED.values(), ids=ALLOWED.keys())
def test_rule_allows_what_the_mou_allows(case: Case) -> None:
    facts = case.change(facts_in(case.process, case.state))
    now = max([START, *facts.events.values()]) + case.now_offset
    assert engine.check(registry.get(case.process), facts, case.who, case.trigger, case.payload or {}, now) == []
