"""An in-memory case: an Outcome applied to facts as the app applies it to its rows.

The events fold into facts through :func:`workflows.facts.fold`, the same fold the app reads its stored
events with; the effects that the app carries out on other rows (a party withdrawing, ratification
starting again) are applied here to the facts they change.
"""

from __future__ import annotations

from dataclasses import replace

from .definitions import EffectKind
from .engine import Outcome
from .facts import DisputeFacts, Facts, RecommendationFacts, fold

__all__ = ["apply"]


def apply(facts: Facts, outcome: Outcome) -> Facts:
    """Return ``facts`` as they are after ``outcome`` has been stored."""
    facts = fold(replace(facts, state=outcome.state_after), outcome.events)
    for effect in outcome.effects:
        if isinstance(facts, DisputeFacts) and effect.kind is EffectKind.PARTY_WITHDRAWS:
            org = int(str(effect.data["organisation_id"]))
            facts = replace(facts, withdrawn_organisations=facts.withdrawn_organisations | {org},
                            current_parties=facts.current_parties - {org})
        if isinstance(facts, RecommendationFacts) and effect.kind in (EffectKind.START_RATIFICATION,
                                                                      EffectKind.RESTART_RATIFICATION):
            # A new version goes to every Board afresh: earlier ratifications no longer count.
            facts = replace(facts, version=int(str(effect.data["version"])), ratified_by=frozenset())
    return facts
