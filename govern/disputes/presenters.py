"""What the dispute pages show, computed from the rows and the workflows (no rules decided here)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from govern.cases.models import CaseEvent, CaseKind
from govern.disputes.facts import definition_of, dispute_actor, dispute_facts, partnership_standing
from govern.disputes.models import Dispute, DisputeParty, DisputeState, PanelMember
from govern.disputes.operations import STANDARD_BESPOKE_SPEC
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation
from workflows import CaseRole, DisputeFacts
from workflows import engine as wf_engine
from workflows.deadlines import NextStep, StepDeadline, StepStatus, next_steps, schedule
from workflows.definitions import REFERENCE_FIELD
from workflows.steps import OUTCOME_LABELS

SCENARIO_GUIDANCE: dict[str, tuple[str, str, str]] = {
    # key: (title, when it fits, clause)
    "scenario_1": (
        "Location of a single-site service",
        "Two organisations disagree on where a single-site service should be, and each considers it has a "
        "material impact. You bring it jointly with the other organisation and write one agreed set of papers.",
        "Schedule 8, scenario 1",
    ),
    "scenario_2": (
        "Your Board cannot support a system decision",
        "A system decision leaves your organisation in a position that its Board cannot support.",
        "Schedule 8, scenario 2",
    ),
    "scenario_3": (
        "Control total missed because of a system decision",
        "Your organisation cannot deliver its control total, and you consider this a direct result of a system "
        "decision.",
        "Schedule 8, scenario 3",
    ),
    "scenario_4": (
        "A unilateral change of practice",
        "An organisation changed its practice on its own, with a negative impact on your organisation or on the "
        "system as a whole.",
        "Schedule 8, scenario 4",
    ),
    "bespoke": (
        "None of these fits",
        "The scenarios are examples and not exhaustive: the STP Lead sets out a process according to the "
        "circumstances of the dispute.",
        "16.2",
    ),
}

#: The process the STP Lead uses for a dispute no scenario fits, unless they set out another (16.2).
DEFAULT_BESPOKE_SPEC = STANDARD_BESPOKE_SPEC

ROLE_WORDS = {
    CaseRole.FILING_PARTY: "the party that notified the dispute",
    CaseRole.OTHER_PARTY: "the other party",
    CaseRole.PARTY: "each party",
    CaseRole.PANEL_MEMBER: "the panel",
    CaseRole.STP_LEADER: "the STP Lead",
    CaseRole.PDEG_SECRETARIAT: "the PDEG secretariat",
    CaseRole.BOARD_SECRETARY: "the Board secretary",
}

STATUS_TAGS = {
    StepStatus.NOT_YET_DUE: ("Not started", "nhsuk-tag--grey"),
    StepStatus.DUE: ("Due", "nhsuk-tag--blue"),
    StepStatus.DONE_ON_TIME: ("Done on time", "nhsuk-tag--green"),
    StepStatus.DONE_LATE: ("Done late", "nhsuk-tag--orange"),
    StepStatus.OVERDUE: ("Overdue", "nhsuk-tag--red"),
}


def who(roles: Sequence[CaseRole]) -> str:
    """Plain words for who acts: 'the STP Lead', 'each party'."""
    words = [ROLE_WORDS.get(r, r.value.replace("_", " ")) for r in roles if r is not CaseRole.SYSTEM]
    return " or ".join(dict.fromkeys(words)) or "nobody"


def visible_disputes_query(user: Any) -> Any:
    """Disputes the user may see: all for the STP Lead and administrators; otherwise those where the
    user's organisation is a party (officers and Board secretary) or on the panel (officers)."""
    query = select(Dispute)
    if user.is_administrator or user.is_stp_leader:
        return query
    conditions = []
    if user.role.acts_for_organisation or user.role.value == "board_secretary":
        conditions.append(
            Dispute.id.in_(select(DisputeParty.dispute_id).where(DisputeParty.organisation_id == user.organisation_id))
        )
    if user.role.acts_for_organisation:
        conditions.append(
            Dispute.id.in_(
                select(PanelMember.dispute_id).where(
                    PanelMember.organisation_id == user.organisation_id, PanelMember.active.is_(True)
                )
            )
        )
    if not conditions:
        return query.where(Dispute.id.is_(None))
    return query.where(or_(*conditions))


@dataclass(frozen=True)
class DisputeRow:
    """One line of a dispute list: the case and what is due next."""

    dispute: Dispute
    state_title: str
    next: list[NextStep]

    @property
    def overdue(self) -> bool:
        """Any waiting step is past its deadline."""
        return any(n.status is StepStatus.OVERDUE for n in self.next)


def dispute_rows(disputes: Sequence[Dispute], now: datetime) -> list[DisputeRow]:
    """List rows with what is due next, in one query for the whole page: the open steps kept in
    ``case_deadline`` (refreshed from the workflows' schedule in the same transaction as every change
    to a dispute), so a page of 50 does not recompute 50 schedules."""
    from govern.deadlines.models import CaseDeadline, open_step

    waiting: dict[int, list[NextStep]] = defaultdict(list)
    if disputes:
        for row in db.session.scalars(
            select(CaseDeadline)
            .where(CaseDeadline.case_kind == CaseKind.DISPUTE, CaseDeadline.case_id.in_([d.id for d in disputes]),
                   open_step())
            .order_by(CaseDeadline.case_id, CaseDeadline.position)
        ):
            overdue = row.due_at is not None and row.due_at < now
            waiting[row.case_id].append(NextStep(
                row.step_key, row.title, row.clause, tuple(CaseRole(r) for r in row.roles), row.due_at,
                StepStatus.OVERDUE if overdue else StepStatus.DUE,
            ))
    return [DisputeRow(d, _state_title(d), waiting[d.id]) for d in disputes]


def _state_title(dispute: Dispute) -> str:
    """Where the dispute stands, in its process's words."""
    return definition_of(dispute).state(dispute.state.value).title


@dataclass(frozen=True)
class DisputeView:
    """Everything the dispute page shows."""

    dispute: Dispute
    definition: Any
    facts: DisputeFacts
    state_title: str
    state_clause: str
    timeline: list[StepDeadline]
    next: list[NextStep]
    actions: list[wf_engine.TriggerInfo]
    roles: frozenset[CaseRole]
    organisations: dict[int, Organisation]
    papers_visible: bool
    outcome: dict[str, Any] | None
    follow_ups: list[Any]


def view_of(dispute: Dispute, user: Any, now: datetime) -> DisputeView:
    """Build the dispute page's content for this user."""
    definition = definition_of(dispute)
    facts = dispute_facts(dispute)
    actor = dispute_actor(dispute, user)
    organisations = {o.id: o for o in db.session.scalars(select(Organisation))}
    return DisputeView(
        dispute=dispute,
        definition=definition,
        facts=facts,
        state_title=definition.state(facts.state).title,
        state_clause=definition.state(facts.state).clause,
        timeline=schedule(definition, facts.events, facts.extensions, now),
        next=next_steps(definition, facts, now),
        actions=wf_engine.available(definition, facts, actor, now),
        roles=actor.roles,
        organisations=organisations,
        papers_visible=dispute.can_view_papers(user),
        outcome=outcome_of(dispute),
        follow_ups=follow_ups(dispute, user),
    )


def follow_ups(dispute: Dispute, user: Any) -> list[Any]:
    """Recommendations for PDEG opened by the dispute's outcome (decision revisited, options paper)
    that the user may see (a draft only by the STP Lead, who completes and raises it)."""
    from govern.pdeg.models import Recommendation

    found = db.session.scalars(
        select(Recommendation).where(Recommendation.linked_dispute_id == dispute.id).order_by(Recommendation.id)
    ).all()
    return [r for r in found if r.can_view(user)]


def outcome_of(dispute: Dispute) -> dict[str, Any] | None:
    """The panel's decision or recommendation and the STP Lead's proposal, from their events."""
    rows = db.session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.case_kind == CaseKind.DISPUTE,
            CaseEvent.case_id == dispute.id,
            CaseEvent.name.in_(("decision_presented", "recommendation_made", "solution_proposed", "hearing_held",
                                "parties_called", "hearing_scheduled")),
        )
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    ).all()
    if not rows:
        return None
    found: dict[str, Any] = {}
    for event in rows:
        found[event.name] = {"at": event.occurred_at, **event.data}
    proposal = found.get("solution_proposed")
    if proposal and proposal.get("outcome"):
        proposal["outcome_label"] = OUTCOME_LABELS.get(str(proposal["outcome"]), str(proposal["outcome"]))
    return found


def panel_candidates(dispute: Dispute) -> list[tuple[Organisation, str]]:
    """Organisations the STP Lead may nominate, with their involvement in other open disputes.

    Parties to this dispute and withdrawn organisations are left out (16.2: neutral to the dispute;
    clause 15); eligible non-signatories appear only for the external route (Schedule 6).
    """
    current, _ = partnership_standing()
    parties = dispute.party_ids
    open_disputes = db.session.execute(
        select(DisputeParty.organisation_id, Dispute.reference)
        .join(Dispute, Dispute.id == DisputeParty.dispute_id)
        .where(Dispute.state != DisputeState.CLOSED, Dispute.id != dispute.id)
    ).all()
    panels = db.session.execute(
        select(PanelMember.organisation_id, Dispute.reference)
        .join(Dispute, Dispute.id == PanelMember.dispute_id)
        .where(Dispute.state != DisputeState.CLOSED, Dispute.id != dispute.id, PanelMember.active.is_(True))
    ).all()
    involvement: dict[int, list[str]] = defaultdict(list)
    for org_id, ref in open_disputes:
        involvement[org_id].append(f"party to {ref}")
    for org_id, ref in panels:
        involvement[org_id].append(f"on the panel of {ref}")
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return [
        (org, "; ".join(involvement[org.id]) or "No other open disputes")
        for org in organisations
        if org.id in current and org.id not in parties and org.id != dispute.practice_changed_by_id
    ]


def why_not_on_panel(dispute: Dispute, organisation_id: int) -> str:
    """Why an organisation is not offered for the panel (the converse of :func:`panel_candidates`),
    in the MoU's words with its clause."""
    org = db.session.get(Organisation, organisation_id)
    name = org.name if org is not None else f"Organisation {organisation_id}"
    if organisation_id in dispute.party_ids:
        return f"{name} is a party to the dispute and cannot sit on its panel (16.2)"
    if organisation_id == dispute.practice_changed_by_id:
        return f"{name} changed the practice this dispute is about and cannot sit on its panel (16.2)"
    if org is not None and org.mou_status is MouStatus.WITHDRAWN:
        return f"{name} has withdrawn from the MoU and cannot sit on a panel (15)"
    return f"{name} is not a party to the MoU; panels are drawn from the Parties (16.2)"


_ORGANISATION_ID = re.compile(r"\b[Oo]rganisation (\d+)\b")


def in_words(text: str) -> str:
    """A rule's message with organisations named: the workflows speak of ``organisation 8``."""
    names = {i: n for i, n in db.session.execute(select(Organisation.id, Organisation.name))}
    return _ORGANISATION_ID.sub(lambda m: names.get(int(m.group(1)), m.group(0)), text)


def material_headings(definition: Any, dispute: Dispute) -> list[tuple[str, str, str]]:
    """(key, title, guidance) of each heading, one per party where the MoU asks each party's view."""
    rows: list[tuple[str, str, str]] = []
    for heading in definition.headings:
        if heading.reference:
            rows.append((REFERENCE_FIELD, f"{heading.title}: reference to the document", "The document that "
                         "contains the decision, or the recommendation on which the decision was made."))
        if heading.per_party:
            for party in dispute.parties:
                rows.append((heading.field_key(party.organisation_id),
                             f"{heading.title}: {party.organisation.name}", heading.guidance))
        else:
            rows.append((heading.field_key(), heading.title, heading.guidance))
    return rows
