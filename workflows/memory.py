"""An in-memory case: applies an Outcome to facts the way the app applies it to its rows.

The tests drive whole processes with it, and it is the reference for the app's operations: for each
recorded event and effect it shows which fact changes.  Effects that reach other cases (opening a
recommendation, starting ratifications) are left to the caller, as they are in the app.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from .definitions import EffectKind
from .engine import Outcome
from .facts import (
    DeclarationStatus,
    DisputeFacts,
    Extension,
    Facts,
    PanelMember,
    PanelRoute,
    RecommendationFacts,
    ResponseKind,
)

__all__ = ["apply"]


def _dispute(facts: DisputeFacts, outcome: Outcome) -> DisputeFacts:
    pack = dict(facts.pack_agreements)
    panel = list(facts.panel)
    responses = dict(facts.responses)
    extensions = dict(facts.extensions)
    route, authority = facts.panel_route, facts.external_authority
    withdrawn, current = set(facts.withdrawn_organisations), set(facts.current_parties)
    for event in outcome.events:
        data = event.data
        match event.name:
            case "pack_agreed":
                pack[int(str(data["organisation_id"]))] = str(data["digest"])
            case "panel_nominated":
                panel = [PanelMember(int(str(o))) for o in data["organisation_ids"]]  # type: ignore[attr-defined]
                route = PanelRoute(str(data.get("route") or PanelRoute.INTERNAL))
                authority = str(data["external_authority"]) if data.get("external_authority") else None
            case "interest_declared":
                status = DeclarationStatus.CONFLICT if data["conflict"] else DeclarationStatus.NO_CONFLICT
                panel = [
                    replace(m, declaration=status) if m.organisation_id == data["organisation_id"] else m for m in panel
                ]
            case "panel_member_replaced":
                panel = [m for m in panel if m.organisation_id != data["replace"]]
                panel.append(PanelMember(int(str(data["replacement"]))))
            case "deadline_extended":
                extensions[str(data["step"])] = Extension(
                    date.fromisoformat(str(data["due_date"])), str(data["reason"])
                )
            case "outcome_accepted" | "outcome_withdrew":
                responses[int(str(data["organisation_id"]))] = ResponseKind(str(data["response"]))
    for effect in outcome.effects:
        if effect.kind is EffectKind.PARTY_WITHDRAWS:
            org = int(str(effect.data["organisation_id"]))
            withdrawn.add(org)
            current.discard(org)
    return replace(
        facts,
        pack_agreements=pack,
        panel=tuple(panel),
        panel_route=route,
        external_authority=authority,
        responses=responses,
        extensions=extensions,
        withdrawn_organisations=frozenset(withdrawn),
        current_parties=frozenset(current),
    )


def _recommendation(facts: RecommendationFacts, outcome: Outcome) -> RecommendationFacts:
    for event in outcome.events:
        if event.name == "placed_on_agenda":
            facts = replace(facts, agenda_meeting_date=date.fromisoformat(str(event.data["meeting_date"])))
    for effect in outcome.effects:
        if effect.kind in (EffectKind.START_RATIFICATION, EffectKind.RESTART_RATIFICATION):
            # A new version goes to every Board afresh: earlier ratifications no longer count.
            facts = replace(facts, version=int(str(effect.data["version"])), ratified_by=frozenset())
    return facts


def apply(facts: Facts, outcome: Outcome) -> Facts:
    """Return ``facts`` as they are after ``outcome`` has been stored."""
    events = dict(facts.events)
    for event in outcome.events:
        events[event.name] = event.at  # the latest occurrence of each event counts
    facts = replace(facts, state=outcome.state_after, events=events)
    if isinstance(facts, DisputeFacts):
        return _dispute(facts, outcome)
    if isinstance(facts, RecommendationFacts):
        return _recommendation(facts, outcome)
    return facts
