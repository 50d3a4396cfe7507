"""Factories for facts and a driver that runs a case in memory, for the workflows' tests and the app's.

Organisation ids are small ints: 1-13 are the Parties; 1 notifies disputes, 2 is Scenario 1's other
party, 3 and 4 sit on panels, 5 is a spare panel member, 20 is an outside (non-party) organisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from workflows import engine, registry
from workflows.definitions import REFERENCE_FIELD, EffectKind, ProcessDefinition
from workflows.engine import Outcome
from workflows.facts import (
    Actor,
    DisputeFacts,
    DisputeParty,
    Facts,
    RaiserKind,
    RatificationFacts,
    RecommendationFacts,
    SubordinateGroup,
    fold,
)
from workflows.roles import CaseRole
from workflows.rules import pack_digest


def apply(facts: Facts, outcome: Outcome) -> Facts:
    """``facts`` after ``outcome`` is stored: its events by the app's own fold (``workflows.facts.fold``), and
    the effects the app carries out on other rows (a party withdrawing, ratification starting again)."""
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


PARTIES = frozenset(range(1, 14))
FILER, OTHER = 1, 2
PANEL = (3, 4)
SPARE = 5
OUTSIDER = 20
START = datetime(2023, 3, 1, 10, 0, tzinfo=UTC)  # a Wednesday with no bank holiday near


def actor(*roles: CaseRole, org: int | None = None, user_id: int = 1) -> Actor:
    """An actor holding ``roles`` for organisation ``org``."""
    return Actor(user_id=user_id, organisation_id=org, roles=frozenset(roles))


def dispute(process_key: str, state: str = "draft", **overrides: object) -> DisputeFacts:
    """Facts of a fresh dispute: organisation 1 notifies it, with 2 on its side (a co-party, Scenario 1)
    or on the other side (a respondent, Scenario 4) as far as the process's filing asks for one."""
    parties = (DisputeParty(FILER, filed=True),)
    filing = registry.get(process_key).filing if process_key in registry.process_keys() else None
    if filing is not None and filing.other_parties is not None and filing.other_parties.min:
        parties += (DisputeParty(OTHER),)
    elif filing is not None and filing.respondents is not None and filing.respondents.min:
        parties += (DisputeParty(OTHER, respondent=True),)
    facts = DisputeFacts(process_key=process_key, state=state, parties=parties, current_parties=PARTIES)
    return replace(facts, **overrides)  # type: ignore[arg-type]


def complete_material(definition: ProcessDefinition, facts: DisputeFacts) -> dict[str, str]:
    """Written material with every heading filled in (per party where asked) and the reference."""
    material: dict[str, str] = {}
    for heading in definition.headings:
        orgs = [p.organisation_id for p in facts.parties] if heading.per_party else [None]
        for org in orgs:
            material[heading.field_key(org)] = f"Text under {heading.title}"
        if heading.reference:
            material[REFERENCE_FIELD] = "PDEG minute 2023/07"
    return material


def with_material(definition: ProcessDefinition, facts: DisputeFacts, agreed: bool = True) -> DisputeFacts:
    """``facts`` with complete material, a cited principle and (Scenario 1) every party's agreement."""
    material = complete_material(definition, facts)
    agreements = {p.organisation_id: pack_digest(material) for p in facts.parties} if agreed else {}
    return replace(
        facts, written_material=material, principles_cited=frozenset({"behaviour-12"}), pack_agreements=agreements
    )


def recommendation(state: str = "draft", **overrides: object) -> RecommendationFacts:
    """Facts of a recommendation from the Finance Working Group affecting organisations 1-3."""
    facts = RecommendationFacts(
        process_key="recommendation",
        state=state,
        reference="REC-1",
        raised_by=RaiserKind.SUBORDINATE_GROUP,
        subordinate_group=SubordinateGroup.FINANCE_WORKING_GROUP,
        information="Options and costs",
        affected_parties=frozenset({1, 2, 3}),
        current_parties=PARTIES,
    )
    return replace(facts, **overrides)  # type: ignore[arg-type]


def ratification(state: str = "awaiting_board", **overrides: object) -> RatificationFacts:
    """Facts of organisation 1's Board considering REC-1."""
    facts = RatificationFacts(
        process_key="ratification", state=state, organisation_id=1, recommendation_reference="REC-1"
    )
    return replace(facts, **overrides)  # type: ignore[arg-type]


#: The actor who takes each role in a driven case: the org they act for.
ROLE_ORG: dict[CaseRole, int | None] = {
    CaseRole.FILING_PARTY: FILER,
    CaseRole.OTHER_PARTY: OTHER,
    CaseRole.RESPONDENT: OTHER,
    CaseRole.PARTY: FILER,
    CaseRole.PANEL_MEMBER: PANEL[0],
    CaseRole.STP_LEADER: None,
    CaseRole.PDEG_SECRETARIAT: None,
    CaseRole.RAISER: None,
    CaseRole.BOARD_SECRETARY: 1,
    CaseRole.ADMINISTRATOR: None,
    CaseRole.SYSTEM: None,
}


def role_actor(role: CaseRole) -> Actor:
    """A typical actor holding ``role`` (a filing party also holds PARTY, as the app computes)."""
    roles = {role}
    if role in (CaseRole.FILING_PARTY, CaseRole.OTHER_PARTY):
        roles.add(CaseRole.PARTY)
    return Actor(user_id=hash(role) % 1000, organisation_id=ROLE_ORG[role], roles=frozenset(roles))


def filer() -> Actor:
    """An officer of the notifying party."""
    return actor(CaseRole.FILING_PARTY, CaseRole.PARTY, org=FILER)


def party(org: int) -> Actor:
    """An officer of party ``org``."""
    return actor(CaseRole.PARTY, org=org)


def panel_member(org: int) -> Actor:
    """The CEO of panel organisation ``org``."""
    return actor(CaseRole.PANEL_MEMBER, org=org)


def leader() -> Actor:
    """The STP Leader."""
    return actor(CaseRole.STP_LEADER)


@dataclass
class Driver:
    """Runs one case in memory: fire triggers, apply outcomes, keep the history."""

    definition: ProcessDefinition
    facts: Facts
    now: datetime = START
    history: list[Outcome] = field(default_factory=list)

    def fire(
        self, trigger: str, who: Actor, payload: Mapping[str, object] | None = None, after: timedelta = timedelta(0)
    ) -> Outcome:
        """Advance the clock by ``after``, fire ``trigger`` and apply its outcome."""
        self.now += after
        outcome = engine.fire(self.definition, self.facts, who, trigger, payload or {}, self.now)
        self.facts = apply(self.facts, outcome)
        self.history.append(outcome)
        return outcome

    def edit(self, **changes: object) -> None:
        """Change facts the way a form edit does (no event)."""
        self.facts = replace(self.facts, **changes)  # type: ignore[arg-type]


def drive_dispute(
    process_key: str,
    until: str | None = None,
    definition: ProcessDefinition | None = None,
    start: datetime = START,
    step: timedelta = timedelta(hours=1),
) -> Driver:
    """Run a dispute along its ordinary path (panel after the material) until state ``until``."""
    definition = definition or registry.get(process_key)
    d = Driver(definition, dispute(process_key), now=start)
    triggers = set(definition.triggers)

    def done() -> bool:
        return until is not None and d.facts.state == until

    def parties() -> list[int]:
        assert isinstance(d.facts, DisputeFacts)
        return [p.organisation_id for p in d.facts.parties]

    if done():
        return d
    d.fire("notify", filer(), {"negotiation_attempted": True}, step)
    material = next((t for t in definition.triggers if t.startswith("submit_")), None)
    if done():
        return d
    if material:
        assert isinstance(d.facts, DisputeFacts)
        d.facts = with_material(definition, d.facts)
        d.fire(material, filer(), after=step)
        if done():
            return d
    if "nominate_panel" in triggers:
        minimum = int(str(definition.params["min_panel"]))
        d.fire("nominate_panel", leader(), {"organisation_ids": list(PANEL[: max(minimum, 1)])}, step)
        if done():
            return d
        assert isinstance(d.facts, DisputeFacts)
        for m in d.facts.panel:
            d.fire("declare_interest", panel_member(m.organisation_id), {"conflict": False}, step)
        if done():
            return d
        d.fire("release_papers", leader(), after=step)
        if done():
            return d
    if "hold_hearing" in triggers:
        d.fire("hold_hearing", panel_member(PANEL[0]), after=step)
        if done():
            return d
    if "present_decision" in triggers:
        d.fire("present_decision", panel_member(PANEL[0]), {"decision": "Site X", "reasons": "Access"}, step)
    if "make_recommendation" in triggers:
        d.fire("make_recommendation", panel_member(PANEL[0]), {"recommendation": "Review", "reasons": "R"}, step)
        if done():
            return d
    if "propose_solution" in triggers:
        outcome = str(definition.params["outcomes"][0])  # type: ignore[index]
        d.fire("propose_solution", leader(), {"outcome": outcome, "proposal": "P", "reasons": "R"}, step)
    if done():
        return d
    for org in parties():
        d.fire("accept_outcome", party(org), after=step)
    return d


def facts_in(process: str, state: str) -> Facts:
    """A case of ``process`` in ``state``: disputes are run there (the early-panel state via nomination
    at the point of notification); PDEG cases are built."""
    if process == "recommendation":
        return recommendation(state)
    if process == "ratification":
        return ratification(state)
    if state == "panel_nominated_early":
        d = drive_dispute(process, "notified")
        minimum = int(str(d.definition.params["min_panel"]))
        d.fire("nominate_panel", leader(), {"organisation_ids": list(PANEL[:minimum])})
        return d.facts
    facts = drive_dispute(process, state).facts
    if facts.state != state:
        raise ValueError(f"{process} does not reach {state!r} along its ordinary path")
    return facts
