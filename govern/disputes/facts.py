"""From rows to the workflows' view of a dispute: its definition, its facts, the user's roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from govern.cases.models import CaseKind
from govern.cases.runner import recorded_events
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation
from workflows import Actor, CaseRole, DisputeFacts, DisputeParty
from workflows.definitions import ProcessDefinition
from workflows.facts import fold


def definition_of(dispute: Dispute) -> ProcessDefinition:
    """The process the dispute follows, as its agreement version declares it (or as set out for it, 16.2)."""
    return dispute.definition


def partnership_standing() -> tuple[frozenset[int], frozenset[int]]:
    """(current parties, withdrawn organisations), in one query."""
    rows = db.session.execute(select(Organisation.id, Organisation.mou_status)).all()
    current = frozenset(i for i, status in rows if status.is_party)
    withdrawn = frozenset(i for i, status in rows if status is MouStatus.WITHDRAWN)
    return current, withdrawn


def dispute_facts(dispute: Dispute) -> DisputeFacts:
    """A snapshot of the dispute for the engine: what was filed, from its rows; everything since (the
    panel and its declarations, the pack agreed, who was called, the responses, the extensions), by the
    one fold of its recorded events that the workflows' own tests use."""
    current, withdrawn = partnership_standing()
    filed = DisputeFacts(
        process_key=dispute.process_key,
        state=dispute.state,
        parties=tuple(DisputeParty(p.organisation_id, p.filed, p.respondent) for p in dispute.parties),
        current_parties=current,
        withdrawn_organisations=withdrawn,
        written_material={m.key: m.text for m in dispute.material},
        principles_cited=frozenset(p.code for p in dispute.principles),
    )
    folded = fold(filed, recorded_events(CaseKind.DISPUTE, dispute.id))
    assert isinstance(folded, DisputeFacts)
    return folded


def dispute_roles(dispute: Dispute, user: Any) -> frozenset[CaseRole]:
    """The user's roles relative to this dispute.

    Only officers of a party (its CEO or nominated deputy, 10.3) act for it: parties represent
    themselves, with no legal representation (Schedule 8 preamble).
    """
    roles: set[CaseRole] = set()
    if user.is_stp_leader:
        roles.add(CaseRole.STP_LEADER)
    if user.is_administrator:
        roles.add(CaseRole.ADMINISTRATOR)
    if user.role.acts_for_organisation:
        for party in dispute.parties:
            if party.organisation_id == user.organisation_id:
                roles.add(CaseRole.PARTY)
                if party.filed:
                    roles.add(CaseRole.FILING_PARTY)
                else:
                    roles.add(CaseRole.RESPONDENT if party.respondent else CaseRole.OTHER_PARTY)
        if any(m.organisation_id == user.organisation_id for m in dispute.active_panel):
            roles.add(CaseRole.PANEL_MEMBER)
    return frozenset(roles)


def dispute_actor(dispute: Dispute, user: Any) -> Actor:
    """The engine's view of the user acting on this dispute."""
    return Actor(user_id=user.id, organisation_id=user.organisation_id, roles=dispute_roles(dispute, user))
