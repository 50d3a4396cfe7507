"""What the dispute pages show, computed from the rows and the workflows (no rules decided here)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from govern.cases.models import CaseEvent, CaseKind, DeadlineExtension
from govern.disputes.facts import definition_of, dispute_actor, dispute_facts, partnership_standing
from govern.disputes.models import Dispute, DisputeParty, DisputeState, PanelMember
from govern.disputes.operations import STANDARD_BESPOKE_SPEC
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation
from workflows import CaseRole, DisputeFacts, Extension
from workflows import DisputeParty as WfParty
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
    """Disputes the user may see (as :meth:`Dispute.can_view`): all for the STP Lead and administrators;
    for a party's or panel organisation's officers (chief executive and deputy, 10.3), their disputes;
    for a Board secretary, only those whose process gives the Board a part (none in Devon)."""
    from govern.disputes.models import board_part_processes

    query = select(Dispute).options(
        selectinload(Dispute.parties), selectinload(Dispute.panel), selectinload(Dispute.responses)
    )
    if user.is_administrator or user.is_stp_leader:
        return query
    conditions = []
    party_of = Dispute.id.in_(
        select(DisputeParty.dispute_id).where(DisputeParty.organisation_id == user.organisation_id)
    )
    if user.role.acts_for_organisation:
        conditions.append(party_of)
        conditions.append(
            Dispute.id.in_(
                select(PanelMember.dispute_id).where(
                    PanelMember.organisation_id == user.organisation_id, PanelMember.active.is_(True)
                )
            )
        )
    elif user.role.value == "board_secretary" and board_part_processes():
        conditions.append(party_of & Dispute.process_key.in_(sorted(board_part_processes())))
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
    """List rows with their next steps, loading every dispute's events in two queries (no N+1)."""
    ids = [d.id for d in disputes]
    events: dict[int, dict[str, datetime]] = defaultdict(dict)
    extensions: dict[int, dict[str, Extension]] = defaultdict(dict)
    if ids:
        for case_id, name, at in db.session.execute(
            select(CaseEvent.case_id, CaseEvent.name, CaseEvent.occurred_at)
            .where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id.in_(ids))
            .order_by(CaseEvent.occurred_at, CaseEvent.id)
        ):
            events[case_id][name] = at
        for row in db.session.scalars(
            select(DeadlineExtension)
            .where(DeadlineExtension.case_kind == CaseKind.DISPUTE, DeadlineExtension.case_id.in_(ids))
            .order_by(DeadlineExtension.granted_at, DeadlineExtension.id)
        ):
            extensions[row.case_id][row.step_key] = Extension(row.due_date, row.reason)
    rows = []
    for dispute in disputes:
        definition = definition_of(dispute)
        facts = DisputeFacts(
            process_key=dispute.process_key,
            state=dispute.state.value,
            parties=tuple(WfParty(p.organisation_id, p.filed) for p in dispute.parties),
            events=events[dispute.id],
            extensions=extensions[dispute.id],
        )
        rows.append(DisputeRow(dispute, definition.state(dispute.state.value).title,
                               next_steps(definition, facts, now)))
    return rows


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
