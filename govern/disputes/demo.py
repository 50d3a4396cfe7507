"""Sample disputes for the demo, one in each of several states, filed through the operations.

Their events are recorded at moments in the past (the clock is frozen for each step) so the
demo shows deadlines met, due and overdue, counted in English working days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from govern import cases
from govern.auth.models import User
from govern.core import clock
from govern.disputes import operations as ops
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import Organisation

DOMAIN = "demo.govern.test"


def _user(local: str) -> User:
    user = db.session.scalar(select(User).where(User.email == f"{local}@{DOMAIN}"))
    assert user is not None, local
    return user


def _org(code: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    assert org is not None, code
    return org


def _at(days_ago: float, step: Callable[[], Any]) -> Any:
    """Run one operation as if it happened ``days_ago`` days before now."""
    with clock.frozen(clock.now() - timedelta(days=days_ago)):
        return step()


def load_demo_disputes() -> int:
    """Add the sample disputes unless the demo already has disputes. Returns how many were added."""
    if db.session.scalar(select(Dispute.id).limit(1)) is not None:
        return 0
    leader = _user("stp.leader")
    ceo = {code: _user(f"ceo.{code.lower()}") for code in ("RDE", "NDHT", "TC", "DPT", "NHSE", "PHNT", "LSW",
                                                           "PCC", "NHSI", "TSDFT")}

    # Scenario 1: two trusts disagree on where a single-site service goes. Pack being written.
    s1 = _at(3, lambda: ops.file_dispute(
        ceo["RDE"], process_key="scenario_1", title="Location of the hyper-acute stroke unit",
        negotiation_attempted=True, other_parties=[_org("NDHT")],
        negotiation_account="Three meetings of the two executive teams between June and September did not agree a "
        "site.",
    ))
    rde = _org("RDE").id
    _at(2, lambda: ops.save_written_material(s1, ceo["RDE"], {
        "background": "The stroke review recommends one hyper-acute stroke unit for the north and east of Devon.",
        f"position_{rde}": "The unit should be at the Royal Devon and Exeter, beside interventional radiology.",
        f"solution_{rde}": "Site the unit in Exeter with a repatriation pathway to North Devon District Hospital.",
    }))

    # Scenario 2: a Board cannot support a system decision. Report in, panel nominated, one declaration due.
    s2 = _at(9, lambda: ops.file_dispute(
        ceo["TC"], process_key="scenario_2", title="Community hospital bed reconfiguration",
        negotiation_attempted=True, decision_reference="PDEG minute 2026/41",
        negotiation_account="Raised at PDEG in September and with the STP Leader; no agreement was reached.",
    ))
    _at(8, lambda: ops.save_written_material(s2, ceo["TC"], {
        "background": "Torbay's adult social care capacity depends on the community hospital beds in Paignton.",
        "decision_not_supported": "PDEG agreed to close 24 community beds in Paignton from April.",
        "why": "The decision does not put first the impact on people who use services and their carers.",
        "impact": "Delayed transfers of care would rise by an estimated 30 people a week in winter.",
        "suggested_remedy": "Phase the closure over two years with a jointly funded home care expansion.",
    }, principle_codes=["V1", "V13"]))
    _at(7, lambda: cases.act(s2, ceo["TC"], "submit_report"))
    _at(6, lambda: cases.act(s2, leader, "nominate_panel", {"organisation_ids": [_org("DPT").id, _org("NHSE").id]}))
    _at(5, lambda: cases.act(s2, ceo["DPT"], "declare_interest", {"conflict": False}))

    # Scenario 3: a control total missed. With the panel, whose recommendation is overdue.
    s3 = _at(24, lambda: ops.file_dispute(
        ceo["PHNT"], process_key="scenario_3", title="Elective recovery funding and the control total",
        negotiation_attempted=True, decision_reference="Finance Working Group recommendation R2026-0007",
        negotiation_account="Discussed twice at the Finance Working Group without agreement.",
    ))
    _at(23, lambda: ops.save_written_material(s3, ceo["PHNT"], {
        "background": "Plymouth Hospitals' plan assumed elective recovery income agreed in March.",
        "decision_causing_problem": "The system decision to cap elective activity at 2019/20 levels.",
        "why": "Costs were taken out of the system in a way that transfers a deficit to one organisation.",
        "material_impact": "A shortfall of 6.2 million pounds against the control total.",
        "suggested_remedy": "Share the cost of the cap across the commissioners in proportion to activity.",
    }, principle_codes=["O10", "B15"]))
    _at(22, lambda: cases.act(s3, ceo["PHNT"], "submit_report"))
    _at(21, lambda: cases.act(s3, leader, "nominate_panel", {"organisation_ids": [_org("PCC").id]}))
    _at(20, lambda: cases.act(s3, ceo["PCC"], "declare_interest", {"conflict": False}))
    _at(20, lambda: cases.act(s3, leader, "release_papers"))

    # Scenario 4: a unilateral change of practice. Resolved and closed.
    s4 = _at(40, lambda: ops.file_dispute(
        ceo["LSW"], process_key="scenario_4", title="Change to mental health discharge criteria",
        negotiation_attempted=True, respondents=[_org("DPT")],
        negotiation_account="Livewell Southwest wrote twice to the trust; the change was not paused.",
    ))
    _at(39, lambda: ops.save_written_material(s4, ceo["LSW"], {
        "background": "Discharge criteria for mental health inpatients changed without notice in August.",
        "action_causing_problem": "Patients are discharged to community teams without a 7-day follow-up plan.",
        "material_impact": "Community caseloads rose by 18% in six weeks; no open communication of the change.",
        "suggested_remedy": "Reinstate the joint discharge protocol until a system-wide policy is agreed at PDEG.",
    }, principle_codes=["B4"]))
    _at(38, lambda: cases.act(s4, ceo["LSW"], "submit_report"))
    _at(37, lambda: cases.act(s4, leader, "nominate_panel", {"organisation_ids": [_org("NHSI").id]}))
    _at(36, lambda: cases.act(s4, ceo["NHSI"], "declare_interest", {"conflict": False}))
    _at(36, lambda: cases.act(s4, leader, "release_papers"))
    _at(31, lambda: cases.act(s4, ceo["NHSI"], "make_recommendation", {
        "recommendation": "Reinstate the joint protocol and bring a system discharge policy to PDEG.",
        "reasons": "The change had a material impact on another party without open communication.",
    }))
    _at(27, lambda: cases.act(s4, leader, "propose_solution", {
        "outcome": "solution", "proposal": "Reinstate the joint discharge protocol from 1 November.",
        "reasons": "It restores safe follow-up while a system policy is developed.",
    }))
    _at(25, lambda: cases.act(s4, ceo["LSW"], "accept_outcome"))
    # The organisation whose practice changed is a party too: it accepts the outcome, and the dispute closes.
    _at(24, lambda: cases.act(s4, ceo["DPT"], "accept_outcome"))
    return 4
