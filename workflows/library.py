"""The library of named rules, recorders, effects and routes an agreement file refers to.

An agreement file says *which* rule applies to a step (``panel_neutral``, ``min_panel: 2``,
``other_party_present_if_called``...) and with what parameters; the code of each rule lives here once,
so every agreement that uses it refuses the same things with the same words.  Each entry is a factory
taking the entry's parameters and the clause of the transition it is attached to (the default clause
of its refusals), and returning the engine's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .definitions import Context, Effect, EffectKind, RecordedEvent, Rule
from .engine import jsonable
from .facts import DisputeFacts, RatificationFacts, RecommendationFacts, ResponseKind

__all__ = ["EFFECTS", "RECORDERS", "ROUTES", "RULES", "LibraryEntry", "make_effect", "make_recorder", "make_rule"]

Params = Mapping[str, Any]
Recorder = Callable[[Context], tuple[RecordedEvent, ...]]
EffectFn = Callable[[Context], tuple[Effect, ...]]
Route = Callable[[Context], bool]


@dataclass(frozen=True)
class LibraryEntry:
    """A named building block: what it does (for ``agreement check`` and the docs), the parameters it
    takes (name -> description) and which of them are required, and its factory."""

    text: str
    factory: Callable[[Params, str], Any]
    params: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()


def _rule(fn: Callable[[], Rule], text: str) -> LibraryEntry:
    return LibraryEntry(text, lambda _p, _c: fn())


# --- Rules ------------------------------------------------------------------------------------------

RULES: dict[str, LibraryEntry] = {
    # Disputes: filing and parties
    "negotiation_attempted": _rule(rules.negotiation_attempted, "The parties have tried negotiation in good faith."),
    "parties_as_declared": _rule(rules.parties_of_dispute, "The parties are as the process declares."),
    "parties_are_current": _rule(rules.parties_are_current, "Every party is a current party to the agreement."),
    # Written material
    "material_complete": _rule(rules.material_complete, "The written material has every heading."),
    "principles_cited": _rule(rules.principles_cited, "At least one agreed principle is cited where required."),
    "pack_agreed_by_all": _rule(rules.pack_agreed_by_all, "Every party has agreed the pack as it stands."),
    "pack_not_yet_agreed_by_actor": _rule(rules.pack_not_yet_agreed_by_actor, "A party agrees the pack once."),
    "pack_written": _rule(rules.pack_written, "There is a pack to agree: something is written under its headings."),
    # Panels
    "panel_neutral": _rule(
        rules.nominated_panel_valid, "The panel is neutral (no party or respondent) and large enough."
    ),
    "replacement_neutral": _rule(rules.replacement_valid, "A replacement keeps the panel neutral."),
    "panel_still_valid": _rule(rules.current_panel_valid, "The panel as it stands is still neutral and large enough."),
    "panel_declared_no_conflict": _rule(rules.all_declared_no_conflict, "Every member declared no conflict."),
    "actor_on_panel": _rule(rules.actor_on_panel, "The actor's organisation is on the panel."),
    "conflict_explained": _rule(rules.conflict_explained, "A declared conflict is described."),
    "actor_yet_to_declare": _rule(rules.actor_yet_to_declare, "A panel member declares its interest once."),
    # Hearings
    "other_party_present_if_called": LibraryEntry(
        "If either party is called, the other must be invited to be present.",
        lambda p, c: rules.clarification_call(p.get("clause", c)),
    ),
    "attendance_as_called": LibraryEntry(
        "Recording the hearing: every party called or invited is present, or the reason is recorded.",
        lambda p, c: rules.attendance_as_called(p.get("clause", c)),
    ),
    "held_as_arranged": LibraryEntry(
        "Recording when an arranged step took place: on another day than arranged, or after its due date, "
        "the reason is given.",
        lambda p, c: rules.held_as_arranged(p.get("step", "hearing"), p.get("reason", "date_reason"),
                                            p.get("at", "held_at"), p.get("clause", c)),
        {"step": "the step whose due date counts (default hearing)",
         "reason": "the payload field holding the reason (default date_reason)",
         "at": "the payload field holding when it took place (default held_at)"},
    ),
    "moment_not_in_future": LibraryEntry(
        "A recorded moment is not in the future (nor before an earlier event).",
        lambda p, c: rules.moment_not_in_future(p["field"], p.get("clause", c), p.get("not_before")),
        {"field": "the payload field holding the moment", "not_before": "an event it may not precede"},
        ("field",),
    ),
    "date_not_in_past": LibraryEntry(
        "A date being arranged is today or later.",
        lambda p, c: rules.date_not_in_past(p["field"], p.get("clause", c)),
        {"field": "the payload field holding the date"},
        ("field",),
    ),
    "delay_explained": LibraryEntry(
        "A step done after its due day gives the reason for the delay.",
        lambda p, _c: rules.delay_explained(p["step"]),
        {"step": "the step whose due date counts"},
        ("step",),
    ),
    # Outcome and responses
    "actor_is_party": _rule(rules.actor_is_responding_party, "The actor acts for a party to the dispute."),
    "awaiting_response_from_actor": _rule(rules.awaiting_response_from_actor, "Each party responds once."),
    "everyone_responded": _rule(rules.everyone_responded, "Every party has responded to the outcome."),
    "extension_valid": _rule(rules.extension_valid, "An extension moves a pending deadline later."),
    # Recommendations and ratification
    "recommendation_well_formed": _rule(rules.recommendation_well_formed, "The recommendation is complete."),
    "within_delegation_allowed": _rule(rules.within_delegation_allowed, "Delegation is for subordinate groups."),
    "meeting_has_met": _rule(rules.pdeg_has_met, "The meeting has taken place."),
    "pdeg_quorate": LibraryEntry(
        "PDEG's meeting is quorate: its attendance recorded, and enough member parties present.",
        lambda p, c: rules.pdeg_quorate(int(p["min_parties"]), p.get("clause", c)),
        {"min_parties": "how many member parties must be present (representative or deputy)"},
        ("min_parties",),
    ),
    "all_boards_ratified": _rule(rules.all_boards_ratified, "Every remaining party's Board has ratified."),
    "actor_is_boards_secretary": _rule(rules.actor_is_boards_secretary, "The actor is this Board's secretary."),
    "current_version": _rule(rules.current_version, "The Board considers the current version."),
    "meeting_not_in_future": _rule(rules.meeting_not_in_future, "The Board meeting has taken place."),
    "meeting_not_before_agreement": LibraryEntry(
        "A Board's meeting is on or after the day PDEG agreed the decision.",
        lambda p, c: rules.meeting_not_before_agreement(p.get("clause", c)),
    ),
    "party_withdrawn": _rule(rules.party_withdrawn, "The party has withdrawn from the agreement."),
    "recommendation_amended": _rule(rules.recommendation_amended, "The recommendation was amended."),
}


def make_rule(name: str, params: Params, clause: str) -> Rule:
    """The rule called ``name`` with ``params`` (KeyError if there is no such rule)."""
    return RULES[name].factory(params, clause)


# --- Recorders --------------------------------------------------------------------------------------


def record_event(
    event: str, keys: tuple[str, ...] = (), at: str | None = None, stamp_organisation: bool = True
) -> Recorder:
    """Record ``event`` now (or at the payload's ``at`` moment) with the payload values in ``keys``.

    ``stamp_organisation``: disputes note which organisation the actor acted for.
    """

    def records(ctx: Context) -> tuple[RecordedEvent, ...]:
        moment = ctx.values.get(at) if at else None
        data = {k: jsonable(ctx.values[k]) for k in keys if k in ctx.values}
        if stamp_organisation and ctx.actor.organisation_id is not None:
            data.setdefault("organisation_id", ctx.actor.organisation_id)
        assert ctx.now is not None
        return (RecordedEvent(event, moment or ctx.now, data),)  # type: ignore[arg-type]

    return records


def _declaration(_p: Params, _c: str) -> Recorder:
    from .facts import DeclarationStatus

    def records(ctx: Context) -> tuple[RecordedEvent, ...]:
        facts = ctx.facts
        assert isinstance(facts, DisputeFacts) and ctx.now is not None
        org = ctx.actor.organisation_id
        conflict = bool(ctx.values.get("conflict"))
        data = {"organisation_id": org, "conflict": conflict, "details": ctx.values.get("details")}
        events = [RecordedEvent("interest_declared", ctx.now, data)]
        others = [m.declaration for m in facts.panel if m.organisation_id != org]
        if not conflict and all(d is DeclarationStatus.NO_CONFLICT for d in others):
            # The last clear declaration completes the panel's declarations: the papers may open.
            events.append(RecordedEvent("declarations_complete", ctx.now, {}))
        return tuple(events)

    return records


def _response(p: Params, _c: str) -> Recorder:
    kind = ResponseKind(p["response"])
    closes = bool(p.get("closes"))

    def records(ctx: Context) -> tuple[RecordedEvent, ...]:
        assert ctx.now is not None
        data = {"organisation_id": ctx.actor.organisation_id, "response": kind.value,
                "notice": ctx.values.get("notice")}
        events = [RecordedEvent(f"outcome_{kind.value}", ctx.now, data)]
        if closes:
            events.append(RecordedEvent("closed", ctx.now, {}))
        return tuple(events)

    return records


def _pack_agreed(_p: Params, _c: str) -> Recorder:
    def records(ctx: Context) -> tuple[RecordedEvent, ...]:
        assert isinstance(ctx.facts, DisputeFacts) and ctx.now is not None
        digest = rules.pack_digest(ctx.facts.written_material)
        return (RecordedEvent("pack_agreed", ctx.now, {"organisation_id": ctx.actor.organisation_id,
                                                       "digest": digest}),)

    return records


#: Recorders with their own logic; a plain ``{event: ..., keys: [...], at: ...}`` needs none.
RECORDERS: dict[str, LibraryEntry] = {
    "declaration": LibraryEntry("A panel member's declaration of interest (and, last, the panel's).", _declaration),
    "response": LibraryEntry(
        "A party's response to the outcome (accepted or withdrew); the last one closes the case.",
        _response,
        {"response": "accepted or withdrew", "closes": "true on the transition that closes the case"},
        ("response",),
    ),
    "pack_agreed": LibraryEntry("A party agrees the pack as it stands (with its fingerprint).", _pack_agreed),
}

#: Events that recorders with their own logic record, for ``agreement check``'s "nothing records it".
RECORDER_EVENTS: dict[str, tuple[str, ...]] = {
    "declaration": ("interest_declared", "declarations_complete"),
    "response": ("outcome_accepted", "outcome_withdrew", "closed"),
    "pack_agreed": ("pack_agreed",),
}


def make_recorder(name: str, params: Params, clause: str) -> Recorder:
    """The recorder called ``name`` with ``params``."""
    return RECORDERS[name].factory(params, clause)


# --- Effects ----------------------------------------------------------------------------------------


def _start_ratification(p: Params, _c: str) -> EffectFn:
    kind = EffectKind.RESTART_RATIFICATION if p.get("restart") else EffectKind.START_RATIFICATION
    bump = bool(p.get("new_version"))

    def effects(ctx: Context) -> tuple[Effect, ...]:
        facts = ctx.facts
        assert isinstance(facts, RecommendationFacts)
        data = {
            "version": facts.version + 1 if bump else facts.version,
            "organisation_ids": sorted(rules.required_boards(facts)),
            "amendment": ctx.values.get("amendment"),
        }
        return (Effect(kind, data),)

    return effects


def _decision_ratified(_p: Params, _c: str) -> EffectFn:
    def effects(ctx: Context) -> tuple[Effect, ...]:
        assert isinstance(ctx.facts, RecommendationFacts)
        return (Effect(EffectKind.DECISION_RATIFIED, {"reference": ctx.facts.reference}),)

    return effects


def _check_ratification(_p: Params, _c: str) -> EffectFn:
    def effects(ctx: Context) -> tuple[Effect, ...]:
        facts = ctx.facts
        assert isinstance(facts, RatificationFacts)
        return (Effect(EffectKind.CHECK_RATIFICATION, {"organisation_id": facts.organisation_id,
                                                       "version": facts.version}),)

    return effects


def _offer_dispute(p: Params, _c: str) -> EffectFn:
    process = str(p["process"])

    def effects(ctx: Context) -> tuple[Effect, ...]:
        facts = ctx.facts
        assert isinstance(facts, RatificationFacts)
        # A Board that cannot support a system decision may bring a dispute about it.
        return (Effect(EffectKind.OFFER_DISPUTE, {"organisation_id": facts.organisation_id, "process": process,
                                                  "decision_reference": facts.recommendation_reference}),)

    return effects


def _withdrawal(_p: Params, _c: str) -> EffectFn:
    def effects(ctx: Context) -> tuple[Effect, ...]:
        # Clause 15: the party leaves the agreement; its pending ratifications lapse and it no longer
        # sits on panels or ratifies.
        org = ctx.actor.organisation_id
        return (Effect(EffectKind.PARTY_WITHDRAWS, {"organisation_id": org}),
                Effect(EffectKind.LAPSE_RATIFICATIONS, {"organisation_id": org}))

    return effects


def _open_recommendation(p: Params, c: str) -> EffectFn:
    opening = frozenset(p["outcomes"])

    def effects(ctx: Context) -> tuple[Effect, ...]:
        outcome = ctx.values.get("outcome")
        if outcome not in opening:
            return ()
        return (Effect(EffectKind.OPEN_RECOMMENDATION, {
            "dispute_process": ctx.definition.key, "kind": outcome, "proposal": ctx.values.get("proposal"),
            "reasons": ctx.values.get("reasons"), "clause": p.get("clause", c),
        }),)

    return effects


def _simple(kind: EffectKind) -> Callable[[Params, str], EffectFn]:
    return lambda _p, _c: (lambda ctx: (Effect(kind),))


EFFECTS: dict[str, LibraryEntry] = {
    "start_ratification": LibraryEntry(
        "Send the decision to each affected party's Board.",
        _start_ratification,
        {"restart": "true: start again after an amendment", "new_version": "true: the decision's version goes up"},
    ),
    "decision_ratified": LibraryEntry("The decision is ratified.", _decision_ratified),
    "check_ratification": LibraryEntry("See whether every Board has now ratified.", _check_ratification),
    "offer_dispute": LibraryEntry(
        "Offer the refusing party a dispute about the decision.", _offer_dispute,
        {"process": "the key of the dispute process offered"}, ("process",),
    ),
    "withdrawal_from_agreement": LibraryEntry("The actor's party withdraws from the agreement.", _withdrawal),
    "case_closed": LibraryEntry("The dispute is closed.", _simple(EffectKind.DISPUTE_CLOSED)),
    "open_recommendation": LibraryEntry(
        "A proposal whose outcome is one of ``outcomes`` goes to the decision-making meeting as a new recommendation.",
        _open_recommendation, {"outcomes": "the outcomes that open a recommendation"}, ("outcomes",),
    ),
}


def make_effect(name: str, params: Params, clause: str) -> EffectFn:
    """The effect called ``name`` with ``params``."""
    return EFFECTS[name].factory(params, clause)


# --- Routes -----------------------------------------------------------------------------------------


def _last_response(_p: Params, _c: str) -> Route:
    def route(ctx: Context) -> bool:
        assert isinstance(ctx.facts, DisputeFacts)
        return not rules.outstanding_parties(ctx.facts, ctx.actor.organisation_id)

    return route


ROUTES: dict[str, LibraryEntry] = {
    "last_response": LibraryEntry("This is the last response outstanding: the case closes.", _last_response),
}


def make_route(name: str, params: Params, clause: str) -> Route:
    """The route called ``name``."""
    return ROUTES[name].factory(params, clause)
