"""From rows to the workflows' view of a dispute: its definition, its facts, the user's roles."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from govern.cases.models import CaseEvent, CaseKind
from govern.cases.runner import case_events, case_extensions
from govern.disputes.models import Dispute
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation
from workflows import (
    Actor,
    CaseRole,
    DeclarationStatus,
    DisputeFacts,
    DisputeParty,
    PanelMember,
    PanelRoute,
    ResponseKind,
)
from workflows.definitions import ProcessDefinition


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
    """A snapshot of the dispute for the engine."""
    current, withdrawn = partnership_standing()
    return DisputeFacts(
        process_key=dispute.process_key,
        state=dispute.state,
        parties=tuple(DisputeParty(p.organisation_id, p.filed, p.respondent) for p in dispute.parties),
        current_parties=current,
        withdrawn_organisations=withdrawn,
        written_material={m.key: m.text for m in dispute.material},
        principles_cited=frozenset(p.code for p in dispute.principles),
        pack_agreements={a.organisation_id: a.digest for a in dispute.pack_agreements},
        panel=tuple(
            PanelMember(m.organisation_id, DeclarationStatus(m.declaration.value)) for m in dispute.active_panel
        ),
        panel_route=PanelRoute(dispute.panel_route.value),
        external_authority=dispute.external_authority,
        responses={r.organisation_id: ResponseKind(r.response.value) for r in dispute.responses},
        events=case_events(CaseKind.DISPUTE, dispute.id),
        extensions=case_extensions(CaseKind.DISPUTE, dispute.id),
        **_called(dispute),
    )


def _called(dispute: Dispute) -> dict[str, Any]:
    """Whom the panel last called for clarification, and invited to be present, and the day it last
    arranged to convene (Scenario 1, step three), in one query."""
    latest: dict[str, dict[str, Any]] = {}
    for name, data in db.session.execute(
        select(CaseEvent.name, CaseEvent.data)
        .where(CaseEvent.case_kind == CaseKind.DISPUTE, CaseEvent.case_id == dispute.id,
               CaseEvent.name.in_(("parties_called", "hearing_scheduled")))
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    ):
        latest[name] = data or {}
    called = latest.get("parties_called", {})
    arranged = latest.get("hearing_scheduled", {}).get("hearing_date")
    return {"called": frozenset(int(i) for i in called.get("called") or ()),
            "invited": frozenset(int(i) for i in called.get("invited") or ()),
            "hearing_date": date.fromisoformat(str(arranged)[:10]) if arranged else None}


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
