"""Every transition of every process as a table: (process, state, trigger, role) -> allowed or refused.

The table below is written from the MoU, not read from the definitions; the first test checks the
definitions declare exactly these moves, the others fire each one for real at a case in that state.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import cache

import pytest

from tests.workflows.support import ROLE_ORG, START, actor, facts_in
from workflows import CaseRole, TransitionNotAllowed, engine, registry
from workflows.errors import RulesNotMet
from workflows.facts import DisputeFacts, Facts

R = CaseRole
S8 = "Schedule 8"
MATERIAL_STATES = ("notified", "panel_nominated_early")
PANEL_STATES = ("panel_nominated_early", "panel_nominated")
DISPUTE_LIVE = ("notified", "panel_nominated_early", "panel_nominated", "with_panel")


def _dispute_table(n: int) -> list[tuple[str, str, CaseRole, str]]:
    """(state, trigger, role, clause) rows allowed in scenario ``n``."""
    material = "documentation" if n == 1 else "report"
    submitter = R.PARTY if n == 1 else R.FILING_PARTY  # Scenario 1's pack is agreed by both parties
    rows = [("draft", "notify", R.FILING_PARTY, "Schedule 8 (preamble); 16.1")]
    rows += [(s, f"submit_{material}", submitter, f"{S8}, scenario {n}, step one") for s in MATERIAL_STATES]
    if n == 1:
        rows += [(s, "agree_pack", R.PARTY, f"{S8}, scenario 1, step one") for s in MATERIAL_STATES]
    panel_step = "three" if n == 2 else "two"  # Scenario 2 has no step two
    rows += [
        (s, "nominate_panel", R.STP_LEADER, f"{S8}, scenario {n}, step {panel_step}")
        for s in ("notified", f"{material}_received")
    ]
    rows += [(s, "declare_interest", R.PANEL_MEMBER, "16.2") for s in PANEL_STATES]
    rows += [(s, "replace_panel_member", R.STP_LEADER, "16.2") for s in PANEL_STATES]
    rows += [("panel_nominated", "release_papers", R.STP_LEADER, "16.2")]
    if n == 1:
        rows += [
            ("with_panel", "call_parties", R.PANEL_MEMBER, f"{S8}, scenario 1, step three"),
            ("with_panel", "schedule_hearing", R.PANEL_MEMBER, f"{S8}, scenario 1, step three"),
            ("with_panel", "hold_hearing", R.PANEL_MEMBER, f"{S8}, scenario 1, step three"),
            ("hearing_held", "present_decision", R.PANEL_MEMBER, f"{S8}, scenario 1, step five"),
        ]
        outcome_state, final = "decision_presented", f"{S8}, scenario 1, step six; 15"
        live = (*DISPUTE_LIVE, "documentation_received", "hearing_held", "decision_presented")
    else:
        rows += [
            ("with_panel", "make_recommendation", R.PANEL_MEMBER, f"{S8}, scenario {n}, step three"),
            ("recommendation_made", "propose_solution", R.STP_LEADER, f"{S8}, scenario {n}, step four"),
        ]
        outcome_state, final = "solution_proposed", f"{S8}, scenario {n}, step five; 15"
        live = (*DISPUTE_LIVE, "report_received", "recommendation_made", "solution_proposed")
    if n == 4:  # the organisation whose practice changed says why, until the papers go to the panel
        rows += [(s, "write_account", R.RESPONDENT, f"{S8}, scenario 4, step one")
                 for s in ("notified", "panel_nominated_early", "report_received", "panel_nominated")]
    rows += [(outcome_state, t, R.PARTY, final) for t in ("accept_outcome", "give_notice_of_withdrawal")]
    rows += [(outcome_state, "close", R.STP_LEADER, final)]
    rows += [(s, "extend_deadline", R.STP_LEADER, "16.2") for s in live]
    return rows


RECOMMENDATION_TABLE = [
    ("draft", "raise_recommendation", R.RAISER, "Schedule 4 (Delegation to subordinate groups)"),
    ("raised", "record_within_delegation", R.RAISER, "Schedule 4 (Delegation to subordinate groups)"),
    ("raised", "place_on_agenda", R.PDEG_SECRETARIAT, "10.5"),
    ("on_agenda", "take_off_agenda", R.PDEG_SECRETARIAT, "10.5"),
    ("on_agenda", "agree", R.PDEG_SECRETARIAT, "10.6"),
    ("on_agenda", "amend_and_agree", R.PDEG_SECRETARIAT, "10.6"),
    ("on_agenda", "not_agree", R.PDEG_SECRETARIAT, "10.6"),
    ("on_agenda", "defer", R.PDEG_SECRETARIAT, "10.5"),
    ("awaiting_ratification", "amend", R.PDEG_SECRETARIAT, "10.6"),
    ("awaiting_ratification", "conclude_ratification", R.PDEG_SECRETARIAT, "10.6"),
    ("awaiting_ratification", "conclude_ratification", R.SYSTEM, "10.6"),
]
RATIFICATION_TABLE = [
    *[(s, "ratify", R.BOARD_SECRETARY, "10.6") for s in ("awaiting_board", "deferred", "not_ratified")],
    *[(s, "not_ratify", R.BOARD_SECRETARY, "10.6") for s in ("awaiting_board", "deferred")],
    *[(s, "defer", R.BOARD_SECRETARY, "10.6") for s in ("awaiting_board", "deferred")],
    *[(s, "lapse", R.SYSTEM, "15") for s in ("awaiting_board", "deferred", "not_ratified")],
    *[(s, "supersede", R.SYSTEM, "10.6") for s in ("awaiting_board", "deferred", "not_ratified")],
]
TABLES = {
    **{f"scenario_{n}": _dispute_table(n) for n in (1, 2, 3, 4)},
    "recommendation": RECOMMENDATION_TABLE,
    "ratification": RATIFICATION_TABLE,
}


@pytest.mark.parametrize("process", list(TABLES))
def test_definition_declares_exactly_the_moves_the_mou_gives(process: str) -> None:
    definition = registry.get(process)
    declared = {(t.source, t.trigger, role, t.clause) for t in definition.transitions for role in t.roles}
    assert declared == set(TABLES[process])


# --- Firing each move for real ---------------------------------------------------------------------


@cache
def _facts_in(process: str, state: str) -> Facts:
    return facts_in(process, state)


def _all_states(process: str) -> list[str]:
    return [s.name for s in registry.get(process).states]


CASES = [
    pytest.param(process, state, trigger, id=f"{process}-{state}-{trigger}")
    for process in TABLES
    for state in _all_states(process)
    for trigger in registry.get(process).triggers
]


@pytest.mark.parametrize(("process", "state", "trigger"), CASES)
def test_each_role_is_allowed_or_refused_as_the_table_says(process: str, state: str, trigger: str) -> None:
    definition = registry.get(process)
    facts = _facts_in(process, state)
    if isinstance(facts, DisputeFacts) and process == "scenario_1" and trigger == "agree_pack":
        facts = replace(facts, pack_agreements={})  # so the pack is still there to agree
    allowed_roles = {role for s, t, role, _ in TABLES[process] if s == state and t == trigger}
    now = START
    for role in CaseRole:
        who = actor(role, org=ROLE_ORG[role])  # this one role only
        if role in allowed_roles:
            # The move is open to this role here: it may still be refused for the MoU's rules, never
            # for the state or the role.
            with contextlib.suppress(RulesNotMet):
                engine.fire(definition, facts, who, trigger, {}, now)
        else:
            with pytest.raises(TransitionNotAllowed):
                engine.fire(definition, facts, who, trigger, {}, now)
            assert trigger not in {i.trigger for i in engine.available(definition, facts, who)}
